"""Response times of the library list pages on a full-size database: list, paging, search, filters, sort.

    .venv/bin/python bench/libraries.py [--requests 200] [--keep]

Builds a fresh instance folder (migrations, reference data), bulk-inserts 100 000 pilot enterprises,
10 000 providers and 50 000 products spread over the counties of 河南省, creates a city administrator of
新乡市 (410700) and a provincial one (410000), starts `run.py` on a free loopback port and logs both in
over HTTP. For each of /lib/pilots/, /lib/providers/ and /lib/products/ and each scenario (first page,
page 50, keyword and credit-code search, industry / region / status filters, sort by name, the htmx
fragment) it times `--requests` sequential requests after 10 warm-up ones (a scenario stops after 60 s)
and prints the median and p95 in milliseconds; the target is a p95 under 150 ms. The region filter is
one level below the user: 长垣市 (410783) for the city administrator, 新乡市 for the provincial one;
providers have no industry, so their list has no industry filter.

Only 127.0.0.1 is contacted. The server is stopped and the instance folder removed at the end, also on
error; `--keep` keeps the folder (and prints its path) to look at the queries with EXPLAIN QUERY PLAN.
"""
from __future__ import annotations

import argparse
import http.cookiejar
import json
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # `import app` when run as `python bench/libraries.py`

N_PILOTS, N_PROVIDERS, N_PRODUCTS = 100_000, 10_000, 50_000
BATCH = 5_000
WARMUP = 10
SCENARIO_BUDGET_S = 60
START_TIMEOUT_S = 60
TARGET_P95_MS = 150
CITY, CITY_COUNTY = "410700", "410783"  # 新乡市 and its 长垣市
KEYWORD = "瑞丰"  # one of the 100 brand words below: in about 1 % of the names
USERS = [("city 410700", "bench_city", CITY), ("province 410000", "bench_province", "410000")]

# The spec payloads of tests/test_spec_forms.py (not imported: the bench does not depend on the tests).
PILOT = {
    "companyName": "长垣市恒力起重机械有限公司", "creditCode": "91110000600037341L", "provinceCode": "410000",
    "cityCode": "410700", "registAddress": "河南省/新乡市/长垣市/蒲西街道 18 号", "industryName": "专用设备制造业",
    "industrySegments": "起重机械",
}
PROVIDER = {
    "serviceName": "新乡智云数字科技有限公司", "unifiedCreditCode": "914403001922038216",
    "contactPerson": "李明", "contactPhone": "0373-1234567", "provinceCode": "410000", "cityCode": "410700",
    "address": "新乡市红旗区人民路 1 号", "serviceType": 2,
}
PRODUCT = {
    "softwareName": "起重设备远程运维平台", "companyName": "新乡智云数字科技有限公司",
    "depTypeCode": "CLOUD_NATIVE_DEPLOYMENT", "buyMethodCode": "Pay_other",
    "sofDes": "面向起重机械企业的设备联网与远程运维。", "sofInfoDes": "包括设备接入、告警、工单。",
    "releaseType": 3, "releaseDate": "2025-03-01", "priceRangeMax": 200000, "priceRangeMin": 49999.5,
    "fileList": [],  # a cover image would need a stored file; the lists do not show it
    "useSceneList": [
        {"desc": "设备运行数据实时采集与告警", "subdivideIndustry": "起重机械",
         "itemName": "生产执行数字化/设备管理/设备运行实时监测", "industryName": "专用设备制造业"},
        {"desc": "离散装配线自动化", "subdivideIndustry": "起重机械",
         "itemName": "生产执行数字化/生产管控/自动化生产作业(离散)/先进过程控制(流程)",
         "industryName": "通用设备制造业"},
    ],
}

# Names: place + brand + trade + number. The brand's two characters come from disjoint sets, so a brand
# word such as 瑞丰 only appears where it was chosen (each of the 100 brands in about 1 % of the names).
BRANDS = [a + b for a in "恒华瑞鑫宏金泰隆盛辉" for b in "达通源丰昌兴业安和信"]
TRADES = ["起重机械", "电子科技", "纺织", "化工", "智能装备", "新材料", "汽车零部件", "食品", "医药", "仪器仪表",
          "精密铸造", "电缆", "环保设备", "家具", "建材", "包装"]
SERVICES = ["数字科技", "智能制造服务", "工业互联网", "云计算", "软件技术", "信息技术咨询"]
PRODUCTS = ["设备远程运维平台", "生产执行系统", "仓储管理系统", "能耗监测平台", "质量追溯系统", "供应链协同平台",
            "数字孪生工厂", "视觉检测系统", "智能排产系统", "企业资源计划"]
SEGMENTS = ["起重机械", "农机装备", "纺织服装", "电池材料", "医疗器械", "汽车配件", "电线电缆", "食品加工"]
SURNAMES, GIVEN = "王李张刘陈杨赵黄周吴", ["明", "伟", "芳", "娜", "强", "磊", "军", "洋", "静", "丽"]
STATUSES = ["submitted"] * 7 + ["draft"] * 3


@dataclass(frozen=True)
class County:
    code: str
    name: str
    city_code: str
    city_name: str

    @property
    def place(self) -> str:
        return self.name.rstrip("市县区") or self.name


# ---------------------------------------------------------------------------------------------- seeding

def henan_counties(session) -> list[County]:
    """The county-level regions of 河南省 (GB/T 2260, level 3), with their city for the wire."""
    from sqlmodel import select

    from app.dicts.models import Region

    names = {r.code: r.name for r in session.exec(select(Region).where(Region.code.startswith("41")))}
    rows = session.exec(select(Region).where(Region.level == 3, Region.code.startswith("41")).order_by(Region.code))
    return [County(r.code, r.name, r.city_code, names.get(r.city_code, r.name)) for r in rows]


def credit_code(county: County, kind: int, serial: int) -> str:
    """A valid, unique unified social credit code: 91 + county + kind + serial + check character."""
    from app.dicts.validators import credit_code_check_char

    first17 = f"91{county.code}{kind}{serial:08d}"
    return first17 + credit_code_check_char(first17)


def timestamps(rng: random.Random, now: datetime) -> tuple[datetime, datetime]:
    """(created, updated): created within the last year, updated up to 60 days later (never in the future)."""
    created = now - timedelta(seconds=rng.uniform(0, 365 * 86400))
    updated = min(now, created + timedelta(seconds=rng.uniform(0, 60 * 86400)))
    return created, updated


def record_row(rng: random.Random, now: datetime, *, county: County, credit: str, title: str,
               industry: str | None, payload: dict) -> dict:
    created, updated = timestamps(rng, now)
    status = rng.choice(STATUSES)
    return {"status": status, "region_code": county.code, "credit_code": credit, "title": title,
            "industry": industry, "payload": json.dumps(payload, ensure_ascii=False), "created_by": None,
            "created_at": created, "updated_at": updated,
            "submitted_at": updated if status == "submitted" else None}


def pilot_rows(rng: random.Random, now: datetime, counties: list[County], industries: list[str]) -> Iterator[dict]:
    for i in range(N_PILOTS):
        county = rng.choice(counties)
        name = f"{county.place}{rng.choice(BRANDS)}{rng.choice(TRADES)}有限公司{i + 1}"
        credit, industry = credit_code(county, 1, i), rng.choice(industries)
        payload = {**PILOT, "companyName": name, "creditCode": credit, "cityCode": county.city_code,
                   "registAddress": f"河南省/{county.city_name}/{county.name}/人民路 {rng.randint(1, 999)} 号",
                   "industryName": industry, "industrySegments": rng.choice(SEGMENTS)}
        yield record_row(rng, now, county=county, credit=credit, title=name, industry=industry, payload=payload)


def provider_rows(rng: random.Random, now: datetime, counties: list[County]) -> Iterator[dict]:
    for i in range(N_PROVIDERS):
        county = rng.choice(counties)
        name = f"{county.place}{rng.choice(BRANDS)}{rng.choice(SERVICES)}有限公司{i + 1}"
        credit = credit_code(county, 2, i)
        payload = {**PROVIDER, "serviceName": name, "unifiedCreditCode": credit,
                   "contactPerson": rng.choice(SURNAMES) + rng.choice(GIVEN), "cityCode": county.city_code,
                   "contactPhone": f"0373-{rng.randint(1_000_000, 9_999_999)}",
                   "address": f"{county.name}人民路 {rng.randint(1, 999)} 号", "serviceType": rng.randint(1, 3)}
        yield record_row(rng, now, county=county, credit=credit, title=name, industry=None, payload=payload)


def product_rows(rng: random.Random, now: datetime, providers: list[tuple[County, str, str]],
                 industries: list[str]) -> Iterator[dict]:
    """Products of the seeded providers: a product sits in its provider's region and carries its code."""
    for i in range(N_PRODUCTS):
        county, credit, company = rng.choice(providers)
        title = f"{rng.choice(BRANDS)}{rng.choice(PRODUCTS)} V{i + 1}"
        scenes = [dict(scene, industryName=rng.choice(industries)) for scene in PRODUCT["useSceneList"]]
        payload = {**PRODUCT, "softwareName": title, "companyName": company, "useSceneList": scenes,
                   "releaseDate": (now - timedelta(days=rng.randint(0, 900))).date().isoformat()}
        row = record_row(rng, now, county=county, credit=credit, title=title, industry=scenes[0]["industryName"],
                         payload=payload)
        yield {**row, "company_name": company}


def bulk_insert(engine, table, rows: Iterator[dict]) -> int:
    """Insert `rows` with executemany, BATCH rows at a time, in one transaction."""
    from sqlalchemy import insert

    count, batch = 0, []
    with engine.begin() as conn:
        for row in rows:
            batch.append(row)
            if len(batch) == BATCH:
                conn.execute(insert(table), batch)
                count, batch = count + len(batch), []
        if batch:
            conn.execute(insert(table), batch)
            count += len(batch)
    return count


def seed() -> dict:
    """Migrate, load the reference data, fill the three libraries and create the two administrators.

    Returns what the scenarios need: the administrators' passwords, and per library the last ten
    characters of the credit code of one record in 新乡市 (a fragment someone pastes into the search).
    """
    from sqlmodel import select

    from app import create_app
    from app.accounts import roles
    from app.accounts.passwords import generate_password
    from app.accounts.service import create_user
    from app.db import get_engine, get_session
    from app.dicts.loader import load_reference_data
    from app.dicts.spec_dicts import codes
    from app.migrate import upgrade
    from app.pilots.models import PilotEnterprise
    from app.products.models import Product
    from app.providers.models import Provider

    app = create_app()
    upgrade(app.config["DATABASE_URL"])
    rng, now = random.Random(20261125), datetime.now(UTC)
    with app.app_context():
        session = get_session()
        load_reference_data(session)
        counties, industries = henan_counties(session), list(codes("industry"))
        session.close()  # ends its read transaction, so it later sees what the inserts below wrote
        engine = get_engine()
        began = time.perf_counter()
        bulk_insert(engine, PilotEnterprise.__table__, pilot_rows(rng, now, counties, industries))
        providers = list(provider_rows(rng, now, counties))
        bulk_insert(engine, Provider.__table__, iter(providers))
        by_code = {c.code: c for c in counties}
        owners = [(by_code[p["region_code"]], p["credit_code"], p["title"]) for p in providers]
        bulk_insert(engine, Product.__table__, product_rows(rng, now, owners, industries))
        seconds = time.perf_counter() - began
        passwords = {username: generate_password() for _, username, _ in USERS}
        for _, username, region in USERS:
            create_user(session, actor=None, username=username, role=roles.CITY_ADMIN, region_code=region,
                        password=passwords[username], must_change_password=False)
        pilot = session.exec(select(PilotEnterprise.credit_code).where(
            PilotEnterprise.region_code.startswith(CITY[:4])).limit(1)).one()
        engine.dispose()
    provider = next(p["credit_code"] for p in providers if p["region_code"].startswith(CITY[:4]))
    print(f"seeded {N_PILOTS} pilot enterprises, {N_PROVIDERS} providers and {N_PRODUCTS} products over the "
          f"{len(counties)} counties of 河南省 in {seconds:.1f} s", flush=True)
    # A product carries its provider's credit code.
    fragments = {"pilots": pilot[8:], "providers": provider[8:], "products": provider[8:]}
    return {"passwords": passwords, "fragment": fragments}


# ----------------------------------------------------------------------------------------------- server

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def server(instance: Path) -> Iterator[str]:
    """`run.py` on a free loopback port, until its first response; yields the base URL, stops it after."""
    port = free_port()
    env = {**os.environ, "SMEDT_INSTANCE_PATH": str(instance)}
    env.pop("SMEDT_DATABASE_URL", None)
    log = (instance / "server.log").open("wb")
    proc = subprocess.Popen([sys.executable, "run.py", "--port", str(port)], cwd=ROOT, env=env,
                            stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base, proc)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        log.close()


def wait_until_up(base: str, proc: subprocess.Popen) -> None:
    began = time.perf_counter()
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    while time.perf_counter() - began < START_TIMEOUT_S:
        if proc.poll() is not None:
            raise SystemExit(f"服务器已退出（返回码 {proc.returncode}），见 server.log")
        try:
            with opener.open(f"{base}/login", timeout=2) as resp:
                resp.read()
            return
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"服务器未在 {START_TIMEOUT_S} 秒内响应")


class Client:
    """A logged-in browser session over urllib: a cookie jar, no proxy, redirects followed."""

    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.ProxyHandler({}), urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def get(self, path: str, headers: dict | None = None) -> tuple[str, str]:
        """(final URL path, body) of a GET; raises on an HTTP error."""
        request = urllib.request.Request(self.base + path, headers=headers or {})
        with self.opener.open(request, timeout=30) as resp:
            return urllib.parse.urlsplit(resp.geturl()).path, resp.read().decode()

    def login(self, username: str, password: str) -> None:
        _, page = self.get("/login")
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
        if token is None:
            raise SystemExit("登录页没有 csrf_token")
        data = urllib.parse.urlencode({"username": username, "password": password, "csrf_token": token[1]})
        with self.opener.open(f"{self.base}/login", data=data.encode(), timeout=30) as resp:
            resp.read()
        if self.get("/lib/pilots/")[0] != "/lib/pilots/":
            raise SystemExit(f"{username} 登录失败")


# ------------------------------------------------------------------------------------------ measurement

@dataclass(frozen=True)
class Scenario:
    name: str
    query: dict
    htmx: bool = False


def scenarios(key: str, region: str, info: dict) -> list[Scenario]:
    """The requests of one library for a user whose region filter offers `region`."""
    out = [
        Scenario("list, first page", {}),
        Scenario("page 50 (or last)", {"page": 50}),
        Scenario(f"search q={KEYWORD}", {"q": KEYWORD}),
        Scenario("search credit-code fragment", {"q": info["fragment"][key]}),
        Scenario("filter industry", {"industry": "专用设备制造业"}),
        Scenario(f"filter region {region}", {"region": region}),
        Scenario("filter status=submitted", {"status": "submitted"}),
        Scenario("sort by title", {"sort": "title"}),
        Scenario("htmx list fragment", {}, htmx=True),
    ]
    if key == "providers":  # 服务商 records carry no industry: the list offers no 行业 filter
        out = [s for s in out if "industry" not in s.query]
    return out


def check(client: Client, path: str, scenario: Scenario) -> int:
    """The number of matching records the page reports; fails if the page is not the expected one."""
    headers = {"HX-Request": "true"} if scenario.htmx else {}
    final, body = client.get(path, headers)
    if final != urllib.parse.urlsplit(path).path:
        raise SystemExit(f"{path} 被重定向到 {final}")
    if scenario.htmx == ("<html" in body):
        raise SystemExit(f"{path}: htmx 请求应得到片段，普通请求应得到整页")
    total = re.search(r"共 (\d+) 条", body)
    return int(total[1]) if total else 0


def timed(client: Client, path: str, headers: dict, count: int) -> list[float]:
    """Milliseconds of up to `count` sequential GETs, stopping after SCENARIO_BUDGET_S."""
    for _ in range(WARMUP):
        client.get(path, headers)
    times: list[float] = []
    began = time.perf_counter()
    while len(times) < count and time.perf_counter() - began < SCENARIO_BUDGET_S:
        t0 = time.perf_counter()
        client.get(path, headers)
        times.append((time.perf_counter() - t0) * 1000)
    return times


def p95(times: list[float]) -> float:
    return statistics.quantiles(times, n=20, method="inclusive")[18] if len(times) > 1 else times[0]


def measure_user(client: Client, label: str, region: str, info: dict, count: int) -> list[tuple]:
    rows = []
    for key in ("pilots", "providers", "products"):
        for scenario in scenarios(key, region, info):
            path = f"/lib/{key}/" + (f"?{urllib.parse.urlencode(scenario.query)}" if scenario.query else "")
            matches = check(client, path, scenario)
            times = timed(client, path, {"HX-Request": "true"} if scenario.htmx else {}, count)
            row = (label, key, scenario.name, matches, len(times), statistics.median(times), p95(times))
            print_row(row)
            rows.append(row)
    return rows


HEADER = f"{'user':<16} {'library':<10} {'scenario':<30} {'matches':>8} {'n':>4} {'median ms':>10} {'p95 ms':>8}"


def print_row(row: tuple) -> None:
    label, key, name, matches, n, median, high = row
    flag = "  > target" if high > TARGET_P95_MS else ""
    print(f"{label:<16} {key:<10} {name:<30} {matches:>8} {n:>4} {median:>10.1f} {high:>8.1f}{flag}", flush=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200, help="timed requests per scenario (default 200)")
    parser.add_argument("--keep", action="store_true", help="keep the instance folder and print its path")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # a `kill` also stops the server and cleans up

    instance = Path(tempfile.mkdtemp(prefix="smedt-bench-")) / "instance"
    os.environ["SMEDT_INSTANCE_PATH"] = str(instance)
    os.environ.pop("SMEDT_DATABASE_URL", None)
    try:
        info = seed()
        with server(instance) as base:
            print(f"\n{HEADER}\n{'-' * len(HEADER)}", flush=True)
            results = []
            for label, username, region in USERS:
                client = Client(base)
                client.login(username, info["passwords"][username])
                # The 区域 filter offers the regions one level down: a county to the city, a city to the province.
                option = CITY_COUNTY if region == CITY else CITY
                results += measure_user(client, label, option, info, max(1, min(args.requests, 10_000)))
        over = [r for r in results if r[6] > TARGET_P95_MS]
        print(f"\n{len(results) - len(over)} of {len(results)} scenarios meet the target (p95 < {TARGET_P95_MS} ms)")
    finally:
        if args.keep:
            print(f"instance folder kept: {instance}")
        else:
            shutil.rmtree(instance.parent, ignore_errors=True)


if __name__ == "__main__":
    main()
