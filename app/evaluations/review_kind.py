"""An enterprise-confirmed on-site result goes to the city through the review queue (app/review/kinds.py):
the queue decides it like any submission, and `decided` moves the evaluation with the decision. An approval
makes it the enterprise's result of that stage and year and, for 改造前/改造后, fills the archive's level."""
from __future__ import annotations

from flask import url_for
from sqlmodel import Session

from app.evaluations.models import APPROVED, AWAITING_CITY, REJECTED, RETURNED, Evaluation
from app.review import models as review_models
from app.review.kinds import Kind, register


def _decided(session: Session, sub: review_models.Submission, official) -> None:
    from app.evaluations import onsite

    status = {review_models.APPROVED: APPROVED, review_models.RETURNED: RETURNED,
              review_models.REJECTED: REJECTED}.get(sub.status)
    if status is None:  # a county step passed (REVIEW_LEVELS may add one): the city decides next
        return
    ev = session.get(Evaluation, sub.record_id, populate_existing=True)
    if ev is None or ev.status != AWAITING_CITY:
        return  # the evaluation moved on without the queue (it cannot today); the decision stays recorded
    onsite.apply_decision(session, ev, official, status=status, reason=sub.reason or "",
                          submitter_id=sub.submitter_id)


ONSITE_REVIEW = register(Kind(
    key="evaluation",
    title="数字化水平现场评定",
    noun="现场评定结果",
    url=lambda item_id: url_for("evaluations.overview", evaluation_id=item_id),
    load=lambda session, item_id: session.get(Evaluation, item_id),
    decided=_decided,
    pane="evaluations/_review_pane.html",
    review_levels="city",
))
