"""Submissions awaiting review, the decisions taken on them, and the notifications they send.

A submission is one proposed version of one library record: the payload snapshot, where it came from,
who sent it and for which region. `awaiting` names the level that must decide next (county or city),
empty once it is closed; the queue reads it first, so the queue's index starts with it.
"""
from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Index, Text
from sqlmodel import Field, Session, SQLModel, col, select
from sqlmodel.sql.expression import SelectOfScalar

from app.accounts.scope import within_prefix
from app.db import utcnow

FORM, EXCEL, HUB = "form", "excel", "hub"
SOURCE_LABELS = {FORM: "表单填报", EXCEL: "Excel 导入", HUB: "下级平台推送"}

PENDING, COUNTY_APPROVED, APPROVED, REJECTED, RETURNED, WITHDRAWN = (
    "pending", "county_approved", "approved", "rejected", "returned", "withdrawn")
STATUS_LABELS = {PENDING: "待审核", COUNTY_APPROVED: "区县已初审，待市级确认", APPROVED: "已通过",
                 REJECTED: "已驳回", RETURNED: "已退回修改", WITHDRAWN: "已撤回"}
OPEN = (PENDING, COUNTY_APPROVED)

COUNTY, CITY = "county", "city"
LEVEL_LABELS = {COUNTY: "区县初审", CITY: "市级审核"}

# Decisions, as stored on a Decision row and named in the history.
D_SUBMIT, D_APPROVE, D_CONFIRM, D_REJECT, D_RETURN, D_DIRECT, D_WITHDRAW = (
    "submit", "approve", "confirm", "reject", "return", "direct", "withdraw")
DECISION_LABELS = {D_SUBMIT: "提交审核", D_APPROVE: "审核通过", D_CONFIRM: "市级确认通过", D_REJECT: "驳回",
                   D_RETURN: "退回修改", D_DIRECT: "主管部门直接入库", D_WITHDRAW: "改存草稿，撤回申请"}


class Submission(SQLModel, table=True):
    __tablename__ = "review_submission"
    __table_args__ = (
        # The queue: one level's open submissions, oldest first, with every column its filters read,
        # so counting and skipping never touch the wide rows (see app/libraries/records.py list_indexes).
        Index("ix_review_submission_queue", "awaiting", "created_at", "id", "region_code", "library", "source",
              "submitter_name"),
        # The counters per library.
        Index("ix_review_submission_counts", "awaiting", "library", "region_code"),
        Index("ix_review_submission_record", "library", "record_id", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    library: str = Field(max_length=16)
    record_id: int
    title: str | None = Field(default=None, max_length=255)
    payload: str = Field(sa_type=Text)  # the proposed spec JSON, a snapshot taken when it was sent
    source: str = Field(default=FORM, max_length=8)
    submitter_id: int | None = Field(default=None, index=True)  # no FK: submissions outlive accounts
    submitter_name: str = Field(default="", max_length=64)
    region_code: str = Field(max_length=12)
    credit_code: str | None = Field(default=None, max_length=18)
    status: str = Field(default=PENDING, max_length=16)
    levels: str = Field(default=CITY, max_length=16)  # "county+city" or "city" (or "county")
    awaiting: str = Field(default="", max_length=8)  # county / city while open; "" once closed
    reason: str | None = Field(default=None, sa_type=Text)  # of the last rejection or return
    created_at: datetime = Field(default_factory=utcnow)
    decided_at: datetime | None = None
    decided_by_name: str | None = Field(default=None, max_length=64)

    @property
    def wire(self) -> dict:
        return json.loads(self.payload)

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)

    @property
    def source_label(self) -> str:
        return SOURCE_LABELS.get(self.source, self.source)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN


class Decision(SQLModel, table=True):
    __tablename__ = "review_decision"

    id: int | None = Field(default=None, primary_key=True)
    submission_id: int = Field(foreign_key="review_submission.id", index=True)
    actor_id: int | None = None
    actor_name: str = Field(default="", max_length=64)
    actor_role: str = Field(default="", max_length=32)
    decision: str = Field(max_length=16)
    reason: str | None = Field(default=None, sa_type=Text)
    at: datetime = Field(default_factory=utcnow)

    @property
    def label(self) -> str:
        return DECISION_LABELS.get(self.decision, self.decision)


class Notification(SQLModel, table=True):
    __tablename__ = "notification"
    __table_args__ = (Index("ix_notification_user_unread", "user_id", "read_at", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int
    text: str = Field(sa_type=Text)
    link: str = Field(default="", max_length=255)
    created_at: datetime = Field(default_factory=utcnow)
    read_at: datetime | None = None


def queue_query(*, awaiting: str | None, region_prefix: str, library: str = "", source: str = "", region: str = "",
                submitter: str = "", start: datetime | None = None,
                end: datetime | None = None) -> SelectOfScalar[Submission]:
    """One level's open submissions in a region, oldest first, with the queue's filters."""
    stmt = select(Submission).where(Submission.awaiting == awaiting,
                                    within_prefix(Submission.region_code, region_prefix))
    if library:
        stmt = stmt.where(Submission.library == library)
    if source:
        stmt = stmt.where(Submission.source == source)
    if region:
        stmt = stmt.where(within_prefix(Submission.region_code, region))
    if submitter:
        stmt = stmt.where(col(Submission.submitter_name).contains(submitter, autoescape=True))
    if start is not None:
        stmt = stmt.where(Submission.created_at >= start)
    if end is not None:
        stmt = stmt.where(Submission.created_at < end)
    return stmt.order_by(col(Submission.created_at), col(Submission.id))


def counts_by_library(*, awaiting: str | None, region_prefix: str, session: Session) -> dict[str, int]:
    """How many open submissions each library has at this level and region."""
    from sqlmodel import func

    stmt = (select(Submission.library, func.count()).where(
        Submission.awaiting == awaiting, within_prefix(Submission.region_code, region_prefix))
        .group_by(Submission.library))
    return dict(session.exec(stmt).all())


def submissions_of(library: str, record_id: int, *, session: Session) -> list[Submission]:
    """A record's submissions, newest first."""
    return list(session.exec(select(Submission).where(Submission.library == library,
                                                      Submission.record_id == record_id)
                             .order_by(col(Submission.id).desc())))


def decisions_of(submission_ids: Iterable[int | None], *, session: Session) -> list[Decision]:
    ids = list(submission_ids)
    if not ids:
        return []
    return list(session.exec(select(Decision).where(col(Decision.submission_id).in_(ids))
                             .order_by(col(Decision.at), col(Decision.id))))


def open_submissions_of(library: str, record_id: int, *, session: Session) -> list[Submission]:
    return list(session.exec(select(Submission).where(Submission.library == library,
                                                      Submission.record_id == record_id,
                                                      col(Submission.status).in_(OPEN))))


def unread_count(user_id: int, *, session: Session) -> int:
    from sqlmodel import func

    return session.exec(select(func.count()).select_from(Notification).where(
        Notification.user_id == user_id, col(Notification.read_at).is_(None))).one()


def notifications_query(user_id: int) -> SelectOfScalar[Notification]:
    return select(Notification).where(Notification.user_id == user_id).order_by(col(Notification.id).desc())


def unread_subquery(user_id_column: Any) -> Any:
    """unread_count as a scalar subquery over a user-id column, to ride along another query."""
    from sqlmodel import func

    return (select(func.count()).select_from(Notification)
            .where(Notification.user_id == user_id_column, col(Notification.read_at).is_(None)).scalar_subquery())
