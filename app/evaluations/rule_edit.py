"""Correcting the rule set: the level-rule rows (points, scene counts, constrained-scene counts), the
constrained-scene list and the option points. A correction never overwrites: it becomes the next version,
stored whole with its reason, source and editor, and audited. A correction that would leave a level
unreachable, or whose option points no longer add up to the item's points, is refused beside its field."""
from __future__ import annotations

import copy
import json
from decimal import Decimal, InvalidOperation

from sqlmodel import Session

from app.audit.service import record as audit
from app.db import write
from app.evaluations import rules as R
from app.evaluations.models import RuleRevision, latest_revision
from app.evaluations.scoring import num
from app.refusal import Refused

CONFIDENCES = ("official", "implementation", "unverified")


class RulesRefused(Refused):
    def __init__(self, errors: dict[str, str]):
        super().__init__(next(iter(errors.values())), next(iter(errors)))
        self.errors = errors


def _decimal(form, name: str, errors: dict, *, low: Decimal, high: Decimal, integer: bool = False):
    raw = str(form.get(name, "")).strip()
    try:
        value = Decimal(raw)
    except InvalidOperation:
        errors[name] = "请填写数字。"
        return None
    if not value.is_finite() or value < low or value > high:
        errors[name] = f"应在 {num(low)}–{num(high)} 之间。"
        return None
    if integer and value != value.to_integral_value():
        errors[name] = "请填写整数。"
        return None
    return value


def corrected(rules: R.Rules, form) -> tuple[dict, list[str], dict[str, str]]:
    """(the corrected data, what changed, refusals by field) from the editor's form."""
    data = copy.deepcopy(rules.data)
    errors: dict[str, str] = {}
    changes: list[str] = []
    scenes = data["scene_part"]["scenes"]
    for scene in scenes:
        now = form.get(f"constrained_S{scene['order']}") == "yes"
        if now != bool(scene["constrained"]):
            changes.append(f"场景“{scene['name']}”{'列入' if now else '移出'}约束性场景")
            scene["constrained"] = now
    n_constrained = sum(1 for s in scenes if s["constrained"])
    total = R.dec(data["scored_part"]["total_points"])
    rows = data["level_rule"]["table"]
    for row in rows:
        lvl = row["level"]
        for key, label, high, integer in (("min_base_score", "分数线", total, False),
                                          ("min_scenes_at_or_above", "场景数", Decimal(len(scenes)), True),
                                          ("min_constrained_at_or_above", "约束性场景数", Decimal(len(scenes)), True)):
            name = f"L{lvl}_{key}"
            value = _decimal(form, name, errors, low=Decimal(0), high=high, integer=integer)
            if value is None:
                continue
            new = int(value) if integer else float(value) if value != value.to_integral_value() else int(value)
            if R.dec(row[key]) != value:
                changes.append(f"{row['name']}{label}：{num(R.dec(row[key]))} → {num(value)}")
                row[key] = new
        name = f"L{lvl}_min_constrained_at_or_above"
        if name not in errors and row["min_constrained_at_or_above"] > n_constrained:
            errors[name] = (f"约束性场景只有 {n_constrained} 个，要求 {row['min_constrained_at_or_above']} 个"
                            f"将使{row['name']}无法达到。")
        if name not in errors and row["min_constrained_at_or_above"] > row["min_scenes_at_or_above"] \
                and f"L{lvl}_min_scenes_at_or_above" not in errors:
            errors[name] = "约束性场景数不能多于场景总数要求。"
    ordered = sorted(rows, key=lambda r: r["level"])
    for lower, higher in zip(ordered, ordered[1:], strict=False):
        name = f"L{higher['level']}_min_base_score"
        if name not in errors and R.dec(higher["min_base_score"]) < R.dec(lower["min_base_score"]):
            floor = num(R.dec(lower["min_base_score"]))
            errors[name] = f"{higher['name']}的分数线不能低于{lower['name']}（{floor} 分）。"
    confidence = form.get("level_confidence", data["level_rule"].get("confidence"))
    if confidence not in CONFIDENCES:
        errors["level_confidence"] = "请选择可信度。"
    elif confidence != data["level_rule"].get("confidence"):
        changes.append(f"等级判定规则可信度：{R.confidence_label(data['level_rule'].get('confidence'))} → "
                       f"{R.confidence_label(confidence)}")
        data["level_rule"]["confidence"] = confidence
        for row in rows:
            row["confidence"] = confidence
    _points(data, form, errors, changes)
    return data, changes, errors


def _points(data: dict, form, errors: dict, changes: list[str]) -> None:
    for dim in data["scored_part"]["dimensions"]:
        for group in dim["groups"]:
            for item in group["items"]:
                q = item["question"]
                values = {}
                for option in q["options"]:
                    name = f"P_{q['id']}_{option['key']}"
                    if name not in form:
                        values[option["key"]] = R.dec(option["points"])
                        continue
                    value = _decimal(form, name, errors, low=Decimal(0), high=R.dec(q["points"]))
                    if value is None:
                        continue
                    if option.get("exclusive") and value != 0:
                        errors[name] = "“无”选项的分值只能是 0。"
                        continue
                    values[option["key"]] = value
                    if R.dec(option["points"]) != value:
                        was = num(R.dec(option["points"]))
                        changes.append(f"第 {q['order']} 题选项 {option['key']}：{was} → {num(value)}")
                        option["points"] = float(value) if value != value.to_integral_value() else int(value)
                if any(f"P_{q['id']}_" in k for k in errors) or len(values) != len(q["options"]):
                    continue
                plain = [values[o["key"]] for o in q["options"] if not o.get("exclusive")]
                got = sum(plain, Decimal(0)) if q["type"] == "multi" else max(plain)
                if got != R.dec(q["points"]):
                    how = "各选项分值之和" if q["type"] == "multi" else "最高选项分值"
                    errors[f"P_{q['id']}"] = (f"{how}为 {num(got)}，与该指标分值 {num(R.dec(q['points']))} 不一致；"
                                              f"维度“{dim['name']}”合计须为 {num(R.dec(dim['points']))} 分。")


def save_correction(session: Session, rules: R.Rules, form, *, editor) -> RuleRevision:
    reason = str(form.get("reason", "")).strip()
    source = str(form.get("source_url", "")).strip()
    data, changes, errors = corrected(rules, form)
    if not reason:
        errors["reason"] = "请填写修订原因。"
    elif len(reason) > 1000:
        errors["reason"] = "修订原因不能超过 1000 字。"
    if not source:
        errors["source_url"] = "请填写修订依据的来源（文件名称或网址）。"
    elif len(source) > 500:
        errors["source_url"] = "来源不能超过 500 字。"
    if not errors and not changes:
        errors["reason"] = "没有任何改动，无需保存新版本。"
    if errors:
        raise RulesRefused(errors)
    with write(session):
        latest = latest_revision(rules.id, session=session)
        version = (latest.version if latest else R.FILE_VERSION) + 1
        data.setdefault("revision", {})
        data["revision"] = {"version": version, "reason": reason, "source": source,
                            "editor": editor.display_name or editor.username}
        row = RuleRevision(rule_set_id=rules.id, version=version, data=json.dumps(data, ensure_ascii=False),
                           changes=json.dumps(changes, ensure_ascii=False), reason=reason, source_url=source,
                           editor_id=editor.id, editor_name=editor.display_name or editor.username,
                           region_code=editor.region_code)
        session.add(row)
        session.flush()
        audit(session, "evaluation.rules_correct", actor=editor, target_type="evaluation_rules",
              target_id=f"{rules.id}@{version}", region_code=editor.region_code,
              detail={"from_version": rules.version, "version": version, "changes": changes, "reason": reason,
                      "source": source})
    return row
