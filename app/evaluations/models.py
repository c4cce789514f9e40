"""Evaluations (自评测 and 现场评定), their evidence files, and the corrected versions of the rule set.

An evaluation keeps the rule-set id and version it was scored with, its answers and the scored result (a
snapshot), so a report reads the same after the rules are corrected. Its counted result (the current final
one of an enterprise × kind × stage × year) also has an EvaluationFact row: the numbers of the result (level,
scores, scene levels) in a narrow table, so the distribution analysis aggregates in SQL without reading the
wide rows; facts are written from the result and never edited on their own.
"""
from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel, select

from app.db import utcnow
from app.generations import track

SELF, ONSITE = "self", "onsite"
KIND_LABELS = {SELF: "自评测", ONSITE: "现场评定"}
BEFORE, AFTER, YEARLY = "before", "after", "yearly"
STAGE_LABELS = {BEFORE: "改造前", AFTER: "改造后", YEARLY: "年度评测"}

# Self-assessment: draft → done. On-site: assigned (the assessor fills) → awaiting_enterprise (the enterprise
# confirms) → awaiting_city (the city decides) → approved; returned sends it back to the assessor; rejected ends it.
DRAFT, DONE, ASSIGNED, AWAITING_ENTERPRISE, AWAITING_CITY, APPROVED, RETURNED, REJECTED = (
    "draft", "done", "assigned", "awaiting_enterprise", "awaiting_city", "approved", "returned", "rejected")
STATUS_LABELS = {DRAFT: "填写中", DONE: "已完成", ASSIGNED: "待现场评定", AWAITING_ENTERPRISE: "待企业确认",
                 AWAITING_CITY: "待市级审核", APPROVED: "审核通过", RETURNED: "已退回评定人修改", REJECTED: "已驳回"}
FINAL = {SELF: DONE, ONSITE: APPROVED}
EDITABLE = {SELF: (DRAFT,), ONSITE: (ASSIGNED, RETURNED)}

SCORE_COLUMNS = tuple(f"q{i}" for i in range(1, 16))
SCENE_COLUMNS = tuple(f"s{i}" for i in range(1, 17))
DIM_COLUMNS = ("d1", "d2", "d3")
COND_COLUMNS = ("c1", "c2", "c3", "c4")  # meets level N's constrained-scene condition


class Evaluation(SQLModel, table=True):
    __tablename__ = "evaluation"
    __table_args__ = (
        Index("ix_evaluation_owner", "credit_code", "kind", "stage", "period"),
        Index("ix_evaluation_assessor", "assessor_id", "status"),
        Index("ix_evaluation_status", "status", "region_code"),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=8)
    stage: str = Field(max_length=8)
    period: int  # the year evaluated
    status: str = Field(default=DRAFT, max_length=24)
    region_code: str = Field(max_length=12, index=True)
    credit_code: str = Field(max_length=18)
    company_name: str = Field(default="", max_length=255)
    industry: str | None = Field(default=None, max_length=100)  # GB/T 4754, as the pilot record names it
    segment: str | None = Field(default=None, max_length=100)  # 细分行业
    assessor_id: int | None = None
    assessor_name: str | None = Field(default=None, max_length=64)
    assessor_org: str | None = Field(default=None, max_length=255)
    assigned_by_name: str | None = Field(default=None, max_length=64)
    rule_set_id: str = Field(max_length=40)
    rule_version: int
    answers: str = Field(default="{}", sa_type=Text)
    result: str | None = Field(default=None, sa_type=Text)
    pledge_at: datetime | None = None
    completed_at: datetime | None = None
    confirmed_at: datetime | None = None
    confirmed_by_name: str | None = Field(default=None, max_length=64)
    decided_at: datetime | None = None
    decided_by_name: str | None = Field(default=None, max_length=64)
    reason: str | None = Field(default=None, sa_type=Text)
    archive_filled_at: datetime | None = None
    counted: bool = False  # the current final result of this enterprise × kind × stage × period
    created_by: int | None = None
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    level: int | None = None
    base_score: float | None = None

    @property
    def answer_data(self) -> dict:
        return json.loads(self.answers or "{}")

    @property
    def result_data(self) -> dict | None:
        return json.loads(self.result) if self.result else None

    @property
    def kind_label(self) -> str:
        return KIND_LABELS.get(self.kind, self.kind)

    @property
    def stage_label(self) -> str:
        return STAGE_LABELS.get(self.stage, self.stage)

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)

    @property
    def is_final(self) -> bool:
        return self.status == FINAL.get(self.kind)

    @property
    def title(self) -> str:
        return f"{self.company_name} {self.period} 年{self.stage_label}{self.kind_label}"


class EvaluationFact(SQLModel, table=True):
    """The numbers of one counted result, for the analysis (a narrow row: no answers, no JSON)."""

    __tablename__ = "evaluation_fact"
    __table_args__ = (Index("ix_evaluation_fact_filter", "kind", "period", "region_code", "stage"),)

    evaluation_id: int = Field(foreign_key="evaluation.id", primary_key=True)
    kind: str = Field(max_length=8)
    stage: str = Field(max_length=8)
    period: int
    region_code: str = Field(max_length=12)
    credit_code: str = Field(max_length=18, index=True)
    industry: str | None = Field(default=None, max_length=100)
    segment: str | None = Field(default=None, max_length=100)
    level: int
    base_score: float
    d1: float | None = None
    d2: float | None = None
    d3: float | None = None
    q1: float | None = None
    q2: float | None = None
    q3: float | None = None
    q4: float | None = None
    q5: float | None = None
    q6: float | None = None
    q7: float | None = None
    q8: float | None = None
    q9: float | None = None
    q10: float | None = None
    q11: float | None = None
    q12: float | None = None
    q13: float | None = None
    q14: float | None = None
    q15: float | None = None
    s1: int | None = None
    s2: int | None = None
    s3: int | None = None
    s4: int | None = None
    s5: int | None = None
    s6: int | None = None
    s7: int | None = None
    s8: int | None = None
    s9: int | None = None
    s10: int | None = None
    s11: int | None = None
    s12: int | None = None
    s13: int | None = None
    s14: int | None = None
    s15: int | None = None
    s16: int | None = None
    c1: bool | None = None
    c2: bool | None = None
    c3: bool | None = None
    c4: bool | None = None


class EvidenceFile(SQLModel, table=True):
    """A supporting material (支撑材料) the assessor attached to one question of an on-site assessment."""

    __tablename__ = "evaluation_evidence"

    id: int | None = Field(default=None, primary_key=True)
    evaluation_id: int = Field(foreign_key="evaluation.id", index=True)
    question_id: str = Field(max_length=8)
    material: str = Field(default="", max_length=100)
    file_id: int = Field(foreign_key="stored_file.id")
    uploaded_by_name: str = Field(default="", max_length=64)
    created_at: datetime = Field(default_factory=utcnow)


class RuleRevision(SQLModel, table=True):
    """A corrected version of a rule set, stored whole; version 1 is the shipped file and has no row."""

    __tablename__ = "evaluation_rule_revision"
    __table_args__ = (UniqueConstraint("rule_set_id", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    rule_set_id: str = Field(max_length=40)
    version: int
    data: str = Field(sa_type=Text)
    changes: str = Field(default="[]", sa_type=Text)  # what differs from the version before, for people
    reason: str = Field(sa_type=Text)
    source_url: str = Field(default="", max_length=500)
    editor_id: int | None = None
    editor_name: str = Field(default="", max_length=64)
    region_code: str = Field(default="", max_length=12)
    created_at: datetime = Field(default_factory=utcnow)

    @property
    def change_list(self) -> list[str]:
        return json.loads(self.changes or "[]")


def revision(rule_set_id: str, version: int, *, session) -> RuleRevision | None:
    return session.exec(select(RuleRevision).where(RuleRevision.rule_set_id == rule_set_id,
                                                   RuleRevision.version == version)).first()


def latest_revision(rule_set_id: str, *, session) -> RuleRevision | None:
    return session.exec(select(RuleRevision).where(RuleRevision.rule_set_id == rule_set_id)
                        .order_by(RuleRevision.version.desc())).first()


def revisions(rule_set_id: str, *, session) -> list[RuleRevision]:
    return list(session.exec(select(RuleRevision).where(RuleRevision.rule_set_id == rule_set_id)
                             .order_by(RuleRevision.version.desc())))


def evidence_of(evaluation_id: int, *, session) -> list[EvidenceFile]:
    return list(session.exec(select(EvidenceFile).where(EvidenceFile.evaluation_id == evaluation_id)
                             .order_by(EvidenceFile.question_id, EvidenceFile.id)))


def evaluations_query(*, visible, kind: str = "", status: str = "", stage: str = ""):
    """A list of evaluations, newest first, within the caller's scope clause."""
    stmt = select(Evaluation).where(visible)
    if kind:
        stmt = stmt.where(Evaluation.kind == kind)
    if status:
        stmt = stmt.where(Evaluation.status == status)
    if stage:
        stmt = stmt.where(Evaluation.stage == stage)
    return stmt.order_by(Evaluation.updated_at.desc(), Evaluation.id.desc())


def assigned_to(user_id: int):
    return (select(Evaluation).where(Evaluation.assessor_id == user_id)
            .order_by(Evaluation.updated_at.desc(), Evaluation.id.desc()))


def earlier_counted(ev: Evaluation, *, session) -> list[Evaluation]:
    """The results this one replaces in the analysis: same enterprise, kind, stage and period."""
    return list(session.exec(select(Evaluation).where(
        Evaluation.credit_code == ev.credit_code, Evaluation.kind == ev.kind, Evaluation.stage == ev.stage,
        Evaluation.period == ev.period, Evaluation.counted == True, Evaluation.id != ev.id)))  # noqa: E712


def latest_final(credit_code: str, *, session, kind: str | None = None, stage: str | None = None):
    stmt = select(Evaluation).where(Evaluation.credit_code == credit_code, Evaluation.counted == True)  # noqa: E712
    if kind:
        stmt = stmt.where(Evaluation.kind == kind)
    if stage:
        stmt = stmt.where(Evaluation.stage == stage)
    return session.exec(stmt.order_by(Evaluation.completed_at.desc(), Evaluation.id.desc())).first()


# The analysis (app/evaluations/analysis.py) is kept until a fact or a rule correction changes it.
ANALYSIS_GENERATION = "evaluations"
track(EvaluationFact.__tablename__, ANALYSIS_GENERATION)
track(RuleRevision.__tablename__, ANALYSIS_GENERATION)
