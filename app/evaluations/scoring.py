"""Scoring one set of answers with one rule version: item points, dimension scores, base score, scene
levels, and the level the level rule gives, with the row that decided it and what the next level lacks.

Pure functions over `rules.Rules` and an answers dict:
    {"q": {"Q1": ["B", "C"], "Q2": "D", …}, "f": {"Q2.f2": "100", …}, "s": {"S1": 2, …}}
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from app.evaluations.rules import LevelRow, Rules, dec


def num(value: Decimal) -> str:
    """A decimal as stored and shown: exact, without trailing zeros ("79.5", "80", "1.875")."""
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "") else text


def question_score(question, answer) -> Decimal:
    """Single: the chosen option's points. Multi: the sum of the chosen options' points (无 scores 0)."""
    if question.type == "multi":
        keys = answer or []
        return sum((question.option(k).points for k in keys if question.option(k)), Decimal(0))
    option = question.option(answer) if answer else None
    return option.points if option else Decimal(0)


def scene_level(answers: dict, scene) -> int:
    try:
        return int((answers.get("s") or {}).get(scene.id) or 0)
    except (TypeError, ValueError):
        return 0


@dataclass(frozen=True)
class RowCheck:
    """One level-rule row measured against the answers."""

    row: LevelRow
    base: Decimal
    scenes_at: int
    constrained_at: int

    @property
    def base_ok(self) -> bool:
        return self.base >= self.row.min_base_score

    @property
    def scenes_ok(self) -> bool:
        return self.scenes_at >= self.row.min_scenes

    @property
    def constrained_ok(self) -> bool:
        return self.constrained_at >= self.row.min_constrained

    @property
    def met(self) -> bool:
        return self.base_ok and self.scenes_ok and self.constrained_ok


def check_row(rules: Rules, row: LevelRow, base: Decimal, levels: dict[str, int]) -> RowCheck:
    at = [s for s in rules.scenes if levels.get(s.id, 0) >= row.level]
    return RowCheck(row, base, len(at), sum(1 for s in at if s.constrained))


def level_of(rules: Rules, base: Decimal, levels: dict[str, int]) -> tuple[int, str, RowCheck | None]:
    """Rows from the highest level down; the first whose three minimums all hold decides (else 无等级)."""
    for row in rules.level_rows:
        check = check_row(rules, row, base, levels)
        if check.met:
            return row.level, row.name, check
    level, name = rules.no_level
    return level, name, None


def score(rules: Rules, answers: dict) -> dict:
    """The per-item results and the verdict, as the JSON snapshot stored with the evaluation."""
    q_answers = answers.get("q") or {}
    items, dims = [], []
    for dim in rules.dimensions:
        got = Decimal(0)
        for q in rules.questions_of(dim["name"]):
            s = question_score(q, q_answers.get(q.id))
            got += s
            items.append({"id": q.id, "dimension": q.dimension, "group": q.group, "item": q.item, "text": q.text,
                          "points": num(q.points), "score": num(s), "answer": q_answers.get(q.id)})
        dims.append({"name": dim["name"], "points": num(dec(dim["points"])), "score": num(got)})
    base = sum((Decimal(d["score"]) for d in dims), Decimal(0))
    levels = {s.id: scene_level(answers, s) for s in rules.scenes}
    level, name, decided = level_of(rules, base, levels)
    checks = [check_row(rules, row, base, levels) for row in rules.level_rows]
    return {
        "rule_set_id": rules.id, "rule_version": rules.version,
        "items": items, "dimensions": dims, "base_score": num(base),
        "scenes": [{"id": s.id, "name": s.name, "group": s.group, "constrained": s.constrained,
                    "level": levels[s.id]} for s in rules.scenes],
        "level": level, "level_name": name,
        "decided_by": _row_json(decided) if decided else None,
        "rows": [_row_json(c) for c in checks],
        "next": next_level_gap(rules, level, base, levels),
    }


def _row_json(check: RowCheck) -> dict:
    r = check.row
    return {"level": r.level, "name": r.name, "min_base_score": num(r.min_base_score), "min_scenes": r.min_scenes,
            "min_constrained": r.min_constrained, "confidence": r.confidence, "scenes_at": check.scenes_at,
            "constrained_at": check.constrained_at, "base_ok": check.base_ok, "scenes_ok": check.scenes_ok,
            "constrained_ok": check.constrained_ok, "met": check.met}


def next_level_gap(rules: Rules, level: int, base: Decimal, levels: dict[str, int]) -> dict | None:
    """What the next level up lacks: points, how many scenes (and constrained ones) must reach it, and which
    scenes are closest (constrained first, then the highest current level)."""
    above = sorted((r for r in rules.level_rows if r.level > level), key=lambda r: r.level)
    if not above:
        return None
    row = above[0]
    check = check_row(rules, row, base, levels)
    below = [s for s in rules.scenes if levels.get(s.id, 0) < row.level]
    below.sort(key=lambda s: (not s.constrained, -levels.get(s.id, 0), s.order))
    need_constrained = max(0, row.min_constrained - check.constrained_at)
    need_scenes = max(0, row.min_scenes - check.scenes_at, need_constrained)
    picks = [s for s in below if s.constrained][:need_constrained]
    picks += [s for s in below if s not in picks][:need_scenes - len(picks)]
    return {"level": row.level, "name": row.name, "points_short": num(max(Decimal(0), row.min_base_score - base)),
            "scenes_short": need_scenes, "constrained_short": need_constrained,
            "raise": [{"id": s.id, "name": s.name, "constrained": s.constrained, "from": levels.get(s.id, 0),
                       "to": row.level} for s in picks]}
