"""Reading one step of the questionnaire from a posted form: the answers it gives and the refusals beside
each field, and the platform's cross-checks of the numbers against the chosen options (warnings only).

The steps follow the index: one per scored dimension, then the scenes, then the result.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from app.evaluations.rules import Rules, band_of, dec

SCENES, RESULT = "scenes", "result"
STEP_TITLES = {SCENES: "经营场景", RESULT: "结果"}
SHORT = {"数字化基础": "基础", "数字化管理": "管理", "数字化成效": "成效"}
MAX_NUMBER = Decimal("1e12")


@dataclass(frozen=True)
class Step:
    key: str
    title: str
    dimension: str | None = None


def steps(rules: Rules) -> list[Step]:
    """基础 → 管理 → 成效 → 经营场景 → 结果."""
    out = [Step(f"d{i}", SHORT.get(name, name), name) for i, name in enumerate(rules.dimension_names, 1)]
    return out + [Step(SCENES, STEP_TITLES[SCENES]), Step(RESULT, STEP_TITLES[RESULT])]


def step_by_key(rules: Rules, key: str) -> Step | None:
    return next((s for s in steps(rules) if s.key == key), None)


def number(raw) -> tuple[Decimal | None, str | None]:
    """A posted number: (value, None), (None, None) when empty, (None, message) when refused."""
    text = str(raw or "").strip().replace(",", "").replace("，", "")
    if not text:
        return None, None
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None, "请填写数字。"
    if not value.is_finite():
        return None, "请填写数字。"
    if value < 0:
        return None, "不能为负数。"
    if value > MAX_NUMBER:
        return None, "数值过大，请核对单位。"
    return value, None


def read_step(rules: Rules, step: Step, form, answers: dict) -> tuple[dict, dict[str, str]]:
    """The answers with this step's posted values laid over them, and the refusals by field name.
    With any refusal the caller stores nothing; the posted values still come back to redisplay."""
    new = {"q": dict(answers.get("q") or {}), "f": dict(answers.get("f") or {}), "s": dict(answers.get("s") or {})}
    errors: dict[str, str] = {}
    if step.dimension:
        for q in rules.questions_of(step.dimension):
            _read_question(q, form, new, errors)
        _not_greater(rules, new, errors, {f["id"] for q in rules.questions_of(step.dimension) for f in q.input_fields})
    elif step.key == SCENES:
        for scene in rules.scenes:
            _read_scene(rules, scene, form, new, errors)
    return new, errors


def _read_question(q, form, new: dict, errors: dict) -> None:
    keys = [k for k in form.getlist(q.id) if k]
    if q.type == "multi":
        unknown = [k for k in keys if q.option(k) is None]
        if unknown:
            errors[q.id] = "所选选项不存在，请重新选择。"
        elif not keys:
            errors[q.id] = "此题为必答题，请至少选择一项（没有则选“无”）。"
        elif len(keys) > 1 and any(q.option(k).exclusive for k in keys):
            errors[q.id] = "“无”不能与其他选项同时选择。"
        new["q"][q.id] = [o.key for o in q.options if o.key in keys]
    else:
        if len(keys) > 1:
            errors[q.id] = "此题为单选题，只能选择一项。"
        elif not keys:
            errors[q.id] = "此题为必答题，请选择一项。"
        elif q.option(keys[0]) is None:
            errors[q.id] = "所选选项不存在，请重新选择。"
        new["q"][q.id] = keys[0] if keys else None
    for field in q.input_fields:
        raw = form.get(field["id"], "")
        value, message = number(raw)
        if message:
            errors[field["id"]] = message
            new["f"][field["id"]] = str(raw)[:40]
        else:
            new["f"][field["id"]] = "" if value is None else _plain(value)


def _not_greater(rules: Rules, new: dict, errors: dict, fields: set[str]) -> None:
    for rule in (rules.data.get("platform_checks") or {}).get("not_greater", []):
        if rule["field"] not in fields or rule["field"] in errors:
            continue
        part, whole = _value(new, rule["field"]), _value(new, rule["than"])
        if part is not None and whole is not None and part > whole:
            errors[rule["field"]] = rule["message"]


def _read_scene(rules: Rules, scene, form, new: dict, errors: dict) -> None:
    raw = str(form.get(scene.id, "")).strip()
    if raw == "":
        errors[scene.id] = "请为该场景选择符合企业情况的等级描述（都不符合则选“未达到一级”）。"
        new["s"].pop(scene.id, None)
        return
    try:
        value = int(raw)
    except ValueError:
        value = None
    if value not in rules.scene_values:
        low, high = min(rules.scene_values), max(rules.scene_values)
        errors[scene.id] = f"场景等级只能是 {low}–{high}。"
        return
    new["s"][scene.id] = value


def _plain(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text


def _value(answers: dict, field_id: str) -> Decimal | None:
    value, message = number((answers.get("f") or {}).get(field_id))
    return None if message else value


def missing(rules: Rules, answers: dict) -> list[str]:
    """The questions and scenes still unanswered, by their titles (the result step lists them)."""
    q = answers.get("q") or {}
    s = answers.get("s") or {}
    out = [f"第 {x.order} 题" for x in rules.questions if not q.get(x.id)]
    return out + [f"场景“{x.name}”" for x in rules.scenes if x.id not in s]


def done_steps(rules: Rules, answers: dict) -> set[str]:
    """The steps whose every question (or scene) has an answer: the stepper marks them."""
    q, s = answers.get("q") or {}, answers.get("s") or {}
    done = {st.key for st in steps(rules)
            if st.dimension and all(q.get(x.id) for x in rules.questions_of(st.dimension))}
    if all(x.id in s for x in rules.scenes):
        done.add(SCENES)
    return done


# ------------------------------------------------------------------------------------------ cross-checks

def _ratio(answers: dict, top: str, bottoms: list[str]) -> Decimal | None:
    num = _value(answers, top)
    dens = [_value(answers, b) for b in bottoms]
    if num is None or any(d is None for d in dens):
        return None
    mean = sum(dens, Decimal(0)) / len(dens)
    return None if mean == 0 else num / mean


def _in_band(rate: Decimal, band) -> bool:
    low, high, low_in, high_in = band
    return (rate > low or (low_in and rate == low)) and (rate < high or (high_in and rate == high))


def cross_checks(rules: Rules, answers: dict) -> dict[str, dict]:
    """Per question: what the numbers give and, when the chosen option disagrees, a warning. The answer
    itself is never changed."""
    checks = rules.data.get("platform_checks") or {}
    chosen = answers.get("q") or {}
    out: dict[str, dict] = {}
    for rule in checks.get("rates", []):
        q = rules.question_by_id.get(rule["question"])
        ratio = _ratio(answers, rule["numerator"], rule["denominator"])
        if q is None or ratio is None:
            continue
        rate = (ratio * 100).quantize(Decimal("0.1"))
        fits = [o for o in q.options if band_of(o.text) and _in_band(ratio * 100, band_of(o.text))]
        entry = {"label": rule["label"], "computed": f"{rate}%"}
        option = q.option(chosen.get(q.id) or "")
        if option is not None and fits and option not in fits:
            entry["warning"] = (f"按填写的数据计算，{rule['label']}为 {rate}%，应选“{fits[0].text}”，"
                                f"而所选为“{option.text}”。请核对数据或选项。")
        out[q.id] = entry
    tolerance = rules.flat_tolerance
    for rule in checks.get("trends", []):
        q = rules.question_by_id.get(rule["question"])
        later = _ratio(answers, rule["later"][0], [rule["later"][1]])
        earlier = _ratio(answers, rule["earlier"][0], [rule["earlier"][1]])
        if q is None or later is None or earlier is None or earlier == 0:
            continue
        change = (later - earlier) / earlier * 100
        trend = "持平" if abs(change) <= tolerance else "增加" if change > 0 else "降低"
        entry = {"label": rule["label"], "computed": f"{trend}（{change.quantize(Decimal('0.1'))}%）"}
        option = q.option(chosen.get(q.id) or "")
        if option is not None and option.text in ("增加", "持平", "降低") and option.text != trend:
            entry["warning"] = (f"按填写的上年、前年数据计算，{rule['label']}{trend}"
                                f"（变化 {change.quantize(Decimal('0.1'))}%），而所选为“{option.text}”。"
                                "请核对数据或选项。")
        out[q.id] = entry
    return out


def warnings(rules: Rules, answers: dict) -> dict[str, str]:
    return {qid: e["warning"] for qid, e in cross_checks(rules, answers).items() if "warning" in e}


__all__ = ["Step", "steps", "step_by_key", "read_step", "missing", "cross_checks", "warnings", "dec"]
