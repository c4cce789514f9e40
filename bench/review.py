"""The review queue on a full-size database: the queue page at 100 000 open submissions, and a bulk
approval of 1 000 submissions.

    .venv/bin/python bench/review.py [--requests 200] [--keep]

Builds a fresh instance folder (migrations, reference data), bulk-inserts 100 000 pilot enterprises in the
counties of 新乡市 (410700), each with one submission that the county has approved and that awaits the
city's confirmation, so the city administrator's queue holds all 100 000. It starts `run.py` on a free
loopback port, logs the city administrator in over HTTP and times `--requests` sequential requests per
scenario (first page, page 50, library / region / submitter / date filters, the htmx fragment, one review
pane) after 10 warm-up ones, printing the median and p95 in milliseconds (target: p95 under 150 ms). Then
it posts one 批量通过 of the 1 000 oldest submissions, as the queue's htmx form does, and prints how long
the request took (target: under 5 s) and checks that 1 000 records became formal.

Only 127.0.0.1 is contacted. The server is stopped and the instance folder removed at the end, also on
error; `--keep` keeps the folder (and prints its path).
"""
from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import signal
import statistics
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from libraries import (  # noqa: E402  (bench/libraries.py: seeding helpers, the server and the HTTP client)
    PILOT,
    Client,
    bulk_insert,
    credit_code,
    henan_counties,
    p95,
    server,
    timed,
)

N = 100_000
BULK = 1_000
TARGET_P95_MS = 150
TARGET_BULK_S = 5
CITY, COUNTY = "410700", "410783"
SUBMITTERS = [f"{s}{g}" for s in "王李张刘陈杨赵黄周吴" for g in ["明", "伟", "芳", "娜", "强"]]


def seed() -> dict:
    """Migrate, load reference data, insert N pilot records and their N open submissions, create the admin."""
    from app import create_app
    from app.accounts import roles
    from app.accounts.passwords import generate_password
    from app.accounts.service import create_user
    from app.db import get_engine, get_session
    from app.dicts.loader import load_reference_data
    from app.dicts.spec_dicts import codes
    from app.migrate import upgrade
    from app.pilots.models import PilotEnterprise
    from app.review.models import Submission

    app = create_app()
    upgrade(app.config["DATABASE_URL"])
    rng, now = random.Random(20261125), datetime.now(UTC)
    with app.app_context():
        session = get_session()
        load_reference_data(session)
        counties = [c for c in henan_counties(session) if c.code.startswith(CITY[:4])]
        industries = list(codes("industry"))
        session.close()
        engine = get_engine()
        began = time.perf_counter()
        records, subs = [], []
        for i in range(N):
            county = counties[i % len(counties)]
            name = f"{county.place}测试企业{i + 1}有限公司"
            credit = credit_code(county, 1, i)
            payload = json.dumps({**PILOT, "companyName": name, "creditCode": credit, "cityCode": CITY,
                                  "industryName": rng.choice(industries)}, ensure_ascii=False)
            created = now - timedelta(seconds=rng.uniform(0, 30 * 86400))
            records.append({"id": i + 1, "status": "submitted", "region_code": county.code, "credit_code": credit,
                            "title": name, "industry": None, "payload": payload, "created_by": None,
                            "created_at": created, "updated_at": created, "submitted_at": created})
            subs.append({"library": "pilots", "record_id": i + 1, "title": name, "payload": payload, "source": "form",
                         "submitter_id": None, "submitter_name": rng.choice(SUBMITTERS), "region_code": county.code,
                         "credit_code": credit, "status": "county_approved", "levels": "county+city",
                         "awaiting": "city", "created_at": created})
        bulk_insert(engine, PilotEnterprise.__table__, iter(records))
        bulk_insert(engine, Submission.__table__, iter(subs))
        seconds = time.perf_counter() - began
        password = generate_password()
        create_user(session, actor=None, username="bench_city", role=roles.CITY_ADMIN, region_code=CITY,
                    password=password, must_change_password=False)
        engine.dispose()
    print(f"seeded {N} pilot enterprises and {N} submissions awaiting the city in {seconds:.1f} s", flush=True)
    return {"password": password}


def oldest_ids(instance: Path, count: int) -> list[int]:
    import sqlite3

    with sqlite3.connect(instance / "smedt.db") as conn:
        rows = conn.execute("SELECT id FROM review_submission WHERE awaiting = 'city' "
                            "ORDER BY created_at, id LIMIT ?", (count,)).fetchall()
    return [r[0] for r in rows]


def formal_count(instance: Path) -> int:
    import sqlite3

    with sqlite3.connect(instance / "smedt.db") as conn:
        return conn.execute("SELECT count(*) FROM pilot_enterprise WHERE formal_payload IS NOT NULL").fetchone()[0]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200, help="timed requests per scenario (default 200)")
    parser.add_argument("--keep", action="store_true", help="keep the instance folder and print its path")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    instance = Path(tempfile.mkdtemp(prefix="smedt-bench-review-")) / "instance"
    os.environ["SMEDT_INSTANCE_PATH"] = str(instance)
    os.environ.pop("SMEDT_DATABASE_URL", None)
    count = max(1, min(args.requests, 10_000))
    try:
        info = seed()
        with server(instance) as base:
            client = Client(base)
            client.login("bench_city", info["password"])
            _, page = client.get("/review/")
            first = re.search(r'/review/(\d+)"', page)
            if "共 100000 条" not in page or first is None:
                raise SystemExit("审核队列没有显示 100000 条待审申请")
            day = (datetime.now(UTC) - timedelta(days=3)).date().isoformat()
            scenarios = [("queue, first page", "/review/", False), ("queue, page 50", "/review/?page=50", False),
                         ("filter library=pilots", "/review/?library=pilots", False),
                         (f"filter region={COUNTY}", f"/review/?region={COUNTY}", False),
                         ("filter submitter=王明", "/review/?submitter=" + urllib.parse.quote("王明"), False),
                         (f"filter date_from={day}", f"/review/?date_from={day}", False),
                         ("htmx queue fragment", "/review/?page=2", True),
                         ("review pane (htmx)", f"/review/{first[1]}", True)]
            header = f"{'scenario':<28} {'n':>4} {'median ms':>10} {'p95 ms':>8}"
            print(f"\n{header}\n{'-' * len(header)}", flush=True)
            over = 0
            for name, path, htmx in scenarios:
                times = timed(client, path, {"HX-Request": "true"} if htmx else {}, count)
                high = p95(times)
                over += high > TARGET_P95_MS
                flag = "  > target" if high > TARGET_P95_MS else ""
                print(f"{name:<28} {len(times):>4} {statistics.median(times):>10.1f} {high:>8.1f}{flag}", flush=True)

            token = re.search(r'"X-CSRFToken": "([^"]+)"', page)[1]
            ids = oldest_ids(instance, BULK)
            data = urllib.parse.urlencode({"ids": ",".join(map(str, ids))}).encode()
            request = urllib.request.Request(f"{base}/review/bulk", data=data, headers={
                "HX-Request": "true", "X-CSRFToken": token})
            began = time.perf_counter()
            with client.opener.open(request, timeout=120) as resp:
                body = resp.read().decode()
            seconds = time.perf_counter() - began
            if f"已批量通过 {BULK} 条" not in body:
                raise SystemExit("批量通过没有通过 1000 条：" + re.sub(r"\s+", " ", body)[:300])
            formal = formal_count(instance)
            flag = "  > target" if seconds > TARGET_BULK_S else ""
            print(f"\nbulk approve of {BULK} submissions: {seconds:.2f} s (target < {TARGET_BULK_S} s){flag}; "
                  f"{formal} records now formal", flush=True)
            print(f"{len(scenarios) - over} of {len(scenarios)} queue scenarios meet the target "
                  f"(p95 < {TARGET_P95_MS} ms)")
    finally:
        if args.keep:
            print(f"instance folder kept: {instance}")
        else:
            shutil.rmtree(instance.parent, ignore_errors=True)


if __name__ == "__main__":
    main()
