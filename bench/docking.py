"""A county instance pushes 10 000 一企一档 archives to its city instance, both on 127.0.0.1.

    .venv/bin/python bench/docking.py [--records 10000] [--needs 3] [--contents 3]

1. Two instance folders, each migrated and loaded with the reference data as run.py does. The city
   (upper) gets its hub administrator and approver, the county account the platform is bound to, and the
   providers and products the archives name; the county platform is registered and approved through
   app.hub.service with an all-day window, a quota that does not bind and the spec's 10 MB request
   limit, and docking is switched on. The county (lower) imports the configuration file the approval
   produced and gets `--records` formal archives: one complete archive (`--needs` needs, `--contents`
   contents) is validated with the declaration, then copied under new names and credit codes and
   bulk-inserted as approved records.
2. The city runs as run.py. The county queues every archive (queue.queue_matching, timed) and runs
   `flask --app app docking push` — one pass, in its own process — with DOCKING_BATCH_MAX_RECORDS high,
   so that the 10 MB request limit alone decides how many archives travel in one call.
3. Printed: batches, bytes sent, wall time, records/s and the push process's peak memory (ru_maxrss, from
   wait4); the city's requests/s and records/s while receiving, and its peak memory (VmHWM); then it
   checks that the city holds one pending submission per archive and the county shows every archive
   已推送（新增）.

Only 127.0.0.1 is contacted; the instance folders are removed at the end, also on error.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # `import app` when run as `python bench/docking.py`
sys.path.insert(0, str(ROOT / "bench"))

from libraries import free_port, wait_until_up  # noqa: E402  (bench/libraries.py)

COUNTY, CITY = "410783", "410700"
PASSWORD = "Bench-Docking-2026"
PROVIDER = ("新乡智云数字科技有限公司", "91410700MA44XWX35Y")
PRODUCTS = ("起重设备远程运维平台", "质量追溯系统")
INSERT_BATCH = 1000


def make_app(folder: Path, **env):
    """An app on `folder` (migrated, reference data loaded), with SMEDT_* settings `env`."""
    from app import create_app
    from app.db import get_session
    from app.dicts.loader import load_reference_data
    from app.migrate import upgrade

    os.environ["SMEDT_INSTANCE_PATH"] = str(folder)
    for name, value in env.items():
        os.environ[f"SMEDT_{name}"] = str(value)
    app = create_app({"DOCKING_WORKER": False})
    upgrade(app.config["DATABASE_URL"])
    with app.app_context():
        load_reference_data(get_session())
    for name in env:
        os.environ.pop(f"SMEDT_{name}")
    return app


def seed_libraries(session, admin) -> None:
    """The provider and products the archives name (the archive's declaration checks they exist)."""
    from app.libraries.registry import LIBRARIES
    from app.libraries.service import save
    from app.products.forms import ProductForm
    from app.providers.forms import ProviderForm

    form = ProviderForm.from_wire({"serviceName": PROVIDER[0], "unifiedCreditCode": PROVIDER[1],
                                   "contactPerson": "李明", "contactPhone": "0373-1234567", "address": "新乡市",
                                   "serviceType": 2})
    form.region.data = COUNTY
    save(LIBRARIES["providers"], form, user=admin, session=session, submit=False)
    for product in PRODUCTS:
        save(LIBRARIES["products"], ProductForm.from_wire({"softwareName": product, "companyName": PROVIDER[0]}),
             user=admin, session=session, submit=False)


def seed_upper(folder: Path, port: int) -> str:
    """The city with the county platform approved; returns the configuration file for the county."""
    from app.accounts import roles
    from app.accounts.service import create_user
    from app.db import get_session
    from app.hub import service as hub

    app = make_app(folder, PUBLIC_URL=f"http://127.0.0.1:{port}")
    with app.test_request_context():
        session = get_session()

        def user(username, role, region):
            return create_user(session, actor=None, username=username, role=role, region_code=region,
                               password=PASSWORD, display_name=username, must_change_password=False)

        admin, approver = user("hub", roles.HUB_ADMIN, CITY), user("approver", roles.HUB_APPROVER, CITY)
        city, bound = user("city", roles.CITY_ADMIN, CITY), user("county", roles.COUNTY_OFFICIAL, COUNTY)
        seed_libraries(session, city)
        platform = hub.register(session, actor=admin, name="长垣市中小企业数字化转型公共服务平台",
                                domain="szzx.changyuan.gov.cn", bound_user=bound, push_window="00:00-00:00",
                                weekly_quota=10000, max_bytes=10 * 1024 * 1024)
        hub.set_docking(session, enabled=True, actor=admin)
        return hub.approve(session, platform, actor=approver).config_text


def archive_rows(template: dict, count: int):
    """`count` approved archives: the template under new company names and credit codes."""
    from app.dicts.validators import credit_code_check_char

    now = datetime.now(UTC)
    for i in range(count):
        first17 = f"91{COUNTY}9{i:08d}"
        credit = first17 + credit_code_check_char(first17)
        name = f"长垣市第{i + 1:05d}号起重机械有限公司"
        payload = json.dumps({**template, "companyName": name, "creditCode": credit}, ensure_ascii=False)
        yield {"status": "approved", "region_code": COUNTY, "credit_code": credit, "title": name,
               "industry": template["industryName"], "payload": payload, "formal_payload": payload,
               "formal_at": now, "created_by": None, "created_at": now, "updated_at": now, "submitted_at": now,
               "progress": "basic,needs,before,contents,after"}


def seed_lower(folder: Path, config: str, records: int, needs: int, contents: int) -> None:
    from sqlalchemy import insert

    from app.accounts import roles
    from app.accounts.service import create_user
    from app.archives.example import example_payload
    from app.archives.forms import ArchiveForm
    from app.archives.models import Archive
    from app.db import get_engine, get_session
    from app.docking.settings import import_config

    app = make_app(folder)
    with app.test_request_context():
        session = get_session()
        admin = create_user(session, actor=None, username="county_admin", role=roles.CITY_ADMIN,
                            region_code=COUNTY, password=PASSWORD, display_name="长垣市平台管理员",
                            must_change_password=False)
        seed_libraries(session, admin)
        import_config(session, actor=admin, text=config)
        template = example_payload("模板企业", "91410783MA40QX1C3G", [(PROVIDER[0], p) for p in PRODUCTS],
                                   needs=needs, maps=contents)
        form = ArchiveForm.from_wire(template)
        if not form.validate_for(submit=True):
            raise SystemExit(f"示例档案无效：{form.errors}")
        template = form.to_wire()
        session.close()
        began, batch = time.perf_counter(), []
        with get_engine().begin() as conn:
            for row in archive_rows(template, records):
                batch.append(row)
                if len(batch) == INSERT_BATCH:
                    conn.execute(insert(Archive.__table__), batch)
                    batch = []
            if batch:
                conn.execute(insert(Archive.__table__), batch)
        size = len(json.dumps(template, ensure_ascii=False).encode())
        print(f"county: {records} formal archives of {size / 1024:.1f} KiB each inserted in "
              f"{time.perf_counter() - began:.1f} s", flush=True)


def queue_all(folder: Path) -> float:
    from sqlmodel import select

    from app.accounts.models import User
    from app.db import get_session
    from app.docking import queue
    from app.libraries.registry import LIBRARIES

    app = make_app(folder)
    with app.test_request_context():
        session = get_session()
        admin = session.exec(select(User).where(User.username == "county_admin")).one()
        lib = LIBRARIES["archives"]
        began = time.perf_counter()
        stmt = select(lib.model).where(lib.model.region_code.startswith(COUNTY))
        result = queue.queue_matching(session, lib, stmt, actor=admin, scope_prefix=COUNTY)
        seconds = time.perf_counter() - began
    print(f"county: {result.queued} archives queued in {seconds:.2f} s", flush=True)
    return seconds


def peak_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def results(lower: Path, upper: Path) -> dict:
    import sqlite3

    with sqlite3.connect(lower / "smedt.db") as db:
        batches = db.execute("SELECT COUNT(*), COALESCE(SUM(bytes), 0) FROM docking_batch").fetchone()
        states = dict(db.execute("SELECT state, COUNT(*) FROM docking_record_state GROUP BY state").fetchall())
    with sqlite3.connect(upper / "smedt.db") as db:
        pending = db.execute("SELECT COUNT(*) FROM review_submission WHERE source = 'hub' "
                             "AND status = 'pending'").fetchone()[0]
    return {"batches": batches[0], "bytes": batches[1], "states": states, "pending": pending}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=10000)
    parser.add_argument("--needs", type=int, default=3)
    parser.add_argument("--contents", type=int, default=3)
    args = parser.parse_args(argv)

    root = Path(tempfile.mkdtemp(prefix="smedt-bench-docking-"))
    upper, lower = root / "city", root / "county"
    upper.mkdir()
    lower.mkdir()
    server = None
    try:
        port = free_port()
        config = seed_upper(upper, port)
        seed_lower(lower, config, args.records, args.needs, args.contents)
        queue_all(lower)

        env = {k: v for k, v in os.environ.items() if not k.startswith("SMEDT_")}
        log = (upper / "server.log").open("wb")
        server = subprocess.Popen([sys.executable, "run.py", "--port", str(port), "--threads", "4"], cwd=ROOT,
                                  env={**env, "SMEDT_INSTANCE_PATH": str(upper), "SMEDT_PUBLIC_URL":
                                       f"http://127.0.0.1:{port}"}, stdout=log, stderr=subprocess.STDOUT)
        wait_until_up(f"http://127.0.0.1:{port}", server)
        base_memory = peak_kib(server.pid)

        push_env = {**env, "SMEDT_INSTANCE_PATH": str(lower), "SMEDT_DOCKING_BATCH_MAX_RECORDS": "100000",
                    "SMEDT_DOCKING_TIMEOUT_SECONDS": "600", "SMEDT_DOCKING_LEASE_SECONDS": "1800"}
        began = time.perf_counter()
        push = subprocess.Popen([sys.executable, "-m", "flask", "--app", "app", "docking", "push"], cwd=ROOT,
                                env=push_env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        output = push.stdout.read().decode()
        _, status, usage = os.wait4(push.pid, 0)
        wall = time.perf_counter() - began
        if status != 0:
            raise SystemExit(f"推送进程失败：\n{output}")
        upper_peak = peak_kib(server.pid)
        figures = results(lower, upper)

        print(f"push: {output.strip()}")
        print(f"batches            {figures['batches']}")
        print(f"bytes sent         {figures['bytes'] / 1024 / 1024:.1f} MiB "
              f"({figures['bytes'] / max(figures['batches'], 1) / 1024 / 1024:.2f} MiB per batch)")
        print(f"wall time          {wall:.1f} s")
        print(f"records/s          {args.records / wall:.0f}")
        print(f"requests/s (city)  {figures['batches'] / wall:.2f}")
        print(f"push process peak  {usage.ru_maxrss / 1024:.0f} MiB (ru_maxrss)")
        print(f"city peak memory   {upper_peak / 1024:.0f} MiB (VmHWM; {base_memory / 1024:.0f} MiB before the push)")
        print(f"county push states {figures['states']}")
        print(f"city pending hub submissions {figures['pending']}")
        if figures["pending"] != args.records or figures["states"].get("added") != args.records:
            raise SystemExit("有数据未送达或未入队审核")
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=10)
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
