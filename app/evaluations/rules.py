"""The evaluation index as data: one rule set (the project's copy of the 2024 bank), in versions.

Version 1 is the file `data/digital-level-2024.json` as shipped; each correction by a city administrator is
stored whole as a new version (models.RuleRevision). `Rules` is a read-only view of one version that the
scoring, the forms and the report read; nothing about the index is written in code.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property, lru_cache
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"
RULE_SET_ID = "digital-level-2024"
FILE_VERSION = 1
CONFIDENCE_LABELS = {"official": "官方原文", "implementation": "未经官方原文核对",
                     "unverified": "未核实", "platform": "平台规则"}


def bank_file() -> dict:
    """The shipped rule set (version 1), as data."""
    return json.loads((DATA / f"{RULE_SET_ID}.json").read_text(encoding="utf-8"))


def dec(value) -> Decimal:
    """Points as exact decimals (1.875 and 0.7 sums), whatever JSON number they came as."""
    return Decimal(str(value))


@dataclass(frozen=True)
class Option:
    key: str
    text: str
    points: Decimal
    exclusive: bool
    confidence: str


@dataclass(frozen=True)
class Question:
    id: str
    order: int
    text: str
    type: str  # single | multi
    points: Decimal
    options: tuple[Option, ...]
    input_fields: tuple[dict, ...]
    description: str
    dimension: str
    group: str
    item: str
    evidence: tuple[str, ...]
    confidence: str

    def option(self, key: str) -> Option | None:
        return next((o for o in self.options if o.key == key), None)


@dataclass(frozen=True)
class Scene:
    id: str  # S1…S16, from the scene's order
    order: int
    group: str
    name: str
    constrained: bool
    levels: dict[int, str]
    confidence: str  # of the constrained flag


@dataclass(frozen=True)
class LevelRow:
    level: int
    name: str
    min_base_score: Decimal
    min_scenes: int
    min_constrained: int
    confidence: str


BAND = re.compile(r"^([\[(])\s*(\d+(?:\.\d+)?)%?\s*[-,，]\s*(\d+(?:\.\d+)?)%?\s*([\])])$")


def band_of(text: str) -> tuple[Decimal, Decimal, bool, bool] | None:
    """"(10%,20%]" → (10, 20, low inclusive?, high inclusive?); None for an option that is no band."""
    m = BAND.match(text.replace(" ", ""))
    if not m:
        return None
    return dec(m.group(2)), dec(m.group(3)), m.group(1) == "[", m.group(4) == "]"


class Rules:
    """One version of the rule set, read from its JSON."""

    def __init__(self, data: dict, version: int):
        self.data = data
        self.version = version
        self.id = data["rule_set"]["id"]
        self.name = data["rule_set"]["name"]
        self.doc_no = data["rule_set"].get("doc_no") or ""

    @cached_property
    def dimensions(self) -> list[dict]:
        return self.data["scored_part"]["dimensions"]

    @cached_property
    def questions(self) -> tuple[Question, ...]:
        out = []
        for dim in self.dimensions:
            for group in dim["groups"]:
                for item in group["items"]:
                    q = item["question"]
                    out.append(Question(
                        id=q["id"], order=q["order"], text=q["text"], type=q["type"], points=dec(q["points"]),
                        options=tuple(Option(o["key"], o["text"], dec(o["points"]), bool(o.get("exclusive")),
                                             o.get("confidence", "")) for o in q["options"]),
                        input_fields=tuple(q.get("input_fields") or ()), description=q.get("description") or "",
                        dimension=dim["name"], group=group["name"], item=item["name"],
                        evidence=tuple((q.get("evidence_examples") or {}).get("items") or ()),
                        confidence=q.get("confidence", "")))
        return tuple(sorted(out, key=lambda q: q.order))

    @cached_property
    def question_by_id(self) -> dict[str, Question]:
        return {q.id: q for q in self.questions}

    def questions_of(self, dimension: str) -> list[Question]:
        return [q for q in self.questions if q.dimension == dimension]

    @cached_property
    def dimension_names(self) -> tuple[str, ...]:
        return tuple(d["name"] for d in self.dimensions)

    @cached_property
    def scenes(self) -> tuple[Scene, ...]:
        return tuple(Scene(id=f"S{s['order']}", order=s["order"], group=s["group"], name=s["name"],
                           constrained=bool(s["constrained"]),
                           levels={int(k): v for k, v in s["levels"].items()},
                           confidence=s.get("constrained_confidence", ""))
                     for s in sorted(self.data["scene_part"]["scenes"], key=lambda s: s["order"]))

    @cached_property
    def scene_values(self) -> tuple[int, ...]:
        return tuple(self.data["scene_part"]["answer"]["allowed_values"])

    @cached_property
    def level_rule(self) -> dict:
        return self.data["level_rule"]

    @cached_property
    def level_rows(self) -> tuple[LevelRow, ...]:
        """The level table, highest level first (the order it is checked in)."""
        return tuple(sorted((LevelRow(r["level"], r["name"], dec(r["min_base_score"]), int(r["min_scenes_at_or_above"]),
                                      int(r["min_constrained_at_or_above"]), r.get("confidence", ""))
                             for r in self.level_rule["table"]), key=lambda r: -r.level))

    @cached_property
    def no_level(self) -> tuple[int, str]:
        nl = self.level_rule.get("no_level") or {"level": 0, "name": "无等级"}
        return nl["level"], nl["name"]

    def level_name(self, level: int | None) -> str:
        if level is None:
            return ""
        return next((r.name for r in self.level_rows if r.level == level), self.no_level[1])

    @cached_property
    def level_confidence(self) -> str:
        return self.level_rule.get("confidence", "")

    @cached_property
    def flat_tolerance(self) -> Decimal:
        return dec((self.data.get("platform_checks") or {}).get("flat_tolerance_pct", 1))

    @cached_property
    def spec_scene_paths(self) -> dict[str, str]:
        return dict((self.data.get("spec_scene_paths") or {}).get("paths") or {})

    @property
    def label(self) -> str:
        return f"{self.name}第 {self.version} 版"


# ------------------------------------------------------------------------------------------- versions

@lru_cache(maxsize=32)
def _parsed(version: int, text: str) -> Rules:
    return Rules(json.loads(text), version)


def rules_of(version: int, *, session) -> Rules:
    """The rule set as it was at `version` (an evaluation is always read with the version it was scored
    with). Versions never change once written, so each is parsed once per process."""
    if version == FILE_VERSION:
        return _file_rules()
    from app.evaluations.models import revision

    row = revision(RULE_SET_ID, version, session=session)
    if row is None:
        raise LookupError(f"{RULE_SET_ID} version {version}")
    return _parsed(version, row.data)


@lru_cache(maxsize=1)
def _file_rules() -> Rules:
    return Rules(bank_file(), FILE_VERSION)


def current(*, session) -> Rules:
    """The version new evaluations are scored with: the latest correction, or the shipped file."""
    from app.evaluations.models import latest_revision

    row = latest_revision(RULE_SET_ID, session=session)
    return _file_rules() if row is None else _parsed(row.version, row.data)


def confidence_label(value: str) -> str:
    return CONFIDENCE_LABELS.get(value or "", value or "待核实")
