"""Named queries over the reference data. Nothing is cached in module globals: every app (and every
test database) has its own tables. What every page asks (region names, the 区域 filter's options, a
region's label) is answered from the app's in-memory copy of the regions (memo.py)."""
from __future__ import annotations

from sqlalchemy import func, or_
from sqlmodel import Session, select

from app.dicts import memo
from app.dicts.models import DictItem, Industry, Region
from app.dicts.spec_dicts import TITLES, scene_paths
from app.pagination import Page, paginate

UNKNOWN_REGION = "未知区域"


# Regions ------------------------------------------------------------------------------------------

def get_region(code: str | None, *, session: Session) -> Region | None:
    return session.get(Region, code) if code else None


def region_chain(code: str | None, *, session: Session) -> list[Region]:
    """The region and its ancestors, province first (GB/T 2260 parents, placeholders included)."""
    chain: list[Region] = []
    region = get_region(code, session=session)
    while region is not None and len(chain) < 4:
        chain.insert(0, region)
        region = get_region(region.parent_code, session=session)
    return chain


def region_label(code: str | None, *, session: Session) -> str:
    """"河南省 / 新乡市 / 新乡县" (placeholders such as 市辖区 left out), "未知区域" if unknown."""
    by_code, chain = memo.regions(session).by_code, []
    region = by_code.get(code) if code else None
    while region is not None and len(chain) < 4:
        chain.insert(0, region)
        region = by_code.get(region.parent_code) if region.parent_code else None
    return " / ".join(r.name for r in chain if not r.is_placeholder) or UNKNOWN_REGION


def region_names(codes, *, session: Session) -> dict[str, str]:
    """code → name for a page of records at once (one query, not one per row)."""
    codes = {c for c in codes if c}
    if not codes:
        return {}
    by_code = memo.regions(session).by_code
    return {c: by_code[c].name for c in codes if c in by_code}


def provinces(*, session: Session) -> list[Region]:
    return list(session.exec(select(Region).where(Region.level == 1).order_by(Region.code)))


def cities_of(province_code: str | None, *, session: Session) -> list[Region]:
    """What a picker offers as 市 for a province: the regions that are their own wire cityCode (real
    cities, counties standing in for a placeholder such as 北京's districts or 济源, and 650091)."""
    if not province_code:
        return []
    stmt = select(Region).where(Region.province_code == province_code, Region.city_code == Region.code)
    return list(session.exec(stmt.order_by(Region.code)))


def regions_below(code: str, *, session: Session) -> list[tuple[str, str]]:
    """(code, name) of the regions one level below `code`, for the lists' 区域 filter: a province's
    cities, a city's counties; nothing below a county (or a city that stands alone)."""
    if not code.endswith("00"):
        return []
    held = memo.regions(session)
    if code not in held.below:
        below = held.cities_of(code) if code.endswith("0000") else held.counties_of(code)
        held.below[code] = [(r.code, r.name) for r in below]
    return list(held.below[code])


def counties_of(city_code: str | None, *, session: Session) -> list[Region]:
    """The counties whose wire cityCode is `city_code` (none for 110105 or 东莞, which stand alone)."""
    if not city_code:
        return []
    stmt = select(Region).where(Region.level == 3, Region.city_code == city_code, Region.code != city_code)
    return list(session.exec(stmt.order_by(Region.code)))


def wire_codes(code: str | None, *, session: Session) -> tuple[str | None, str | None]:
    """(provinceCode, cityCode) a record in this region sends; (None, None) if unknown."""
    region = get_region(code, session=session)
    return (region.province_code, region.city_code) if region else (None, None)


def picker_parts(code: str | None, *, session: Session) -> list[str]:
    """The picker's (province, city, county) choices that lead to `code`, as far as they go."""
    region = get_region(code, session=session)
    if region is None or region.is_placeholder:
        return []
    parts = [region.province_code, region.city_code, region.code]
    return list(dict.fromkeys(p for p in parts if p))  # drops repeats: 110105 is city and leaf


def search_regions(q: str = "", *, session: Session, level: int | None = None, spec: str = "",
                   page: int = 1, per_page: int = 20) -> Page:
    """A page of regions for the admin browser.

    `spec`: "missing" for regions absent from the spec's table, "spec_only" for the spec's own codes.
    """
    conds = []
    if q:
        conds.append(or_(Region.code.startswith(q, autoescape=True),
                         Region.name.contains(q, autoescape=True)))
    if level:
        conds.append(Region.level == level)
    if spec == "missing":
        conds.append(Region.in_spec_table.is_(False))
    elif spec == "spec_only":
        conds.append(Region.source == "spec")
    stmt = select(Region).where(*conds).order_by(Region.code)
    return paginate(stmt, session=session, page=page, per_page=per_page)


# Section-3 dictionaries ---------------------------------------------------------------------------

def items(dict_type: str, *, session: Session) -> list[DictItem]:
    stmt = select(DictItem).where(DictItem.dict_type == dict_type).order_by(DictItem.sort_order)
    return list(session.exec(stmt))


def get_item(dict_type: str, code: str | None, *, session: Session) -> DictItem | None:
    if not code:
        return None
    stmt = select(DictItem).where(DictItem.dict_type == dict_type, DictItem.code == code)
    return session.exec(stmt).first()


def label_of(dict_type: str, code: str | None, *, session: Session) -> str | None:
    item = get_item(dict_type, code, session=session)
    return item.label if item else None


def choices(dict_type: str, *, session: Session) -> list[tuple[str, str]]:
    """(code, label) pairs for a SelectField or RadioField."""
    return [(i.code, i.label) for i in items(dict_type, session=session)]


def dict_counts(*, session: Session) -> dict[str, int]:
    """Entries per dictionary type, in the order of TITLES (0 for one not loaded)."""
    stmt = select(DictItem.dict_type, func.count()).group_by(DictItem.dict_type)
    loaded = dict(session.exec(stmt).all())
    return {kind: loaded.get(kind, 0) for kind in TITLES}


def table_counts(*, session: Session) -> dict[str, int]:
    return {
        "region": session.exec(select(func.count()).select_from(Region)).one(),
        "industry": session.exec(select(func.count()).select_from(Industry)).one(),
    }


# Scenes -------------------------------------------------------------------------------------------

def scene_path(code: str | None, *, session: Session) -> str:
    """"产品生命周期数字化/产品设计/数字化建模及可视化设计": the spec's "/"-joined scene names ("" if unknown).
    The scene table is the spec's declaration, loaded as is, so the declaration answers without a query."""
    return scene_paths().get(code or "", "")


def scene_by_path(path: str | None, *, session: Session) -> str | None:
    """The scene whose spec path is `path` (the inverse of scene_path), or None. It may be a level-1
    or level-2 scene: whether a leaf was chosen is the picker's check, with its own message.

    Whole paths are compared, never split on "/": one scene name itself contains a "/"
    (自动化生产作业(离散)/先进过程控制(流程)).
    """
    if not path:
        return None
    return next((code for code, known in scene_paths().items() if known == path.strip()), None)


# Industries (GB/T 4754-2017) ----------------------------------------------------------------------

INDUSTRY_LEVELS = {1: "门类", 2: "大类", 3: "中类", 4: "小类"}


def get_industry(code: str | None, *, session: Session) -> Industry | None:
    return session.get(Industry, code) if code else None


def _ancestor_names(rows: list[Industry], *, session: Session) -> dict[str, list[str]]:
    """code → names of its ancestors (门类 first), loading each generation in one query."""
    known = {r.code: r for r in rows}
    wanted = {r.parent_code for r in rows} - {None}
    while wanted - known.keys():
        found = session.exec(select(Industry).where(Industry.code.in_(wanted - known.keys()))).all()
        if not found:
            break
        known.update((r.code, r) for r in found)
        wanted = {r.parent_code for r in found} - {None}
    out = {}
    for r in rows:
        names, parent = [], known.get(r.parent_code)
        while parent is not None:
            names.insert(0, parent.name)
            parent = known.get(parent.parent_code)
        out[r.code] = names
    return out


def industry_path(code: str | None, *, session: Session) -> str:
    """"制造业 / 通用设备制造业 / …" down to and including the industry itself; "" if unknown."""
    industry = get_industry(code, session=session)
    if industry is None:
        return ""
    return " / ".join([*_ancestor_names([industry], session=session)[industry.code], industry.name])


def search_industries(q: str, *, session: Session, limit: int = 30,
                      min_level: int = 1) -> list[tuple[Industry, str]]:
    """Industries whose code starts with `q` or whose name contains it, each with its ancestor path."""
    q = (q or "").strip()
    if not q:
        return []
    stmt = (
        select(Industry)
        .where(or_(Industry.code.startswith(q.upper(), autoescape=True),
                   Industry.name.contains(q, autoescape=True)),
               Industry.level >= min_level)
        .order_by(Industry.level > 1, Industry.code)  # 门类 letters first, then the digits
        .limit(limit)
    )
    rows = list(session.exec(stmt))
    paths = _ancestor_names(rows, session=session)
    return [(r, " / ".join(paths[r.code])) for r in rows]


def browse_industries(q: str = "", *, session: Session, level: int | None = None,
                      page: int = 1, per_page: int = 20) -> Page:
    """A page of industries for the admin browser, 门类 first."""
    conds = []
    if q:
        conds.append(or_(Industry.code.startswith(q.upper(), autoescape=True),
                         Industry.name.contains(q, autoescape=True)))
    if level:
        conds.append(Industry.level == level)
    stmt = select(Industry).where(*conds).order_by(Industry.level > 1, Industry.code)
    return paginate(stmt, session=session, page=page, per_page=per_page)
