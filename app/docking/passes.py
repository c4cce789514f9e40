"""One batch, and a pass of batches. A batch goes through four short steps, and the HTTP call is never
inside a write transaction (DESIGN.md "Life of a record"):

1. claim (write, lease.py): inside the push window and the weekly quota, lease up to N due items of one
   library and reserve the call;
2. build (read, batches.py): the body under the size limit; what does not fit is released at once;
3. send: the token (cached), the SM4 Authorization header, the POST;
4. finish (write, answers.py): the answer decides every item of the batch, each record's push state, the
   batch row and the audit event, in one transaction.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field

import requests
from sqlmodel import Session

from app.db import write
from app.docking import client, clock, protocol
from app.docking.answers import BatchReport, Outcome, classify, finish, message_of, token_failed
from app.docking.batches import Built, build, release_unsent
from app.docking.items import owned, release
from app.docking.lease import Blocked, Claim, claim, owner_id, quota_reopens, reserve_again
from app.docking.models import next_attempt
from app.docking.settings import DockingConfig

REASONS = {"idle": "没有待推送的数据", "waiting": "排队的数据尚未到发送时间", "paused": "推送已暂停",
           "window": "当前不在推送时段", "quota": "本周推送次数已用完", "unconfigured": "对接配置不完整"}


def _call(conf: DockingConfig, library: str, body: bytes, token: str) -> Outcome:
    try:
        return classify(client.upload(conf, library, body, token))
    except requests.Timeout:
        return Outcome("transient", error=f"等待上级平台应答超时（{conf.timeout:g} 秒）")
    except requests.RequestException as exc:
        return Outcome("transient", error=f"无法连接上级平台：{type(exc).__name__}")


def _second_try(session: Session, conf: DockingConfig, batch: Claim, built: Built, first: Outcome, *,
                owner: str) -> BatchReport:
    """403: the token may have been revoked. Fetch a new one once and send again; a second 403 pauses."""
    again = reserve_again(session, conf, batch, owner=owner)
    if again is None:  # no call left this week for the second try
        with write(session):
            for item in owned(session, [i.id for i in built.included if i.id is not None], owner):
                release(item, quota_reopens(conf, clock.now()))
        return BatchReport(batch.batch_id, batch.library, len(built.included), "quota", message=message_of(first))
    try:
        token = client.access_token(session, conf, fresh=True)
    except (client.TokenError, requests.RequestException) as exc:
        return token_failed(session, conf, again, built, exc, owner=owner)
    return finish(session, conf, again, built, _call(conf, batch.library, built.body, token), owner=owner,
                  pause_on_403=True)


def send_batch(session: Session, conf: DockingConfig, *, owner: str) -> BatchReport | Blocked:
    """Claim, build, send and finish one batch; or say why nothing is sent now."""
    batch = claim(session, conf, owner=owner)
    if isinstance(batch, Blocked):
        return batch
    built = build(session, conf, batch, owner=owner)
    release_unsent(session, batch, built, owner=owner)
    if not built.included:
        return BatchReport(batch.batch_id, batch.library, 0, "refused", failed=len(built.refused),
                           message="没有可发送的记录")
    try:
        token = client.access_token(session, conf)
    except (client.TokenError, requests.RequestException) as exc:
        return token_failed(session, conf, batch, built, exc, owner=owner)
    outcome = _call(conf, batch.library, built.body, token)
    report = finish(session, conf, batch, built, outcome, owner=owner)
    if outcome.kind != "unauthorized":
        return report
    return _second_try(session, conf, batch, built, outcome, owner=owner)


@dataclass
class PassSummary:
    batches: int = 0
    added: int = 0
    updated: int = 0
    failed: int = 0
    retried: int = 0
    blocked: Blocked | None = None
    reports: list[BatchReport] = field(default_factory=list)

    def add(self, report: BatchReport) -> None:
        self.reports.append(report)
        if report.outcome not in ("refused", "token"):
            self.batches += 1  # a call was made
        self.added += report.added
        self.updated += report.updated
        self.failed += report.failed
        if report.outcome in ("transient", "token"):
            self.retried += report.records

    def text(self) -> str:
        """One Chinese line for the CLI and the log."""
        parts = [f"本次调用上级平台 {self.batches} 次", f"新增 {self.added} 条", f"更新 {self.updated} 条",
                 f"失败 {self.failed} 条"]
        if self.retried:
            parts.append(f"待重试 {self.retried} 条")
        if self.blocked is not None:
            until = ""
            if self.blocked.until is not None:
                until = f"，{self.blocked.until.astimezone(protocol.SHANGHAI):%Y-%m-%d %H:%M} 继续"
            parts.append(f"停止原因：{REASONS.get(self.blocked.reason, self.blocked.reason)}{until}")
        return "；".join(parts) + "。"


def run_pass(session: Session, conf: DockingConfig, *, owner: str | None = None, max_batches: int | None = None,
             stop: threading.Event | None = None) -> PassSummary:
    """Send batches until nothing is due, the window or quota stops it, or pushing is paused."""
    owner = owner or owner_id()
    summary = PassSummary()
    while max_batches is None or summary.batches < max_batches:
        if stop is not None and stop.is_set():
            break
        report = send_batch(session, conf, owner=owner)
        if isinstance(report, Blocked):
            summary.blocked = report
            break
        summary.add(report)
        if report.outcome in ("transient", "token"):
            break  # the upper platform is failing: wait for the back-off instead of hammering it
        if report.outcome in ("quota", "window"):
            # 89501 / 89503 hold for every library: calling for the next one would spend a call for nothing.
            summary.blocked = Blocked(report.outcome, next_attempt(region_prefix="", session=session))
            session.commit()
            break
        # unauthorized: the next claim sees the pause and stops
    return summary
