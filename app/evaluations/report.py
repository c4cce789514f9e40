"""The report of one evaluation, built from its stored result and the rule version it was scored with:
scores per dimension and item, the scene levels, the level with the rule row that decided it, what the
next level lacks, product suggestions, and the confidence notes of the rules behind the verdict."""
from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from app.evaluations import rules as R
from app.evaluations import suggestions
from app.evaluations.models import Evaluation


@dataclass
class Report:
    ev: Evaluation
    rules: R.Rules
    result: dict
    notes: list[str]
    suggestions: list[dict]

    @property
    def dimensions(self) -> list[dict]:
        return self.result["dimensions"]

    def items_of(self, dimension: str) -> list[dict]:
        return [i for i in self.result["items"] if i["dimension"] == dimension]

    def answer_text(self, item: dict) -> str:
        q = self.rules.question_by_id.get(item["id"])
        answer = item.get("answer")
        keys = answer if isinstance(answer, list) else [answer] if answer else []
        return "；".join(o.text for k in keys if q and (o := q.option(k))) or "未作答"

    def scene_text(self, scene: dict) -> str:
        s = next((x for x in self.rules.scenes if x.id == scene["id"]), None)
        return s.levels.get(scene["level"], "") if s and scene["level"] else "未达到一级"


def confidence_notes(rules: R.Rules) -> list[str]:
    """Where the rules behind the verdict are not official, say so (README-criteria: show it beside the verdict)."""
    notes = []
    if rules.level_confidence != "official":
        notes.append(f"等级判定规则（分数线、场景数和约束性场景数）：{R.confidence_label(rules.level_confidence)}，"
                     "来自第三方实现，尚未与官方文件核对。")
    scene_conf = {s.confidence for s in rules.scenes if s.confidence and s.confidence != "official"}
    if scene_conf:
        notes.append(f"约束性场景清单：{R.confidence_label(sorted(scene_conf)[0])}"
                     "（清单为 9 个还是 10 个场景尚有分歧）。")
    if any(q.confidence != "official" for q in rules.questions):
        notes.append("题目选项分值：" + R.confidence_label("implementation") + "。")
    return notes


def build(session: Session, ev: Evaluation, *, with_suggestions: bool = True) -> Report:
    rules = R.rules_of(ev.rule_version, session=session)
    result = ev.result_data
    picks = suggestions.for_scenes(session, rules, suggestions.weak_scenes(result)) if with_suggestions else []
    return Report(ev, rules, result, confidence_notes(rules), picks)


def chart_data(report: Report) -> dict:
    """The radar (dimensions as a share of their points) and the scene bars, for the chart script."""
    dims = report.dimensions
    return {
        "radar": {"indicators": [{"name": d["name"], "max": float(d["points"])} for d in dims],
                  "values": [float(d["score"]) for d in dims]},
        "scenes": {"names": [s["name"] for s in report.result["scenes"]],
                   "levels": [s["level"] for s in report.result["scenes"]],
                   "constrained": [s["constrained"] for s in report.result["scenes"]]},
    }
