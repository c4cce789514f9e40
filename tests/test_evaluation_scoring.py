"""The scoring engine over the whole bank, read from the project's copy (app/evaluations/data): every
question's options, the multi-choice rule with 无, the level rule at each boundary, and the cross-checks."""
from __future__ import annotations

import functools
from decimal import Decimal

import pytest
from werkzeug.datastructures import MultiDict

from app.evaluations import answers as A
from app.evaluations import rules as R
from app.evaluations import scoring

RULES = R.Rules(R.bank_file(), 1)
BY_NAME = {s.name: s for s in RULES.scenes}
CONSTRAINED = [s for s in RULES.scenes if s.constrained]
GUIDING = [s for s in RULES.scenes if not s.constrained]


def test_bank_shape_and_totals():
    assert len(RULES.questions) == 15 and len(RULES.scenes) == 16
    assert [d["points"] for d in RULES.dimensions] == [50, 30, 20]
    assert len(CONSTRAINED) == 10 and "仓储物流" in {s.name for s in CONSTRAINED}
    total = Decimal(0)
    for q in RULES.questions:
        top = sum((o.points for o in q.options if not o.exclusive), Decimal(0)) if q.type == "multi" else \
            max(o.points for o in q.options)
        assert top == q.points, q.id
        total += q.points
    assert total == 100


@pytest.mark.parametrize("q", RULES.questions, ids=lambda q: q.id)
def test_each_option_scores_its_points(q):
    for option in q.options:
        answer = [option.key] if q.type == "multi" else option.key
        assert scoring.question_score(q, answer) == option.points
    if q.type == "multi":
        every = [o.key for o in q.options if not o.exclusive]
        assert scoring.question_score(q, every) == q.points
        exclusive = [o for o in q.options if o.exclusive]
        assert exclusive and exclusive[0].text == "无" and exclusive[0].points == 0


def test_q4_uses_decimal_points():
    q4 = RULES.question_by_id["Q4"]
    assert scoring.question_score(q4, [o.key for o in q4.options if o.text in ("产品设计", "人力资源")]) == Decimal("1.6")


def _choices(question):
    """Each answer a question can take here, with its score (multi: the first k non-无 options)."""
    if question.type == "single":
        return [(o.key, o.points) for o in question.options]
    plain = [o for o in question.options if not o.exclusive]
    none = [o.key for o in question.options if o.exclusive]
    return [(none, Decimal(0))] + [([o.key for o in plain[:k]], sum((o.points for o in plain[:k]), Decimal(0)))
                                   for k in range(1, len(plain) + 1)]


@functools.cache
def _reachable() -> dict:
    """Every base score the bank's options can make, with one set of answers making it."""
    reach = {Decimal(0): {}}
    for question in RULES.questions:
        nxt = {}
        for total, picked in reach.items():
            for answer, points in _choices(question):
                nxt.setdefault(total + points, {**picked, question.id: answer})
        reach = nxt
    return reach


def _answers_for(base: Decimal, scene_levels: dict[str, int]) -> dict:
    """Answers worth exactly `base` points, scenes as given."""
    reach = _reachable()
    assert base in reach, f"cannot make {base}"
    return {"q": reach[base], "f": {}, "s": {s.id: scene_levels.get(s.name, 0) for s in RULES.scenes}}


def _scenes(level: int, constrained: int, guiding: int) -> dict[str, int]:
    return {**{s.name: level for s in CONSTRAINED[:constrained]}, **{s.name: level for s in GUIDING[:guiding]}}


@pytest.mark.parametrize("base,constrained,guiding,expected", [
    (Decimal("80"), 6, 4, 4),       # 80 points, 10 scenes, 6 constrained: 四级
    (Decimal("79.5"), 6, 4, 3),     # 79.5 points: not 四级
    (Decimal("80"), 6, 3, 3),       # 9 scenes at level 4
    (Decimal("80"), 5, 5, 3),       # 10 scenes but 5 constrained
    (Decimal("100"), 10, 6, 4),
    (Decimal("60"), 5, 3, 3),       # 三级 exactly
    (Decimal("59.5"), 5, 3, 2),
    (Decimal("60"), 4, 4, 2),       # 8 scenes, 4 constrained
    (Decimal("40"), 3, 3, 2),
    (Decimal("39.5"), 3, 3, 1),
    (Decimal("20"), 3, 3, 1),
    (Decimal("19.5"), 3, 3, 0),
    (Decimal("20"), 2, 4, 0),       # 6 scenes, 2 constrained
    (Decimal("20"), 3, 2, 0),       # 5 scenes
])
def test_level_rule_boundaries(base, constrained, guiding, expected):
    level = max(expected, 1)
    answers = _answers_for(base, _scenes(4 if expected == 4 else level if expected else 1, constrained, guiding))
    result = scoring.score(RULES, answers)
    assert Decimal(result["base_score"]) == base
    assert result["level"] == expected
    assert result["level_name"] == RULES.level_name(expected)
    if expected:
        assert result["decided_by"]["level"] == expected and result["decided_by"]["met"]
    else:
        assert result["decided_by"] is None and result["level_name"] == "无等级"


def test_next_level_gap_names_scenes_to_raise():
    answers = _answers_for(Decimal("80"), _scenes(4, 5, 4))  # 9 scenes at 4, 5 constrained
    result = scoring.score(RULES, answers)
    assert result["level"] == 3
    gap = result["next"]
    assert gap["level"] == 4 and gap["points_short"] == "0"
    assert gap["scenes_short"] == 1 and gap["constrained_short"] == 1
    assert [r["name"] for r in gap["raise"]] == [CONSTRAINED[5].name]


def test_dimension_scores_add_up():
    answers = _answers_for(Decimal("100"), {})
    result = scoring.score(RULES, answers)
    assert [d["score"] for d in result["dimensions"]] == ["50", "30", "20"]
    assert result["level"] == 0  # no scene answered


# ------------------------------------------------------------------------------------------- reading

def _post(**values) -> MultiDict:
    items = []
    for k, v in values.items():
        for x in (v if isinstance(v, list) else [v]):
            items.append((k.replace("_", "."), x))
    return MultiDict(items)


BASE_STEP = A.step_by_key(RULES, "d1")


def _full_base(**extra) -> dict:
    values = {"Q1": ["B", "C"], "Q2": "C", "Q3": "B", "Q4": ["B"], "Q5": "C", "Q6": ["A"], "Q7": ["B"]}
    values.update(extra)
    return values


def test_steps_follow_the_index():
    assert [s.title for s in A.steps(RULES)] == ["基础", "管理", "成效", "经营场景", "结果"]


def test_unanswered_and_exclusive_refused():
    _, errors = A.read_step(RULES, BASE_STEP, _post(**_full_base(Q5=[], Q6=["A", "B"])), {})
    assert errors["Q5"] == "此题为必答题，请选择一项。"
    assert errors["Q6"] == "“无”不能与其他选项同时选择。"


@pytest.mark.parametrize("raw,message", [("-3", "不能为负数。"), ("abc", "请填写数字。"), ("1e999", "数值过大，请核对单位。")])
def test_bad_numbers_refused(raw, message):
    _, errors = A.read_step(RULES, BASE_STEP, _post(**_full_base(**{"Q2_f2": raw})), {})
    assert errors == {"Q2.f2": message}


def test_digitised_more_than_total_refused():
    _, errors = A.read_step(RULES, BASE_STEP, _post(**_full_base(Q2_f2="100", Q2_f3="120", Q3_f2="101")), {})
    assert errors == {"Q2.f3": "实现数字化的生产设备数量不能大于生产设备总数。",
                      "Q3.f2": "实现联网的生产设备数量不能大于生产设备总数（见第 2 题）。"}


def test_scene_outside_range_refused():
    step = A.step_by_key(RULES, "scenes")
    form = _post(**{**{s.id: "2" for s in RULES.scenes}, "S3": "5"})
    _, errors = A.read_step(RULES, step, form, {})
    assert errors == {"S3": "场景等级只能是 0–4。"}
    form = _post(**{s.id: "1" for s in RULES.scenes if s.id != "S4"})
    _, errors = A.read_step(RULES, step, form, {})
    assert list(errors) == ["S4"]


def test_rate_disagreeing_with_option_is_warned_not_changed():
    answers, errors = A.read_step(RULES, BASE_STEP, _post(**_full_base(Q2="E", Q2_f2="100", Q2_f3="42")), {})
    assert not errors
    warn = A.warnings(RULES, answers)
    assert "42.0%" in warn["Q2"] and "(40%,60%]" in warn["Q2"] and "(60%,100%]" in warn["Q2"]
    assert answers["q"]["Q2"] == "E"
    answers["q"]["Q2"] = "D"
    assert "Q2" not in A.warnings(RULES, answers)


def test_band_edges():
    q2 = RULES.question_by_id["Q2"]
    for total, done, key in ((100, 10, "A"), (100, 11, "B"), (100, 60, "D"), (100, 61, "E"), (100, 0, "A")):
        answers = {"q": {"Q2": key}, "f": {"Q2.f2": str(total), "Q2.f3": str(done)}}
        assert "Q2" not in A.warnings(RULES, answers), (done, key)
    assert q2.option("E").text == "(60%,100%]"


def test_trend_checks():
    answers = {"q": {"Q14": "C", "Q15": "C", "Q12": "C"},
               "f": {"Q14.f1": "100", "Q14.f2": "5000", "Q14.f3": "100", "Q14.f4": "5000",
                     "Q15.f1": "4000", "Q15.f2": "3000", "Q12.f1": "90", "Q12.f2": "100"}}
    warn = A.warnings(RULES, answers)
    assert "持平" in warn["Q14"]  # per-capita revenue unchanged, 增加 chosen
    assert "增加" in warn["Q15"]  # cost per 100 yuan rose, 降低 chosen
    assert "Q12" not in warn  # energy per 100 yuan fell, 降低 chosen
