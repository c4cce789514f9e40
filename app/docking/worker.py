"""The push worker inside the server: a daemon thread that runs outbox passes every DOCKING_POLL_SECONDS,
woken early when records are queued. It has its own app context and database session; the outbox's
leases make it safe beside a `flask docking push` run from cron or a second server process."""
from __future__ import annotations

import atexit
import logging
import threading

from flask import Flask
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from app.db import get_engine

log = logging.getLogger(__name__)
_EXTENSION = "smedt_docking_worker"


class Worker:
    def __init__(self, app: Flask):
        self.app = app
        self.stop_event = threading.Event()
        self.wake_event = threading.Event()
        self.thread = threading.Thread(target=self._run, name="docking-worker", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self, timeout: float = 10) -> None:
        self.stop_event.set()
        self.wake_event.set()
        if self.thread.is_alive() and threading.current_thread() is not self.thread:
            self.thread.join(timeout)

    def wake(self) -> None:
        self.wake_event.set()

    def _run(self) -> None:
        from app.docking import lease, passes
        from app.docking.settings import load_config

        poll = float(self.app.config["DOCKING_POLL_SECONDS"])
        owner = lease.owner_id()
        # run.py builds the app before it migrates the database: the first pass waits one poll (or a push).
        self.wake_event.wait(poll)
        while not self.stop_event.is_set():
            self.wake_event.clear()
            try:
                with self.app.app_context(), Session(get_engine(), expire_on_commit=False) as session:
                    summary = passes.run_pass(session, load_config(session), owner=owner, stop=self.stop_event)
                    if summary.batches or summary.failed:
                        log.info("推送服务：%s", summary.text())
            except OperationalError as exc:  # e.g. the schema is still being migrated at start-up
                log.warning("推送服务暂时无法读写数据库：%s", exc.orig)
            except Exception:  # a worker that dies silently loses nothing but sends nothing: keep it alive
                log.exception("推送服务出错，将在下一轮重试")
            self.wake_event.wait(poll)


def start(app: Flask) -> Worker:
    """Start the app's worker thread (once)."""
    worker = app.extensions.get(_EXTENSION)
    if worker is None:
        worker = app.extensions[_EXTENSION] = Worker(app)
        worker.start()
        atexit.register(worker.stop, 2)
    return worker


def stop(app: Flask) -> None:
    worker = app.extensions.pop(_EXTENSION, None)
    if worker is not None:
        worker.stop()


def wake(app: Flask) -> None:
    """Records were queued: send now rather than at the next poll."""
    worker = app.extensions.get(_EXTENSION)
    if worker is not None:
        worker.wake()


def wanted(app: Flask) -> bool:
    """DOCKING_WORKER: true / false, or auto (the served platform runs it; tests and CLI commands don't)."""
    value = app.config.get("DOCKING_WORKER", "auto")
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"1", "true", "yes", "on"}:
        return True
    if text in {"0", "false", "no", "off"}:
        return False
    if text != "auto":
        raise ValueError(f"SMEDT_DOCKING_WORKER 只能是 auto / true / false，当前为 {value!r}")
    return not app.testing
