"""Whole platform instances for end-to-end tests: each is `run.py` in its own process, on its own loopback
port, with its own instance folder and SQLite file (a copy of the migrated template), exactly as an
administrator starts it. A `WebClient` is a logged-in browser session over HTTP (cookies and CSRF)."""
from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
START_TIMEOUT_S = 60


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Instance:
    folder: Path
    env: dict = field(default_factory=dict)
    port: int = 0
    proc: subprocess.Popen | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def database_url(self) -> str:
        return f"sqlite:///{self.folder / 'smedt.db'}"

    def app(self, **settings):
        """An in-process app on the same SQLite file and settings (to seed users and records, or read results).
        It is a TESTING app, so the users it seeds get cheap Argon2id hashes; the served instance (not TESTING)
        verifies them with the parameters written in each hash, and hashes its own at the production cost."""
        from app import create_app

        saved = {name: os.environ.get(name) for name in (*self.env, "SMEDT_INSTANCE_PATH")}
        os.environ.update(self.env, SMEDT_INSTANCE_PATH=str(self.folder))
        try:
            return create_app({"TESTING": True, "DATABASE_URL": self.database_url, "DOCKING_WORKER": False,
                               **settings})
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value

    def start(self) -> Instance:
        self.port = self.port or free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("SMEDT_")}
        env.update(self.env, SMEDT_INSTANCE_PATH=str(self.folder), PYTHONUNBUFFERED="1")
        log = (self.folder / "server.log").open("ab")
        self.proc = subprocess.Popen([sys.executable, "run.py", "--port", str(self.port), "--threads", "4"],
                                     cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        began = time.monotonic()
        while time.monotonic() - began < START_TIMEOUT_S:
            if self.proc.poll() is not None:
                raise RuntimeError(f"实例已退出（返回码 {self.proc.returncode}）：\n{self.log()}")
            try:
                requests.get(f"{self.base}/login", timeout=2)
                return self
            except requests.ConnectionError:
                time.sleep(0.1)
        raise RuntimeError(f"实例未在 {START_TIMEOUT_S} 秒内响应：\n{self.log()}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)

    def log(self) -> str:
        path = self.folder / "server.log"
        return path.read_text(errors="replace")[-4000:] if path.exists() else ""


def new_instance(folder: Path, template_db: Path, **env: str) -> Instance:
    """A fresh instance folder holding a copy of the migrated template database (not yet started)."""
    folder.mkdir(parents=True)
    shutil.copyfile(template_db, folder / "smedt.db")
    (folder / "secret_key").write_text(os.urandom(32).hex())
    return Instance(folder, env={f"SMEDT_{k}": str(v) for k, v in env.items()})


class WebClient:
    """A person in a browser, over HTTP: logs in with the CSRF token from the page and sends it back on
    every form post (and as X-CSRFToken on htmx requests)."""

    def __init__(self, base: str):
        self.base = base
        self.http = requests.Session()
        self.http.trust_env = False  # loopback only, never a proxy
        self.csrf = ""

    def get(self, path: str, **kwargs) -> requests.Response:
        response = self.http.get(self.base + path, timeout=30, **kwargs)
        self._remember_csrf(response.text)
        return response

    def post(self, path: str, data=None, htmx: bool = False, **kwargs) -> requests.Response:
        headers = kwargs.pop("headers", {})
        if htmx:
            headers.update({"HX-Request": "true", "X-CSRFToken": self.csrf})
        data = dict(data or {})
        data.setdefault("csrf_token", self.csrf)
        return self.http.post(self.base + path, data=data, headers=headers, timeout=60, **kwargs)

    def _remember_csrf(self, html: str) -> None:
        match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
            r'"X-CSRFToken": "([^"]+)"', html)
        if match:
            self.csrf = match.group(1)

    def login(self, username: str, password: str) -> WebClient:
        self.get("/login")
        response = self.post("/login", {"username": username, "password": password}, allow_redirects=False)
        assert response.status_code == 302, f"{username} 登录失败：{response.text[:500]}"
        self.get("/home")
        return self
