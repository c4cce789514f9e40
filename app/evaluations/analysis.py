"""综合分析: the distribution of the counted results (one per enterprise × kind × stage × year) in an
official's region, aggregated in SQL over their narrow fact rows (models.EvaluationFact).

One `Analysis` holds every table of the page; the page, its chart data (JSON) and the Excel export all read
the same object, so a chart never shows a number the tables do not.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from flask import current_app, has_app_context
from sqlalchemy import and_, case, distinct, func
from sqlmodel import Session, select

from app.accounts.scope import region_prefix
from app.dicts.service import region_names
from app.evaluations import rules as R
from app.evaluations.models import AFTER, BEFORE, DIM_COLUMNS, SCENE_COLUMNS, SCORE_COLUMNS
from app.evaluations.models import EvaluationFact as Fact
from app.pilots.models import PilotEnterprise

LEVELS = (4, 3, 2, 1, 0)
OTHER = "其他（非试点产业）"
UNKNOWN_INDUSTRY = "未登记行业"


@dataclass(frozen=True)
class Filters:
    region: str  # the official's region code
    kind: str = "onsite"
    period: int | None = None
    stage: str = ""
    county: str = ""

    def where(self):
        clauses = [Fact.kind == self.kind,
                   Fact.region_code.startswith(region_prefix(self.region), autoescape=True)]
        if self.period:
            clauses.append(Fact.period == self.period)
        if self.stage:
            clauses.append(Fact.stage == self.stage)
        if self.county:
            clauses.append(Fact.region_code.startswith(region_prefix(self.county), autoescape=True))
        return and_(*clauses)


@dataclass
class Analysis:
    filters: Filters
    level_names: dict[int, str]
    total: int = 0
    average: float | None = None
    overall: dict[int, int] = field(default_factory=dict)
    by_county: list[dict] = field(default_factory=list)
    by_industry: list[dict] = field(default_factory=list)
    by_pilot_industry: list[dict] = field(default_factory=list)
    dimensions: list[dict] = field(default_factory=list)
    items: list[dict] = field(default_factory=list)
    heat: list[dict] = field(default_factory=list)
    constrained: list[dict] = field(default_factory=list)
    before_after: dict = field(default_factory=dict)
    pilot_source: str = ""


def _pilot_industries_path() -> Path:
    """instance/pilot-industries.json if a deployment put one there, else the shipped data."""
    if has_app_context():
        custom = Path(current_app.instance_path) / "pilot-industries.json"
        if custom.exists():
            return custom
    return R.DATA / "pilot-industries.json"


def pilot_industries_stamp() -> tuple[str, int]:
    """Which pilot-industry file is in force, and when it last changed (a kept analysis follows it)."""
    path = _pilot_industries_path()
    return str(path), path.stat().st_mtime_ns


def pilot_industries(region_code: str) -> dict:
    """The pilot industries of the official's city."""
    path = _pilot_industries_path()
    cities = json.loads(path.read_text(encoding="utf-8")).get("cities", {})
    city = region_code[:4] + "00"
    return cities.get(city) or {"industries": []}


def pilot_industry_of(conf: dict, industry: str | None, segment: str | None) -> str:
    for entry in conf.get("industries", []):
        if industry and industry in entry.get("industries", []):
            return entry["name"]
        if segment and any(k in segment for k in entry.get("keywords", [])):
            return entry["name"]
    return OTHER


def _level_rows(rows, key_name: str, label_of) -> list[dict]:
    """(key, level, count) rows → [{label, levels: {level: n}, total}] sorted by total."""
    out: dict[str, dict] = {}
    for key, level, n in rows:
        label = label_of(key)
        entry = out.setdefault(label, {"label": label, "key": key, "levels": dict.fromkeys(LEVELS, 0), "total": 0})
        entry["levels"][level or 0] += n
        entry["total"] += n
    return sorted(out.values(), key=lambda e: (-e["total"], e["label"]))


def analyse(session: Session, filters: Filters, rules: R.Rules) -> Analysis:
    where = filters.where()
    names = {lvl: rules.level_name(lvl) for lvl in LEVELS}
    result = Analysis(filters, names)
    E = Fact
    for level, n in session.exec(select(E.level, func.count()).where(where).group_by(E.level)):
        result.overall[level or 0] = n
    result.total = sum(result.overall.values())
    result.average = session.exec(select(func.avg(E.base_score)).where(where)).one()
    county_rows = list(session.exec(select(E.region_code, E.level, func.count()).where(where)
                                    .group_by(E.region_code, E.level)))
    county_names = region_names({r[0] for r in county_rows}, session=session)
    result.by_county = _level_rows(county_rows, "county", lambda c: county_names.get(c, c))
    combo = list(session.exec(select(E.industry, E.segment, E.level, func.count()).where(where)
                              .group_by(E.industry, E.segment, E.level)))
    result.by_industry = _level_rows(((i, lvl, n) for i, _s, lvl, n in combo), "industry",
                                     lambda i: i or UNKNOWN_INDUSTRY)
    conf = pilot_industries(filters.region)
    result.pilot_source = conf.get("source", "")
    pilot_rows = [(pilot_industry_of(conf, i, s), lvl, n) for i, s, lvl, n in combo]
    order = [e["name"] for e in conf.get("industries", [])] + [OTHER]
    result.by_pilot_industry = sorted(_level_rows(pilot_rows, "pilot", lambda p: p),
                                      key=lambda e: order.index(e["label"]) if e["label"] in order else 99)
    _scores(session, where, rules, result)
    _heat(session, where, rules, result)
    result.before_after = _before_after(session, filters, rules)
    return result


def _scores(session: Session, where, rules: R.Rules, result: Analysis) -> None:
    E = Fact
    cols = [func.avg(getattr(E, c)) for c in (*DIM_COLUMNS, *SCORE_COLUMNS)]
    cols += [func.avg(case((getattr(E, f"c{r.level}") == True, 1.0), else_=0.0))  # noqa: E712
             for r in rules.level_rows]
    row = session.exec(select(*cols).where(where)).one()
    dims = row[:len(DIM_COLUMNS)]
    items = row[len(DIM_COLUMNS):len(DIM_COLUMNS) + len(SCORE_COLUMNS)]
    conds = row[len(DIM_COLUMNS) + len(SCORE_COLUMNS):]
    result.dimensions = [{"name": d["name"], "points": float(d["points"]), "average": avg}
                         for d, avg in zip(rules.dimensions, dims, strict=True)]
    result.items = [{"id": q.id, "dimension": q.dimension, "item": q.item, "points": float(q.points),
                     "average": items[q.order - 1]} for q in rules.questions]
    result.constrained = [{"level": r.level, "name": r.name, "min_constrained": r.min_constrained,
                           "share": share} for r, share in zip(rules.level_rows, conds, strict=True)]


def _heat(session: Session, where, rules: R.Rules, result: Analysis) -> None:
    E = Fact
    exprs = [func.sum(case((getattr(E, col) == lvl, 1), else_=0)) for col in SCENE_COLUMNS for lvl in range(5)]
    row = session.exec(select(*exprs).where(where)).one()
    for i, scene in enumerate(rules.scenes):
        counts = [int(row[i * 5 + lvl] or 0) for lvl in range(5)]
        result.heat.append({"name": scene.name, "constrained": scene.constrained, "counts": counts})


def _before_after(session: Session, filters: Filters, rules: R.Rules) -> dict:
    """Enterprises with both a 改造前 and a 改造后 result of this kind (any year): the two stages compared."""
    E = Fact
    base = and_(E.kind == filters.kind,
                E.region_code.startswith(region_prefix(filters.county or filters.region), autoescape=True),
                E.stage.in_((BEFORE, AFTER)))
    both = (select(E.credit_code).where(base).group_by(E.credit_code)
            .having(func.count(distinct(E.stage)) == 2))
    stmt = (select(E.stage, func.count(), func.avg(E.base_score), *[func.avg(getattr(E, c)) for c in DIM_COLUMNS],
                   *[func.sum(case((E.level == lvl, 1), else_=0)) for lvl in LEVELS])
            .where(base, E.credit_code.in_(both)).group_by(E.stage))
    out = {}
    for row in session.exec(stmt):
        stage, n, avg, *rest = row
        out[stage] = {"count": n, "average": avg, "dimensions": list(rest[:len(DIM_COLUMNS)]),
                      "levels": dict(zip(LEVELS, (int(x or 0) for x in rest[len(DIM_COLUMNS):]), strict=True))}
    return out


def pilots_in(session: Session, region_code: str) -> list[tuple[str, str]]:
    """(credit code, name) of the pilot enterprises of a region, for the assignment form."""
    rows = session.exec(select(PilotEnterprise.credit_code, PilotEnterprise.title).where(
        PilotEnterprise.region_code.startswith(region_prefix(region_code), autoescape=True),
        PilotEnterprise.credit_code.is_not(None)).order_by(PilotEnterprise.title).limit(1000))
    return [(c, t or c) for c, t in rows]


def chart_json(a: Analysis) -> dict:
    """The chart data of the analysis page (every number comes from the same Analysis as its tables)."""
    levels = [{"level": lvl, "name": a.level_names[lvl]} for lvl in LEVELS]

    def series(rows):
        return {"labels": [r["label"] for r in rows],
                "series": [{"name": a.level_names[lvl], "data": [r["levels"][lvl] for r in rows]} for lvl in LEVELS]}

    return {
        "levels": levels, "total": a.total,
        "overall": [{"name": a.level_names[lvl], "value": a.overall.get(lvl, 0)} for lvl in LEVELS],
        "by_county": series(a.by_county), "by_industry": series(a.by_industry),
        "by_pilot_industry": series(a.by_pilot_industry),
        "dimensions": {"indicators": [{"name": d["name"], "max": d["points"]} for d in a.dimensions],
                       "values": [round(d["average"] or 0, 2) for d in a.dimensions]},
        "items": {"labels": [f"{i['id']} {i['item']}" for i in a.items],
                  "values": [round(i["average"] or 0, 2) for i in a.items], "max": [i["points"] for i in a.items]},
        "heat": {"scenes": [h["name"] for h in a.heat], "levels": [str(lvl) for lvl in range(5)],
                 "data": [[lvl, i, h["counts"][lvl]] for i, h in enumerate(a.heat) for lvl in range(5)]},
        "constrained": {"labels": [c["name"] for c in a.constrained],
                        "values": [round((c["share"] or 0) * 100, 1) for c in a.constrained]},
        "before_after": {stage: {"average": round(v["average"] or 0, 2),
                                 "dimensions": [round(x or 0, 2) for x in v["dimensions"]]}
                         for stage, v in a.before_after.items()},
    }
