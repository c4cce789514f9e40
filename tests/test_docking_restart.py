"""Nothing is lost when the pushing process dies: `flask docking push` is killed (SIGKILL) while the upper
platform holds its batch, and the next run sends every record; every item ends `sent`."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from sqlmodel import select

from app.accounts import roles
from app.config import PROJECT_ROOT
from app.db import get_session
from app.docking.models import SENT, PushBatch
from tests.upper_stub import approved_pilots, items, queue


def _cli(app, upper, tmp_path, *args):
    env = {**os.environ, "SMEDT_INSTANCE_PATH": str(tmp_path / "instance"),
           "SMEDT_DATABASE_URL": app.config["DATABASE_URL"], "SMEDT_SECRET_KEY": app.config["SECRET_KEY"]}
    env.update({f"SMEDT_{k}": str(v) for k, v in upper.settings(
        DOCKING_TIMEOUT_SECONDS=1, DOCKING_LEASE_SECONDS=1, DOCKING_BATCH_MAX_RECORDS=5).items()})
    return subprocess.Popen([sys.executable, "-m", "flask", "--app", "app", "docking", "push", *args],
                            cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def test_a_worker_killed_in_the_middle_of_a_batch_loses_nothing(make_app, upper, make_user, tmp_path):
    app = make_app(**upper.settings())
    admin = make_user(roles.CITY_ADMIN, "410700")
    ids = approved_pilots(app, admin, 12)
    queue(app, admin, "pilots", ids)
    upper.script(("delay", 5))  # the first batch stalls at the upper platform

    first = _cli(app, upper, tmp_path)
    assert upper.received.wait(30), first.communicate()[0]
    os.kill(first.pid, signal.SIGKILL)
    first.wait(10)
    leased = [i for i in items(app) if i.lease_owner]
    assert len(leased) == 5 and all(i.state == "queued" for i in items(app))

    time.sleep(3.5)  # the killed worker's lease (twice the 1 s timeout, plus 1 s) runs out
    second = _cli(app, upper, tmp_path)
    output, _ = second.communicate(timeout=60)
    assert second.returncode == 0, output
    assert "新增" in output
    assert all(i.state == SENT and i.lease_owner is None for i in items(app))
    received = set(upper.keys_received("pilots"))
    assert len(received) == 12  # every record arrived (the stalled five again: the upper platform upserts)
    with app.app_context():
        outcomes = list(get_session().exec(select(PushBatch.outcome).order_by(PushBatch.id)))
    assert outcomes[0] == "interrupted" and outcomes[1:] == ["ok"] * (len(outcomes) - 1)
