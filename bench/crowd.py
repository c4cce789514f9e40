"""A crowd of browser-like users against run.py, and the list pages' closed-loop throughput beside a bare page.

    .venv/bin/python bench/crowd.py [--users 1000] [--seconds 60] [--instance DIR]

1. Seeds the 100 000-enterprise database of bench/libraries.py (10 000 providers, 50 000 products over the
   counties of 河南省) and adds accounts of several roles: the city administrator of 新乡市 and the
   provincial one (from bench/libraries.py), a county official of 长垣市, an enterprise and a provider. Each
   account logs in once over HTTP through the login form. `--instance DIR` keeps the seeded folder and
   reuses it on the next run (seeding takes a minute); without it a temporary folder is removed at the end.
2. Starts `run.py` (its own waitress settings) and `bench/floor.py` (a bare 20-row Flask page under the
   same settings) on free loopback ports.
3. Crowd: `--users` simulated browsers, each with its own keep-alive connection and its own login session
   (minted straight into the session table with the instance's key: an Argon2 login per browser would
   only measure the password hash), arriving over the first think time and then asking for a page every
   5–15 s (`--think`): the lists of their role, a keyword search, page 50, the review queue. Runs for
   `--seconds`; prints requests, errors by kind, mean/p50/p95/p99/max and the server's peak RSS.
4. Closed loop: `--connections` connections asking back to back for `--loop-seconds` each: the bare page,
   /lib/pilots/ (city administrator), its keyword search and page 50, the bare page again; prints req/s and
   each page's ratio to the floor (the mean of the two floor runs).

Targets (printed, not enforced): crowd 0 errors, p95 ≤ 500 ms, mean ≤ 200 ms, RSS ≤ 300 MB; the list
≥ 50 % of the floor, search and page 50 ≥ 25 %. Only 127.0.0.1 is contacted; every loop is bounded in time.
The machine's load average is printed beside the figures: on a shared machine they are noisy.
"""
from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import random
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import libraries as seeding  # noqa: E402  (bench/libraries.py: the seeding, the login client)

UA = "Mozilla/5.0 (X11; Linux x86_64) smedt-crowd/1"
REQUEST_TIMEOUT_S = 30
KEYWORD = seeding.KEYWORD
OFFICIAL_PAGES = ["/lib/pilots/", "/lib/providers/", "/lib/products/", f"/lib/pilots/?q={KEYWORD}",
                  "/lib/pilots/?page=50", "/review/"]


@dataclass(frozen=True)
class Account:
    label: str
    username: str
    role: str
    region: str
    credit: str | None
    weight: int  # share of the crowd
    pages: tuple[str, ...]


def accounts_of(info: dict) -> list[Account]:
    return [
        Account("city 410700", "bench_city", "city_admin", "410700", None, 40, tuple(OFFICIAL_PAGES)),
        Account("province 410000", "bench_province", "city_admin", "410000", None, 10, tuple(OFFICIAL_PAGES)),
        Account("county 410783", "bench_county", "county_official", "410783", None, 30, tuple(OFFICIAL_PAGES)),
        Account("enterprise", "bench_enterprise", "enterprise", "410783", info["enterprise_credit"], 10,
                ("/home", "/lib/pilots/", "/review/notifications")),
        Account("provider", "bench_provider", "provider", "410783", info["provider_credit"], 10,
                ("/home", "/lib/providers/", "/lib/products/", "/review/notifications")),
    ]


# ---------------------------------------------------------------------------------------------- seeding

def prepare(instance: Path) -> dict:
    """Seed the instance (unless crowd.json says it already is) and return the accounts' passwords."""
    info_file = instance / "crowd.json"
    if info_file.exists():
        return json.loads(info_file.read_text())
    info = seeding.seed()

    from sqlmodel import select

    from app import create_app
    from app.accounts.passwords import generate_password
    from app.accounts.service import create_user
    from app.db import get_session
    from app.pilots.models import PilotEnterprise
    from app.providers.models import Provider

    app = create_app()
    with app.app_context():
        session = get_session()
        info["enterprise_credit"] = session.exec(select(PilotEnterprise.credit_code).where(
            PilotEnterprise.region_code == "410783").limit(1)).one()
        info["provider_credit"] = session.exec(select(Provider.credit_code).where(
            Provider.region_code == "410783").limit(1)).one()
        for account in accounts_of(info):
            if account.username in info["passwords"]:
                continue
            password = generate_password()
            create_user(session, actor=None, username=account.username, role=account.role,
                        region_code=account.region, credit_code=account.credit, password=password,
                        display_name=account.label, must_change_password=False)
            info["passwords"][account.username] = password
    info_file.write_text(json.dumps(info, ensure_ascii=False))
    return info


def mint_sessions(accounts: list[Account], count: int, rng: random.Random) -> list[tuple[Account, str]]:
    """`count` login sessions spread over the accounts by weight: (account, the browser's cookie value).

    The rows are what app/accounts/sessions.start writes, last seen up to a minute ago (so, as in real
    use, the sessions' once-a-minute touch is spread over the run); the cookie is Flask's signed session
    holding the token, as after a login from 127.0.0.1 with this browser's User-Agent.
    """
    from flask_login.utils import _create_identifier
    from sqlalchemy import insert
    from sqlmodel import select

    from app import create_app
    from app.accounts.models import LoginSession, User
    from app.db import get_engine, get_session, utcnow

    app = create_app()
    population = [a for a in accounts for _ in range(a.weight)]
    out, rows = [], []
    with app.test_request_context("/", environ_base={"REMOTE_ADDR": "127.0.0.1"}, headers={"User-Agent": UA}):
        ids = {u.username: u.id for u in get_session().exec(select(User))}
        ident = _create_identifier()
        serializer = app.session_interface.get_signing_serializer(app)
        now = utcnow()
        for i in range(count):
            account = population[i % len(population)]
            token = secrets.token_urlsafe(32)
            seen = now - timedelta(seconds=rng.uniform(0, 60))
            rows.append({"token_hash": hashlib.sha256(token.encode()).hexdigest(), "user_id": ids[account.username],
                         "created_at": seen, "last_seen_at": seen, "ended_at": None, "end_reason": "",
                         "ip": "127.0.0.1", "user_agent": UA})
            out.append((account, serializer.dumps({"_user_id": token, "_fresh": False, "_id": ident})))
        get_session().close()
        with get_engine().begin() as conn:
            conn.execute(insert(LoginSession.__table__), rows)
        get_engine().dispose()
    return out


# ----------------------------------------------------------------------------------------------- servers

@contextmanager
def process(args: list[str], instance: Path, log_name: str, probe: str) -> Iterator[tuple[str, int]]:
    """A server process on a free loopback port until it answers `probe`; yields (base URL, pid)."""
    port = seeding.free_port()
    env = {**os.environ, "SMEDT_INSTANCE_PATH": str(instance), "SMEDT_DOCKING_WORKER": "false"}
    env.pop("SMEDT_DATABASE_URL", None)
    log = (instance / log_name).open("wb")
    proc = subprocess.Popen([sys.executable, *args, "--port", str(port)], cwd=ROOT, env=env, stdout=log,
                            stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait(base + probe, proc)
        yield base, proc.pid
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        log.close()


def _wait(url: str, proc: subprocess.Popen) -> None:
    import urllib.request

    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    began = time.perf_counter()
    while time.perf_counter() - began < seeding.START_TIMEOUT_S:
        if proc.poll() is not None:
            raise SystemExit(f"服务器已退出（返回码 {proc.returncode}），见实例目录中的日志")
        try:
            with opener.open(url, timeout=2) as resp:
                resp.read()
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"{url} 未在 {seeding.START_TIMEOUT_S} 秒内响应")


def peak_rss_mb(pid: int) -> float:
    """VmHWM, the process's peak resident set, in MB (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def load() -> str:
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


# ------------------------------------------------------------------------------------------------- crowd

@dataclass
class Tally:
    times: list[float] = field(default_factory=list)  # ms of every finished request (timeouts included)
    errors: Counter = field(default_factory=Counter)
    by_page: dict[str, list[float]] = field(default_factory=dict)

    def add(self, page: str, ms: float, error: str | None) -> None:
        self.times.append(ms)
        self.by_page.setdefault(page.split("?")[0] + ("?q" if "q=" in page else "?page" if "page=" in page else ""),
                                []).append(ms)
        if error:
            self.errors[error] += 1


def pct(times: list[float], p: float) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))] if ordered else float("nan")


async def browser(base: str, account: Account, cookie: str, rng: random.Random, think: tuple[float, float],
                  deadline: float, tally: Tally) -> None:
    import aiohttp
    from yarl import URL

    jar = aiohttp.CookieJar(unsafe=True)  # unsafe: accept cookies from an IP address (127.0.0.1)
    jar.update_cookies({"smedt_session": cookie}, URL(base))
    connector = aiohttp.TCPConnector(limit=1, keepalive_timeout=120)  # one keep-alive connection, as a tab
    timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_S)
    async with aiohttp.ClientSession(base, connector=connector, cookie_jar=jar, timeout=timeout,
                                     headers={"User-Agent": UA}) as http:
        await asyncio.sleep(rng.uniform(0, think[1]))  # arrivals spread over the first think time
        while time.monotonic() < deadline:
            page = rng.choice(account.pages)
            began = time.perf_counter()
            error = None
            try:
                async with http.get(page, allow_redirects=False) as resp:
                    await resp.read()
                    if resp.status != 200:
                        error = f"HTTP {resp.status}" + (f" → {resp.headers.get('Location', '')[:30]}"
                                                         if 300 <= resp.status < 400 else "")
            except TimeoutError:
                error = "timeout"
            except aiohttp.ClientError as exc:
                error = type(exc).__name__
            tally.add(page, (time.perf_counter() - began) * 1000, error)
            await asyncio.sleep(rng.uniform(*think))


async def crowd(base: str, sessions: list[tuple[Account, str]], seconds: float, think: tuple[float, float],
                seed: int) -> Tally:
    tally = Tally()
    deadline = time.monotonic() + seconds
    rng = random.Random(seed)
    tasks = [asyncio.create_task(browser(base, account, cookie, random.Random(rng.random()), think, deadline, tally))
             for account, cookie in sessions]
    # Every browser stops asking at the deadline; one still waiting for an answer gets its request timeout.
    done, pending = await asyncio.wait(tasks, timeout=seconds + think[1] + REQUEST_TIMEOUT_S + 10)
    for task in pending:
        task.cancel()
    for task in done:
        if task.exception() is not None:
            tally.errors[f"client {type(task.exception()).__name__}"] += 1
    return tally


# ------------------------------------------------------------------------------------------- closed loop

async def closed_loop(url: str, cookie: str | None, connections: int, seconds: float) -> tuple[float, float, int]:
    """(requests per second, mean ms, errors) of `connections` connections asking back to back."""
    import aiohttp
    from yarl import URL

    jar = aiohttp.CookieJar(unsafe=True)
    if cookie:
        jar.update_cookies({"smedt_session": cookie}, URL(url))
    connector = aiohttp.TCPConnector(limit=connections)
    timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_S)
    times: list[float] = []
    errors = 0
    async with aiohttp.ClientSession(connector=connector, cookie_jar=jar, timeout=timeout,
                                     headers={"User-Agent": UA}) as http:
        try:
            async with http.get(url, allow_redirects=False) as resp:  # warm: settles the session cookie
                await resp.read()
                if resp.status != 200:
                    raise SystemExit(f"{url}: HTTP {resp.status}")
        except (TimeoutError, aiohttp.ClientError):
            errors += 1  # the server is still busy with what came before: measure anyway
        began = time.monotonic()
        deadline = began + seconds

        async def worker() -> None:
            nonlocal errors
            while time.monotonic() < deadline:
                t0 = time.perf_counter()
                try:
                    async with http.get(url, allow_redirects=False) as resp:
                        await resp.read()
                        errors += resp.status != 200
                except (TimeoutError, aiohttp.ClientError):
                    errors += 1
                times.append((time.perf_counter() - t0) * 1000)

        await asyncio.gather(*(worker() for _ in range(connections)))
        elapsed = time.monotonic() - began
    return len(times) / elapsed, statistics.fmean(times) if times else float("nan"), errors


# ---------------------------------------------------------------------------------------------------- main

def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=60, help="length of the crowd run (default 60)")
    parser.add_argument("--think", type=float, nargs=2, default=(5.0, 15.0), metavar=("MIN", "MAX"))
    parser.add_argument("--connections", type=int, default=64, help="closed-loop connections (default 64)")
    parser.add_argument("--loop-seconds", type=float, default=10, help="closed-loop time per page (default 10)")
    parser.add_argument("--skip-crowd", action="store_true")
    parser.add_argument("--skip-loop", action="store_true")
    parser.add_argument("--instance", type=Path, help="seed here once and reuse (kept); default: a temporary folder")
    args = parser.parse_args(argv)
    users = max(1, min(args.users, 5000))
    seconds = max(1.0, min(args.seconds, 600.0))
    loop_seconds = max(1.0, min(args.loop_seconds, 120.0))
    connections = max(1, min(args.connections, 512))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    temporary = args.instance is None
    instance = (Path(tempfile.mkdtemp(prefix="smedt-crowd-")) / "instance") if temporary else args.instance.resolve()
    instance.mkdir(parents=True, exist_ok=True)
    os.environ["SMEDT_INSTANCE_PATH"] = str(instance)
    os.environ.pop("SMEDT_DATABASE_URL", None)
    try:
        info = prepare(instance)
        accounts = accounts_of(info)
        rng = random.Random(20261126)
        sessions = mint_sessions(accounts, users, rng)
        city_cookie = mint_sessions([accounts[0]], 1, rng)[0][1]
        with process(["run.py"], instance, "server.log", "/login") as (base, pid), \
                process(["bench/floor.py"], instance, "floor.log", "/") as (floor, _):
            for account in accounts:  # each account logs in once through the form, as a person would
                client = seeding.Client(base)
                _login(client, account, info["passwords"][account.username])
            print(f"\nserver pid {pid}, {base}; floor {floor}; {load()}", flush=True)
            if not args.skip_crowd:
                print(f"crowd: {users} browsers for {seconds:.0f} s, think {args.think[0]:g}–{args.think[1]:g} s …",
                      flush=True)
                tally = asyncio.run(crowd(base, sessions, seconds, tuple(args.think), 7))
                report_crowd(tally, peak_rss_mb(pid), users, seconds)
            if not args.skip_loop:
                report_loop(base, floor, city_cookie, connections, loop_seconds)
            print(f"server peak RSS {peak_rss_mb(pid):.0f} MB; {load()}", flush=True)
    finally:
        if temporary:
            shutil.rmtree(instance.parent, ignore_errors=True)


def _login(client, account: Account, password: str) -> None:
    """The login form, then the account's first page must answer 200 (not the login page)."""
    import re
    import urllib.parse

    _, page = client.get("/login")
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    if token is None:
        raise SystemExit("登录页没有 csrf_token")
    data = urllib.parse.urlencode({"username": account.username, "password": password, "csrf_token": token[1]})
    with client.opener.open(f"{client.base}/login", data=data.encode(), timeout=30) as resp:
        resp.read()
    final, _ = client.get(account.pages[0])
    if final != account.pages[0].split("?")[0]:
        raise SystemExit(f"{account.username} 登录失败（{final}）")


def report_crowd(tally: Tally, rss: float, users: int, seconds: float) -> None:
    times = tally.times
    errors = sum(tally.errors.values())
    print(f"\ncrowd of {users} for {seconds:.0f} s: {len(times)} requests ({len(times) / seconds:.1f}/s), "
          f"{errors} errors{' ' + dict(tally.errors).__repr__() if errors else ''}")
    if times:
        print(f"  mean {statistics.fmean(times):.0f} ms  p50 {pct(times, 50):.0f}  p95 {pct(times, 95):.0f}  "
              f"p99 {pct(times, 99):.0f}  max {max(times):.0f} ms   (target: 0 errors, p95 ≤ 500, mean ≤ 200)")
    for page, page_times in sorted(tally.by_page.items()):
        print(f"  {page:<28} n={len(page_times):>5}  p50 {pct(page_times, 50):>6.0f}  "
              f"p95 {pct(page_times, 95):>6.0f} ms")
    print(f"  server peak RSS {rss:.0f} MB (target ≤ 300); {load()}", flush=True)


def report_loop(base: str, floor: str, cookie: str, connections: int, seconds: float) -> None:
    print(f"\nclosed loop, {connections} connections, {seconds:.0f} s each; {load()}", flush=True)
    floor_rates = []
    rows = []
    plan = [("floor (bare Flask page)", floor + "/", None, None),
            ("/lib/pilots/ city", base + "/lib/pilots/", cookie, 50),
            (f"/lib/pilots/?q={KEYWORD} city", base + f"/lib/pilots/?q={KEYWORD}", cookie, 25),
            ("/lib/pilots/?page=50 city", base + "/lib/pilots/?page=50", cookie, 25),
            ("floor (bare Flask page)", floor + "/", None, None)]
    for label, url, page_cookie, target in plan:
        rate, mean, errors = asyncio.run(closed_loop(url, page_cookie, connections, seconds))
        if target is None:
            floor_rates.append(rate)
        rows.append((label, rate, mean, errors, target))
        print(f"  {label:<32} {rate:>7.1f} req/s  mean {mean:>6.0f} ms  errors {errors}", flush=True)
    floor_rate = statistics.fmean(floor_rates)
    print(f"  floor (mean of both runs)        {floor_rate:>7.1f} req/s; {load()}")
    for label, rate, _, _, target in rows:
        if target is not None:
            print(f"  {label:<32} {100 * rate / floor_rate:>5.0f} % of the floor (target ≥ {target} %)")


if __name__ == "__main__":
    main()
