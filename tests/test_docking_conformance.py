"""The push client against a strict national platform (issue #14): on its defaults (grant_type and the
Authorization encoding aside) every library, the archive with needs, contents and files included, is
accepted by a receiver that refuses unknown attributes, wrong types and wrong codes; the pre-flight check,
the pass that stops on 89501 / 89503, results that follow the answer, and what the administrator sees."""
from __future__ import annotations

import io
import json
import re
from datetime import timedelta

import pytest
from sqlalchemy import update
from sqlmodel import select
from werkzeug.datastructures import FileStorage

from app.accounts import roles
from app.archives.forms import ArchiveForm
from app.db import get_session, write
from app.docking import clock, protocol
from app.docking.authheader import AuthLayout
from app.docking.models import FAILED, QUEUED, SENT, DockingState, PushBatch
from app.docking.settings import import_config, load_config, save_settings
from app.docking.status import current
from app.files.fields import Owner, uploads_for
from app.files.service import save_upload
from app.libraries.registry import LIBRARIES
from app.libraries.service import save
from app.pilots.forms import PilotEnterpriseForm
from app.targets.forms import TargetForm
from tests.samples import CLOUD, CREDIT, PDF, PILOT, PRODUCT, PROVIDER, TARGET, full, login, png_bytes, seed_catalogue
from tests.upper_stub import UpperStub, approved_pilots, items, push, queue, states, strict_problems

# The two things a deployment sets to match its upper platform; everything else stays on its defaults.
GRANT_TYPE = "password"
LAYOUT = AuthLayout(output="hex")


@pytest.fixture
def strict():
    stub = UpperStub(strict=True, grant_type=GRANT_TYPE, layout=LAYOUT).start()
    yield stub
    stub.stop()


def _settings(stub: UpperStub, **extra) -> dict:
    """Only what the upper platform gives (address, account, key, platform, region), grant_type and the
    Authorization encoding; an all-day window so the test runs at any hour."""
    return stub.settings(DOCKING_GRANT_TYPE=GRANT_TYPE, DOCKING_AUTH_OUTPUT="hex", **extra)


def _save(lib, form, admin, session, record=None):
    assert form.validate_for(submit=True), form.errors
    return save(lib, form, user=admin, session=session, submit=True, record=record)


def _five(app, admin) -> dict[str, int]:
    """One formal record per library: a product with a cover, an archive with two needs, two contents, a
    contract and a file list."""
    with app.test_request_context():
        session = get_session()
        seed_catalogue(session, admin)
        providers, products = LIBRARIES["providers"], LIBRARIES["products"]
        provider = session.exec(select(providers.model).where(providers.model.title == CLOUD)).one()
        form = providers.form.from_wire({**PROVIDER, "serviceName": CLOUD, "unifiedCreditCode": provider.credit_code})
        form.region.data = "410783"
        ids = {"providers": _save(providers, form, admin, session, provider).id}
        with uploads_for(Owner("410783", provider.credit_code, admin.id)):
            cover = save_upload(FileStorage(io.BytesIO(png_bytes()), filename="封面.png"), file_type=3,
                                owner_region="410783", owner_credit=provider.credit_code, user_id=admin.id,
                                session=session)
            product = session.exec(select(products.model).where(
                products.model.title == PRODUCT["softwareName"])).one()
            payload = {**PRODUCT, "fileList": [{"fileType": 3, "fileName": "封面.png", "file": cover.id,
                                                "fileSize": str(cover.size), "fileCategory": "png"}]}
            ids["products"] = _save(products, products.form.from_wire(payload), admin, session, product).id
        form = PilotEnterpriseForm.from_wire(PILOT)
        form.region.data = "410783"
        ids["pilots"] = _save(LIBRARIES["pilots"], form, admin, session).id
        form = TargetForm.from_wire(TARGET)
        if hasattr(form, "region"):
            form.region.data = "410783"
        ids["targets"] = _save(LIBRARIES["targets"], form, admin, session).id
        with uploads_for(Owner("410783", CREDIT, admin.id)):
            contract = save_upload(FileStorage(io.BytesIO(PDF), filename="改造项目合同.pdf"), file_type=5,
                                   owner_region="410783", owner_credit=CREDIT, user_id=admin.id, session=session)
            archive = full(needs=2, maps=2)
            archive["contractInfo"] = {"fileName": "改造项目合同.pdf", "fileType": 5, "fileCategory": "pdf",
                                       "fileSize": str(len(PDF)), "file": contract.id}
            archive["fileList"] = [{"fileName": "验收报告.pdf", "fileType": 6, "fileCategory": "pdf",
                                    "fileSize": str(len(PDF)), "file": contract.id}]
            ids["archives"] = _save(LIBRARIES["archives"], ArchiveForm.from_wire(archive), admin, session).id
    return ids


def test_every_library_is_accepted_by_a_strict_upper_platform_on_the_defaults(make_app, make_user, strict):
    app = make_app(**_settings(strict))
    assert app.config["ARCHIVE_TRANS_RESULT"] == "both"  # the default, not set here
    admin = make_user(roles.CITY_ADMIN, "410700")
    ids = _five(app, admin)
    for key, record_id in ids.items():
        assert queue(app, admin, key, [record_id]).queued == 1
    summary = push(app)
    assert strict.refusals == []
    assert (summary.batches, summary.added, summary.failed) == (5, 5, 0), summary.text()
    assert {u.library for u in strict.uploads} == set(LIBRARIES) and all(u.answer == "200" for u in strict.uploads)
    archive = next(u for u in strict.uploads if u.library == "archives").objects[0]
    assert len(archive["transNeeds"]) == 2 and len(archive["transInfo"]["transMaps"]) == 2
    assert archive["contractInfo"]["file"] and archive["fileList"][0]["file"]
    assert all(i.state == SENT for i in items(app))


@pytest.mark.parametrize("mode", ["code", "object"])
def test_the_other_archive_layouts_are_refused_by_a_strict_platform(make_app, make_user, strict, mode):
    """Why `both` is the default: the explicit alternatives send a name table 2.6 does not have."""
    app = make_app(**_settings(strict, ARCHIVE_TRANS_RESULT=mode))
    admin = make_user(roles.CITY_ADMIN, "410700")
    ids = _five(app, admin)
    queue(app, admin, "archives", [ids["archives"]])
    assert push(app).failed == 1
    [(_, _, problems)] = strict.refusals
    assert f"未知属性 {'transResultAfter' if mode == 'code' else 'transResultCode'}" in problems


def test_the_strict_tables_refuse_what_the_issue_lists():
    """The receiver's own checks, so the acceptance above means something."""
    good = {**PROVIDER}
    assert strict_problems("providers", good, top=True) == []
    assert strict_problems("providers", {**good, "serviceType": "2"}, top=True) == ["serviceType：类型错误（str）"]
    assert strict_problems("providers", {**good, "serviceType": 9}, top=True) == ["serviceType：代码 9 不在规范的字典中"]
    assert strict_problems("providers", {**good, "extra": 1}, top=True) == ["未知属性 extra"]


# ---------------------------------------------------------------------------------------- pre-flight

def _corrupt(app, key: str, record_id: int, **changes) -> None:
    """Change a record's formal version behind the forms' back (an old rule, an import, a bad migration)."""
    lib = LIBRARIES[key]
    with app.app_context():
        session = get_session()
        with write(session):
            record = session.get(lib.model, record_id)
            formal = {**json.loads(record.formal_payload), **changes}
            record.formal_payload = json.dumps(formal, ensure_ascii=False)


def test_a_record_that_would_fail_is_held_with_the_field_reason_without_a_call(make_app, make_user, strict, client):
    app = make_app(**_settings(strict))
    admin = make_user(roles.CITY_ADMIN, "410700")
    ids = approved_pilots(app, admin, 3)
    _corrupt(app, "pilots", ids[0], industryName="不存在的行业")  # a code outside the dictionary
    _corrupt(app, "pilots", ids[1], companyName="")  # a Y field empty on a final push
    _corrupt(app, "pilots", ids[2], creditCode=914107830000000001)  # a number where the table says VARCHAR
    queue(app, admin, "pilots", ids)
    summary = push(app)
    assert strict.uploads == [] and summary.batches == 0  # nothing left: no call spent
    with app.app_context():
        assert get_session().exec(select(PushBatch)).all() == []
    got = {i.record_id: i for i in items(app)}
    assert all(i.state == FAILED and i.message.startswith("推送前检查未通过") for i in got.values())
    assert "行业" in got[ids[0]].message
    assert "企业名称" in got[ids[1]].message and "必须填写" in got[ids[1]].message
    assert "creditCode" in got[ids[2]].message and "应为文本" in got[ids[2]].message
    # The push centre shows the reasons in Chinese beside the state.
    test_client = app.test_client()
    login(test_client, admin.username)
    page = test_client.get("/docking/push?lib=pilots").get_data(as_text=True)
    assert "推送前检查未通过" in page and "推送失败" in page


# ---------------------------------------------------------------------------- 89501 / 89503 stop the pass

@pytest.mark.parametrize("code", [protocol.OUTSIDE_WINDOW, protocol.QUOTA_USED])
def test_a_pass_stops_on_89501_and_89503_whatever_library_is_next(make_app, make_user, strict, code):
    app = make_app(**_settings(strict))
    admin = make_user(roles.CITY_ADMIN, "410700")
    ids = _five(app, admin)
    for key in ("pilots", "providers", "targets"):
        queue(app, admin, key, [ids[key]])
    strict.script(code)
    summary = push(app)
    assert len(strict.uploads) == 1 and summary.batches == 1  # no call for the next library
    assert summary.blocked is not None and summary.blocked.reason == ("window" if code == "89503" else "quota")
    later = [i for i in items(app) if i.state == QUEUED]
    assert len(later) == 3 and all(i.next_attempt_at > clock.now() + timedelta(minutes=1) for i in later)
    assert push(app).batches == 0 and len(strict.uploads) == 1  # nor on the next poll


# ------------------------------------------------------------------------------ results and the answer

def test_mixed_counts_are_followed_and_marked_as_inferred(make_app, make_user, strict):
    strict.result_list = False
    app = make_app(**_settings(strict))
    admin = make_user(roles.CITY_ADMIN, "410700")
    ids = approved_pilots(app, admin, 3)
    queue(app, admin, "pilots", ids)
    push(app)
    assert {s.label for s in states(app).values()} == {"已推送（新增）"}  # addTotal covers all: certain
    # The upper platform lost two of them: it answers add 2 / update 1 for three records pushed before.
    strict.known["pilots"] = {strict.uploads[0].keys[2]}
    queue(app, admin, "pilots", ids)
    push(app)
    labels = sorted(s.label for s in states(app).values())
    assert labels == ["已推送（新增，推断）", "已推送（新增，推断）", "已推送（更新，推断）"]
    assert all("推断" in (s.reason or "") for s in states(app).values())


# ---------------------------------------------------------------------------- what an administrator sees

def test_the_latest_error_is_the_latest_state(make_app, make_user, strict):
    app = make_app(**_settings(strict, DOCKING_CLIENT_SECRET="wrong"))
    admin = make_user(roles.CITY_ADMIN, "410700")
    queue(app, admin, "pilots", approved_pilots(app, admin, 1))
    push(app)

    def last_error():
        with app.app_context():
            session = get_session()
            return current(session, load_config(session)).last_error

    assert "40001" in last_error()
    with app.app_context():  # the secret is fixed and pushing resumed …
        save_settings(get_session(), actor=admin, values={}, client_secret=strict.client_secret)
    strict.script("403", "403")  # … and now the real problem is a second 403
    push(app)
    assert "40001" not in last_error() and "403" in last_error()


def test_a_new_upper_platform_starts_its_own_weekly_count(make_app, make_user, strict):
    app = make_app(**_settings(strict, DOCKING_WEEKLY_QUOTA=2))
    admin = make_user(roles.CITY_ADMIN, "410700")
    ids = approved_pilots(app, admin, 4)
    for record_id in ids[:2]:
        queue(app, admin, "pilots", [record_id])
        push(app)
    assert len(strict.uploads) == 2
    other = UpperStub(strict=True, grant_type=GRANT_TYPE, layout=LAYOUT, username="another-city").start()
    try:
        with app.app_context():
            session = get_session()
            with write(session):  # the old platform had also said 89501 this week
                session.exec(select(DockingState)).one().quota_used_week = protocol.iso_week(clock.now())
            import_config(session, actor=admin, text=other.config_file(weekly_quota=2))
            assert current(session, load_config(session)).calls_this_week == 0
        queue(app, admin, "pilots", ids[2:])
        assert push(app).added == 2 and len(other.uploads) == 1
    finally:
        other.stop()


def test_a_secret_from_the_environment_says_where_it_comes_from(make_app, make_user, strict):
    app = make_app(**_settings(strict))
    admin = make_user(roles.CITY_ADMIN, "410700")
    client = app.test_client()
    login(client, admin.username)
    def hint(name):
        page = client.get("/docking/settings").get_data(as_text=True)
        match = re.search(rf'data-source="{name}">([^<]*)<', page)
        assert match, page
        placeholder = re.search(rf'name="{name}"[^>]*placeholder="([^"]*)"', page)
        return match.group(1), placeholder.group(1) if placeholder else ""

    for name, env in (("client_secret", "SMEDT_DOCKING_CLIENT_SECRET"), ("sm4_key", "SMEDT_DOCKING_SM4_KEY")):
        text, placeholder = hint(name)
        assert env in text and "服务器环境配置" in text and "已保存" not in placeholder + text
    with app.app_context():
        save_settings(get_session(), actor=admin, values={}, client_secret="typed-here")
    text, placeholder = hint("client_secret")
    assert "在本页保存的值" in text and "已保存" in placeholder


def test_saving_a_new_window_reschedules_waiting_items(make_app, make_user, strict):
    now = clock.now().astimezone(protocol.SHANGHAI)
    closed = f"{(now.hour + 2) % 24:02d}:00-{(now.hour + 3) % 24:02d}:00"  # a window that is not open now
    app = make_app(**_settings(strict, DOCKING_WINDOW=closed))
    admin = make_user(roles.CITY_ADMIN, "410700")
    queue(app, admin, "pilots", approved_pilots(app, admin, 2))
    assert push(app).blocked.reason == "window"
    assert all(i.next_attempt_at > clock.now() + timedelta(minutes=30) for i in items(app))
    with app.app_context():
        save_settings(get_session(), actor=admin, values={"push_window": "00:00-00:00"})
    assert all(i.next_attempt_at <= clock.now() for i in items(app))
    assert push(app).added == 2


def test_calls_before_the_upgrade_count_for_the_configured_platform(make_app, make_user, strict):
    """Rows written before calls named their upper platform ("") still count, so an upgrade mid-week
    does not hand out a second quota."""
    app = make_app(**_settings(strict, DOCKING_WEEKLY_QUOTA=1))
    admin = make_user(roles.CITY_ADMIN, "410700")
    ids = approved_pilots(app, admin, 2)
    queue(app, admin, "pilots", ids[:1])
    push(app)
    with app.app_context():
        session = get_session()
        with write(session):
            session.execute(update(PushBatch).values(upper=""))
    queue(app, admin, "pilots", ids[1:])
    assert push(app).blocked.reason == "quota" and len(strict.uploads) == 1
