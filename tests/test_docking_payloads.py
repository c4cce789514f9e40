"""What crosses the wire for each of the five libraries: exactly the spec's attribute names and codes
(the formal version as 查看报文 shows it), files as Base64 beside their name, size and category."""
from __future__ import annotations

import base64
import io
import json

import pytest
from sqlmodel import select
from werkzeug.datastructures import FileStorage

from app.accounts import roles
from app.archives.forms import ArchiveForm
from app.db import get_session
from app.files.fields import Owner, uploads_for
from app.files.service import save_upload
from app.libraries.registry import LIBRARIES
from app.libraries.service import save
from app.pilots.forms import PilotEnterpriseForm
from app.targets.forms import TargetForm
from tests.samples import CLOUD, CREDIT, PDF, PILOT, PRODUCT, PROVIDER, TARGET, full, png_bytes, seed_catalogue
from tests.upper_stub import SPEC_NAMES, push, queue


def _save(lib, form, admin, session, record=None):
    form.validate_for(submit=True)
    assert not form.errors, form.errors
    return save(lib, form, user=admin, session=session, submit=True, record=record)


@pytest.fixture
def five(make_app, upper, make_user):
    """One formal record in each library, the product with a cover and the archive with a contract."""
    app = make_app(**upper.settings())
    admin = make_user(roles.CITY_ADMIN, "410700")
    with app.test_request_context():
        session = get_session()
        seed_catalogue(session, admin)
        provider = session.exec(select(LIBRARIES["providers"].model)
                                .where(LIBRARIES["providers"].model.title == CLOUD)).one()
        form = LIBRARIES["providers"].form.from_wire({**PROVIDER, "serviceName": CLOUD,
                                                      "unifiedCreditCode": provider.credit_code})
        form.region.data = "410783"
        _save(LIBRARIES["providers"], form, admin, session, provider)
        with uploads_for(Owner("410783", provider.credit_code, admin.id)):
            cover = save_upload(FileStorage(io.BytesIO(png_bytes()), filename="封面.png"), file_type=3,
                                owner_region="410783", owner_credit=provider.credit_code, user_id=admin.id,
                                session=session)
            product = session.exec(select(LIBRARIES["products"].model).where(
                LIBRARIES["products"].model.title == PRODUCT["softwareName"])).one()
            payload = {**PRODUCT, "fileList": [{"fileType": 3, "fileName": "封面.png", "file": cover.id,
                                                "fileSize": str(cover.size), "fileCategory": "png"}]}
            _save(LIBRARIES["products"], LIBRARIES["products"].form.from_wire(payload), admin, session, product)
        form = PilotEnterpriseForm.from_wire(PILOT)
        form.region.data = "410783"
        _save(LIBRARIES["pilots"], form, admin, session)
        form = TargetForm.from_wire(TARGET)
        if hasattr(form, "region"):
            form.region.data = "410783"
        _save(LIBRARIES["targets"], form, admin, session)
        with uploads_for(Owner("410783", CREDIT, admin.id)):
            contract = save_upload(FileStorage(io.BytesIO(PDF), filename="改造项目合同.pdf"), file_type=5,
                                   owner_region="410783", owner_credit=CREDIT, user_id=admin.id, session=session)
            archive = full(needs=1, maps=1)
            archive["contractInfo"] = {"fileName": "改造项目合同.pdf", "fileType": 5, "fileCategory": "pdf",
                                       "fileSize": str(len(PDF)), "file": contract.id}
            _save(LIBRARIES["archives"], ArchiveForm.from_wire(archive), admin, session)
        formal = {}
        for key, lib in LIBRARIES.items():
            rows = session.exec(select(lib.model).where(lib.model.formal_payload.is_not(None))).all()
            assert len(rows) == 1, key
            formal[key] = (rows[0].id, lib.formal_json(rows[0]))
    return app, admin, formal


def test_each_library_sends_its_formal_version_in_the_spec_names(five, upper):
    app, admin, formal = five
    for key, (record_id, _) in formal.items():
        assert queue(app, admin, key, [record_id]).queued == 1
    summary = push(app)
    assert summary.batches == 5 and summary.added == 5 and summary.failed == 0
    sent = {u.library: u for u in upper.uploads}
    assert set(sent) == set(LIBRARIES) and all(u.answer == "200" for u in sent.values())
    for key, (_, obj) in formal.items():
        [received] = sent[key].objects
        assert list(received) == list(obj)  # the same attributes, in the spec's order
        assert set(received) <= SPEC_NAMES[key]
        for name, value in dict(obj).items():  # (an archive's repeated transResult: the last, as a parser keeps)
            if name not in ("fileList", "contractInfo"):
                assert received[name] == json.loads(json.dumps(value)), (key, name)

    cover = sent["products"].objects[0]["fileList"][0]
    assert base64.b64decode(cover["file"]) == png_bytes()
    assert (cover["fileName"], cover["fileSize"], cover["fileCategory"], cover["fileType"]) == (
        "封面.png", str(len(png_bytes())), "png", 3)
    contract = sent["archives"].objects[0]["contractInfo"]
    assert base64.b64decode(contract["file"]) == PDF and contract["fileSize"] == str(len(PDF))
    archive = sent["archives"].objects[0]
    # The default (both): only table 2.6's names; a plain parser keeps the second transResult, the object.
    assert isinstance(archive["transResult"], dict) and "transResultAfter" not in archive
    assert "degitalLevel" in archive["transInfo"]  # the spec's spelling is the wire
    targets = sent["targets"].objects[0]
    assert targets["performanceCycleList"][0]["cycleStartTime"] == "2025-01-01"


def test_the_archive_travels_as_the_transresult_setting_says(five, upper, make_app):
    app, admin, formal = five
    upper.keep_raw = True
    both = make_app(**upper.settings(ARCHIVE_TRANS_RESULT="both"))
    queue(both, admin, "archives", [formal["archives"][0]])
    push(both)
    [upload] = [u for u in upper.uploads if u.library == "archives"]
    # Both transResults under one key, the integer first, in the spec's order: the raw bytes show the pair.
    text = upload.raw.decode()
    first = text.index('"transResult":')
    assert text[first:first + 16] in ('"transResult":0,', '"transResult":1,', '"transResult":2,')
    assert text.index('"transResult":{', first) > first and "transResultAfter" not in text
    assert isinstance(upload.objects[0]["transResult"], dict)  # a plain parser keeps the last one
