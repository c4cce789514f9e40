"""Start-up time of `run.py` to its first HTTP response, and the idle server's memory.

    .venv/bin/python bench/startup.py

Starts the platform twice on a fresh instance folder (first start: migrations and reference data into
an empty database; second start: everything already there), on a free loopback port, and prints the
figures. Each wait is bounded; the server is stopped at the end.
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT_S = 60


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def start_once(instance: Path) -> tuple[float, float]:
    port = free_port()
    env = {**os.environ, "SMEDT_INSTANCE_PATH": str(instance)}
    env.pop("SMEDT_DATABASE_URL", None)
    began = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "run.py", "--port", str(port)], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while True:
            if time.perf_counter() - began > TIMEOUT_S:
                raise SystemExit("服务器未在 60 秒内响应")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=2) as resp:
                    resp.read()
                break
            except OSError:
                time.sleep(0.02)
        elapsed = time.perf_counter() - began
        time.sleep(3)  # let it settle into idle
        return elapsed, rss_mib(proc.pid)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        instance = Path(tmp) / "instance"
        first, rss_first = start_once(instance)
        second, rss_second = start_once(instance)
    print(f"first start (empty database → migrations + reference data) to first response: {first:.2f} s")
    print(f"restart (data already loaded) to first response:                              {second:.2f} s")
    print(f"idle server resident memory: {rss_second:.1f} MiB (after first start: {rss_first:.1f} MiB)")


if __name__ == "__main__":
    main()
