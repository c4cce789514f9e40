"""Load the reference data (regions, industries, section-3 dictionaries) into the database.

Idempotent: rows are compared with what is stored and only the differences are written, in one write
transaction, with bulk statements (the tests load the data into a fresh database every time).
"""
from __future__ import annotations

import csv
from pathlib import Path

from sqlalchemy import delete, insert, select, update
from sqlmodel import Session

from app.db import write
from app.dicts import spec_dicts
from app.dicts.models import DictItem, Industry, Region

DATA = Path(__file__).resolve().parent / "data"

# GB/T 2260 city-level rows that only group counties: a record never sits in one of them.
PLACEHOLDER_NAMES = frozenset({"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"})

# Codes the spec's 所属地区行政码表 has and GB/T 2260 does not.
SPEC_ONLY_REGIONS = [{"code": "650091", "name": "新疆生产建设兵团", "level": 2, "parent_code": "650000"}]


def _read_csv(name: str, delimiter: str = ",") -> list[dict[str, str]]:
    with (DATA / name).open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh, delimiter=delimiter))


def spec_region_codes() -> set[str]:
    """Every province and city-level code of the spec's 所属地区行政码表."""
    rows = _read_csv("spec-regions.tsv", delimiter="\t")
    return {r["province_code"] for r in rows} | {r["city_code"] for r in rows}


def region_rows() -> list[dict]:
    """The Region rows as dicts, wire codes computed (see the Region docstring)."""
    raw = [dict(r, level=int(r["level"]), parent_code=r["parent_code"] or None, source="gbt2260")
           for r in _read_csv("regions-gbt2260.csv")]
    raw += [dict(r, source="spec") for r in SPEC_ONLY_REGIONS]
    by_code = {r["code"]: r for r in raw}
    in_spec = spec_region_codes()
    out = []
    for r in raw:
        level, parent = r["level"], by_code.get(r["parent_code"])
        placeholder = level == 2 and r["name"] in PLACEHOLDER_NAMES
        if level == 1:
            province, city = r["code"], None
        elif level == 2:
            province, city = parent["code"], None if placeholder else r["code"]
        else:
            parent_is_placeholder = parent["level"] == 2 and parent["name"] in PLACEHOLDER_NAMES
            province = parent["parent_code"]
            # Under a placeholder the county stands in for the city, as the spec's table does for 北京.
            city = r["code"] if parent_is_placeholder else parent["code"]
        out.append({
            "code": r["code"], "name": r["name"], "level": level, "parent_code": r["parent_code"],
            "province_code": province, "city_code": city, "is_placeholder": placeholder,
            "in_spec_table": r["code"] in in_spec, "source": r["source"],
        })
    return out


def industry_rows() -> list[dict]:
    return [{"code": r["code"], "name": r["name"], "level": int(r["level"]),
             "parent_code": r["parent_code"] or None} for r in _read_csv("gbt4754-2017.csv")]


def dict_item_rows() -> list[dict]:
    return [
        {"dict_type": kind, "code": e.code, "label": e.label, "sort_order": i, "level": e.level,
         "parent_code": e.parent_code, "note": e.note, "max_bytes": e.max_bytes}
        for kind, entries in spec_dicts.entries().items()
        for i, e in enumerate(entries, start=1)
    ]


def _sync(session: Session, model, rows: list[dict], key: tuple[str, ...], *, prune: bool) -> dict[str, int]:
    """Insert new rows, update changed ones and (if `prune`) delete rows no longer declared."""
    table = model.__table__
    fields = list(rows[0])
    stored_cols = [table.c[f] for f in fields]
    has_id = "id" in table.c and "id" not in fields
    if has_id:
        stored_cols.append(table.c.id)
    stored = {}
    for row in session.exec(select(*stored_cols)).mappings():
        stored[tuple(row[k] for k in key)] = dict(row)
    new, changed = [], []
    for row in rows:
        old = stored.pop(tuple(row[k] for k in key), None)
        if old is None:
            new.append(row)
        elif any(old[f] != row[f] for f in fields):
            changed.append(dict(row, id=old["id"]) if has_id else row)
    if new:
        session.exec(insert(model), params=new)
    if changed:
        session.exec(update(model), params=changed)  # ORM bulk update by primary key
    deleted = 0
    if prune and stored:
        ids = [old["id"] for old in stored.values()]
        deleted = session.exec(delete(model).where(table.c.id.in_(ids))).rowcount
    return {"inserted": len(new), "updated": len(changed), "deleted": deleted}


def load_reference_data(session: Session) -> dict[str, int]:
    """Bring the reference tables in line with the files and spec_dicts; return row counts and changes.

    Keys: region, industry, dict_item (rows now declared) and inserted, updated, deleted (over all
    three). Regions and industries are never deleted: accounts and records refer to them.
    """
    totals = {"inserted": 0, "updated": 0, "deleted": 0}
    plan = [
        ("region", Region, region_rows(), ("code",), False),
        ("industry", Industry, industry_rows(), ("code",), False),
        ("dict_item", DictItem, dict_item_rows(), ("dict_type", "code"), True),
    ]
    counts = {}
    with write(session):
        for name, model, rows, key, prune in plan:
            for k, v in _sync(session, model, rows, key, prune=prune).items():
                totals[k] += v
            counts[name] = len(rows)
    return counts | totals


def summary(c: dict[str, int]) -> str:
    """The counts of a load, as the CLI and run.py print them."""
    return (
        f"参考数据已加载：行政区划 {c['region']} 条，国民经济行业分类 {c['industry']} 条，"
        f"规范字典项 {c['dict_item']} 条；本次新增 {c['inserted']} 条，更新 {c['updated']} 条，"
        f"删除 {c['deleted']} 条。"
    )
