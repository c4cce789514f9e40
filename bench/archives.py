"""Loading and saving a full 一企一档 archive, and the editor's page times.

    .venv/bin/python bench/archives.py [--runs 50] [--requests 100]

Builds a fresh instance folder (migrations, reference data), saves the providers and products the
archive uses through their forms, and an archive with 20 transformation needs and 20 transformation
contents (every attribute filled, each content linked to a need, each used product rated).

1. In process, `--runs` times each (after 3 warm-up runs), median and p95 in milliseconds:
   - load: read the record and build its form from the stored payload (what every stage page does);
   - save: lay one stage's posted inputs over the stored archive, validate the whole archive (library
     checks included) and write it (BEGIN IMMEDIATE, audit event), as a stage save does;
   - Word file: load, build the printable sections and the .docx, as the download does.
2. Over HTTP, the app served by waitress on 127.0.0.1 and a logged-in enterprise user: `--requests`
   GETs of each stage page, the overview and the print page (warm-ups and time budget as in
   bench/libraries.py); median and p95. The target is a p95 under 200 ms.

Only 127.0.0.1 is contacted; the instance folder is removed at the end, also on error.
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # `import app` when run as `python bench/archives.py`
sys.path.insert(0, str(ROOT / "bench"))

from libraries import Client, p95, timed  # noqa: E402  (bench/libraries.py: the HTTP client and timing)

WARMUP_RUNS = 3
TARGET_P95_MS = 200
NEEDS = CONTENTS = 20
CREDIT = "91410783MA40QX1C3G"
PASSWORD = "Bench-Archive-2026"
PROVIDERS = {"新乡智云数字科技有限公司": "91410700MA44XWX35Y", "河南中原工业互联网服务有限公司": "914403001922038216"}
PAIRS = [("新乡智云数字科技有限公司", "起重设备远程运维平台"), ("河南中原工业互联网服务有限公司", "工业设备物联平台"),
         ("新乡智云数字科技有限公司", "质量追溯系统")]


def figures(samples: list[float]) -> str:
    return f"median {statistics.median(samples):7.1f} ms   p95 {p95(samples):7.1f} ms   (n={len(samples)})"


def seed(app):
    """Users, the library records the archive names, and the archive; returns the archive's id."""
    from app.accounts import roles, service
    from app.archives.example import example_payload
    from app.archives.forms import ArchiveForm
    from app.db import get_session
    from app.libraries.registry import LIBRARIES
    from app.libraries.service import save
    from app.products.forms import ProductForm
    from app.providers.forms import ProviderForm

    with app.test_request_context():
        session = get_session()
        admin = service.create_user(session, actor=None, username="bench_city", role=roles.CITY_ADMIN,
                                    region_code="410700", password=PASSWORD, must_change_password=False)
        enterprise = service.create_user(session, actor=None, username="bench_ent", role=roles.ENTERPRISE,
                                         region_code="410783", credit_code=CREDIT, password=PASSWORD,
                                         display_name="长垣市恒力起重机械有限公司", must_change_password=False)
        for name, credit in PROVIDERS.items():
            form = ProviderForm.from_wire({"serviceName": name, "unifiedCreditCode": credit, "contactPerson": "李明",
                                           "contactPhone": "0373-1234567", "address": "新乡市", "serviceType": 2})
            form.region.data = "410783"
            save(LIBRARIES["providers"], form, user=admin, session=session, submit=False)
        for provider, product in PAIRS:
            form = ProductForm.from_wire({"softwareName": product, "companyName": provider})
            save(LIBRARIES["products"], form, user=admin, session=session, submit=False)
        payload = example_payload("长垣市恒力起重机械有限公司", CREDIT, PAIRS, needs=NEEDS, maps=CONTENTS)
        form = ArchiveForm.from_wire(payload)
        if not form.validate_for(submit=True):
            raise SystemExit(f"示例档案无效：{form.errors}")
        record = save(LIBRARIES["archives"], form, user=enterprise, session=session, submit=False)
        return record.id, enterprise.id


def in_process(app, record_id: int, user_id: int, runs: int) -> None:
    from werkzeug.datastructures import MultiDict

    from app.accounts.models import User
    from app.archives import document, stages
    from app.archives.forms import ArchiveForm
    from app.archives.models import Archive
    from app.archives.word import archive_docx
    from app.db import get_session
    from app.files.fields import Owner, uploads_for
    from app.libraries.registry import LIBRARIES
    from app.libraries.service import save

    def load():
        session = get_session()
        session.expire_all()
        record = session.get(Archive, record_id)
        return record, ArchiveForm.from_wire(record.wire)

    def save_stage():
        record, form = load()
        stage = stages.BY_KEY["contents"]
        owns = stage.owns(form)
        stored = ArchiveForm.formdata_of(record.wire)
        merged = MultiDict([(k, v) for k, v in stored.items(multi=True) if not owns(k)])
        for k, v in stored.items(multi=True):  # the posted stage: its inputs unchanged
            if owns(k):
                merged.add(k, v)
        form = ArchiveForm(formdata=merged, meta={"csrf": False})
        user = get_session().get(User, user_id)
        with uploads_for(Owner(record.region_code, record.credit_code, user.id)):
            if not form.validate_for(submit=False):
                raise SystemExit(f"保存失败：{form.errors}")
        save(LIBRARIES["archives"], form, user=user, session=get_session(), submit=False, record=record)

    def word_file():
        record, form = load()
        return archive_docx(record, document.sections(form), region_name="长垣市")

    with app.test_request_context():
        size = len(get_session().get(Archive, record_id).payload.encode())
        print(f"archive: {NEEDS} needs, {CONTENTS} contents, payload {size / 1024:.1f} KiB, "
              f"Word file {len(word_file()) / 1024:.1f} KiB")
        for name, action in (("load (record → form)", load),
                             ("save (stage over archive, validate, write)", save_stage),
                             ("Word file (load, sections, .docx)", word_file)):
            samples = []
            for i in range(WARMUP_RUNS + runs):
                start = time.perf_counter()
                action()
                if i >= WARMUP_RUNS:
                    samples.append((time.perf_counter() - start) * 1000)
            print(f"  {name:<44} {figures(samples)}")


def over_http(app, record_id: int, requests: int) -> bool:
    from waitress import create_server

    from app.archives import stages

    server = create_server(app, host="127.0.0.1", port=0, threads=4)
    threading.Thread(target=server.run, daemon=True).start()
    try:
        client = Client(f"http://127.0.0.1:{server.effective_port}")
        client.login("bench_ent", PASSWORD)
        pages = [(f"stage {s.key}", f"/archives/{record_id}/stage/{s.key}") for s in stages.STAGES]
        pages += [("overview", f"/archives/{record_id}"), ("print", f"/archives/{record_id}/print")]
        ok = True
        print(f"pages over HTTP (target p95 < {TARGET_P95_MS} ms):")
        for name, path in pages:
            if "一企一档" not in client.get(path)[1]:
                raise SystemExit(f"{path} 没有返回档案页面")
            samples = timed(client, path, {}, requests)
            ok &= p95(samples) < TARGET_P95_MS or not name.startswith("stage")
            print(f"  {name:<20} {figures(samples)}")
        return ok
    finally:
        server.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--requests", type=int, default=100)
    args = parser.parse_args()
    instance = Path(tempfile.mkdtemp(prefix="smedt-bench-archives-"))
    os.environ["SMEDT_INSTANCE_PATH"] = str(instance)
    try:
        from app import create_app
        from app.db import get_session
        from app.dicts.loader import load_reference_data
        from app.migrate import upgrade

        app = create_app({"WTF_CSRF_ENABLED": True})
        upgrade(app.config["DATABASE_URL"])
        with app.app_context():
            load_reference_data(get_session())
        record_id, user_id = seed(app)
        in_process(app, record_id, user_id, args.runs)
        ok = over_http(app, record_id, args.requests)
        print("stage pages: " + ("all within target" if ok else "TARGET MISSED"))
    finally:
        shutil.rmtree(instance, ignore_errors=True)


if __name__ == "__main__":
    main()
