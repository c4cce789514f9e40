"""Where pushing stands: item counts, the window, this week's calls against the quota, the pause, the
next attempt. The push centre's progress partial and `flask docking status` show the same."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from app.docking import clock, protocol
from app.docking.models import (
    DEAD,
    FAILED,
    QUEUED,
    SENT,
    PushBatch,
    batches_query,
    calls_in_week,
    get_state,
    item_counts,
    leased_count,
    next_attempt,
)
from app.docking.settings import DockingConfig


@dataclass
class Status:
    queued: int
    sending: int
    sent: int
    failed: int
    dead: int
    in_window: bool
    window: str
    next_open: datetime
    week: str
    calls_this_week: int
    weekly_quota: int
    paused: bool
    paused_reason: str
    next_attempt_at: datetime | None
    configured: bool
    missing: list[str]
    last_error: str
    last_error_at: datetime | None
    last_batches: list[PushBatch]

    @property
    def quota_left(self) -> int:
        return max(0, self.weekly_quota - self.calls_this_week)

    @property
    def busy(self) -> bool:
        """Anything still to happen without an administrator (the progress partial keeps polling)."""
        return self.queued > 0 and not self.paused


def current(session: Session, conf: DockingConfig, *, region_prefix: str = "", batches: int = 5) -> Status:
    now = clock.now()
    counts = item_counts(region_prefix=region_prefix, session=session)
    state = get_state(session=session)
    week = protocol.iso_week(now)
    calls = calls_in_week(week, upper=conf.upper_id, session=session)
    if state is not None and state.quota_used_week == week:
        calls = max(calls, conf.weekly_quota)
    last = list(session.exec(batches_query(region_prefix=region_prefix).limit(batches)))
    return Status(
        queued=counts.get(QUEUED, 0), sending=leased_count(now, region_prefix=region_prefix, session=session),
        sent=counts.get(SENT, 0), failed=counts.get(FAILED, 0), dead=counts.get(DEAD, 0),
        in_window=conf.window.contains(now), window=conf.window.label, next_open=conf.window.next_open(now),
        week=week, calls_this_week=calls, weekly_quota=conf.weekly_quota,
        paused=bool(state and state.paused), paused_reason=state.paused_reason if state else "",
        next_attempt_at=next_attempt(region_prefix=region_prefix, session=session),
        configured=conf.configured, missing=conf.missing, last_error=state.last_error if state else "",
        last_error_at=state.last_error_at if state else None,
        last_batches=last)


def lines(status: Status) -> list[str]:
    """The status in Chinese, one fact a line (CLI)."""
    def local(moment: datetime | None) -> str:
        return moment.astimezone(protocol.SHANGHAI).strftime("%Y-%m-%d %H:%M") if moment else "—"

    out = [f"对接配置：{'完整' if status.configured else '不完整，缺少 ' + '、'.join(status.missing)}",
           f"推送状态：{'已暂停（' + status.paused_reason + '）' if status.paused else '运行中'}",
           f"推送时段：{status.window}（北京时间），当前{'在' if status.in_window else '不在'}时段内"
           + ("" if status.in_window else f"，下次开放 {local(status.next_open)}"),
           f"本周（{status.week}）已调用 {status.calls_this_week} / {status.weekly_quota} 次",
           f"待推送 {status.queued} 条（发送中 {status.sending} 条），已推送 {status.sent} 条，"
           f"推送失败 {status.failed} 条，待处理（多次重试失败）{status.dead} 条",
           f"下次尝试：{local(status.next_attempt_at) if status.queued else '—'}"]
    if status.last_error:
        out.append(f"最近的错误（{local(status.last_error_at)}）：{status.last_error}")
    for batch in status.last_batches:
        out.append(f"  批次 {batch.id}  {local(batch.started_at)}  {batch.library}  {batch.records} 条  "
                   f"{batch.bytes} 字节  {batch.outcome_label}  {batch.code or ''} {batch.message or ''}".rstrip())
    return out
