"""Reusable WTForms fields over the reference data: cascading region and scene pickers and a searchable
GB/T 4754 industry picker.

Each widget is server-rendered; htmx re-fetches its inner part from /dicts/pickers/* when the user
changes a choice, so child selects refill. Without JavaScript a plain POST still validates, and the
re-rendered form then offers the next level's options.
"""
from __future__ import annotations

from typing import NamedTuple

from flask import render_template
from markupsafe import Markup
from wtforms import Field
from wtforms.utils import unset_value
from wtforms.validators import StopValidation

from app.db import get_session
from app.dicts import service
from app.dicts.spec_dicts import scene_chains, scene_options


class Part(NamedTuple):
    """One <select> of a cascade, as the template needs it."""

    id: str
    name: str
    label: str
    options: list[tuple[str, str]]
    value: str
    disabled: bool
    empty_text: str


class TemplateWidget:
    def __init__(self, template: str):
        self.template = template

    def __call__(self, field, **_kwargs) -> Markup:
        return Markup(render_template(self.template, field=field))


class CascadeField(Field):
    """Up to three linked <select>s, each posting under its own name; `data` is the deepest choice."""

    widget = TemplateWidget("dicts/_cascade_picker.html")
    endpoint = ""
    suffixes: tuple[str, ...] = ()
    labels: tuple[str, ...] = ()  # the <label> of each select
    nouns: tuple[str, ...] = ()  # the same levels in messages ("请选择城市")

    def __init__(self, label=None, validators=None, depth=3, part_names=None, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.depth = len(part_names) if part_names else depth
        self._part_names = tuple(part_names) if part_names else None
        self.parts: list[str] = [""] * self.depth

    @property
    def part_names(self) -> tuple[str, ...]:
        return self._part_names or tuple(f"{self.name}_{s}" for s in self.suffixes[: self.depth])

    # What subclasses provide ---------------------------------------------------------------------
    def options_for(self, level: int, parent: str | None, session) -> list[tuple[str, str]]:
        raise NotImplementedError

    def parts_for(self, code: str | None, session) -> list[str]:
        raise NotImplementedError

    def mismatch(self, level: int, value: str, session) -> str:
        """The message for a choice that is not among the options of its level."""
        raise NotImplementedError

    def missing_level(self, chosen: int, session) -> int | None:
        """The level the user must still choose after `chosen` levels, or None if the choice is enough."""
        raise NotImplementedError

    # Processing ------------------------------------------------------------------------------------
    def process(self, formdata, data=unset_value, extra_filters=None):
        super().process(None, data, extra_filters)  # object data or default
        self.parts = [""] * self.depth
        if self.data:
            self.parts = self._pad(self.parts_for(self.data, get_session())[: self.depth])
            self.data = next((p for p in reversed(self.parts) if p), None)
        if formdata is not None:
            self.raw_data = [(formdata.get(n) or "").strip() for n in self.part_names]
            self.parts = list(self.raw_data)
            self.data = next((p for p in reversed(self.parts) if p), None)

    def _pad(self, parts: list[str]) -> list[str]:
        return parts + [""] * (self.depth - len(parts))

    def _codes(self, level: int, session) -> set[str]:
        parent = self.parts[level - 1] if level else None
        if level and not parent:
            return set()
        return {code for code, _ in self.options_for(level, parent, session)}

    def cascade(self) -> None:
        """Forget choices that no longer fit their parent (the user changed a higher level)."""
        session = get_session()
        for level in range(self.depth):
            if self.parts[level] and self.parts[level] not in self._codes(level, session):
                self.parts[level:] = [""] * (self.depth - level)
                break
        self.data = next((p for p in reversed(self.parts) if p), None)

    def chosen_count(self) -> int:
        return next((i for i, p in enumerate(self.parts) if not p), self.depth)

    # Validation ------------------------------------------------------------------------------------
    def pre_validate(self, form):
        """Every chosen code exists and belongs to the choice above it."""
        session = get_session()
        n = self.chosen_count()
        if any(self.parts[n:]):
            raise StopValidation(f"请先选择{self.nouns[n]}")
        for level in range(n):
            if self.parts[level] not in self._codes(level, session):
                raise StopValidation(self.mismatch(level, self.parts[level], session))

    def post_validate(self, form, validation_stopped):
        """Enough levels are chosen (skipped when Optional() stopped the chain on an empty field)."""
        if validation_stopped:
            return
        missing = self.missing_level(self.chosen_count(), get_session())
        if missing is not None:
            self.errors.append(f"请选择{self.nouns[missing]}")

    # Rendering -------------------------------------------------------------------------------------
    def hx_vals(self) -> dict:
        """What the picker endpoint needs to rebuild this field (the choices travel as the selects)."""
        return {"field": self.name, "id": self.id, "label": self.label.text,
                "parts": ",".join(self.part_names)}

    def view_parts(self) -> list[Part]:
        session = get_session()
        if self.data and self.data not in self.parts:  # data was assigned after processing (edit forms)
            self.parts = self._pad(self.parts_for(self.data, session)[: self.depth])
        out, parent_ok = [], True
        for level, name in enumerate(self.part_names):
            value, parent = self.parts[level], self.parts[level - 1] if level else None
            options = self.options_for(level, parent, session) if level == 0 or (parent and parent_ok) else []
            parent_ok = bool(value) and any(code == value for code, _ in options)
            if value and not parent_ok:  # keep what was posted visible beside its error
                options = [*options, (value, self.invalid_text(value, session))]
            if level and not parent:
                empty = f"请先选择{self.nouns[level - 1]}"
            else:
                empty = f"请选择{self.nouns[level]}" if options else f"（无{self.nouns[level]}）"
            out.append(Part(f"{self.id}-{name}", name, self.labels[level], options, value,
                            level > 0 and not options, empty))
        return out

    def invalid_text(self, value: str, session) -> str:
        return f"{value}（无效）"

    def wire_mirror(self) -> tuple[str, str] | None:
        return None


class RegionField(CascadeField):
    """省 / 市 / 区县 in the wire sense: 市 is what goes out as cityCode (see service.cities_of).

    `data` is the deepest chosen code; `min_level` levels must be chosen unless the chosen region has
    nothing below it (北京 朝阳区 or 东莞 stand alone at city level).
    """

    endpoint = "dicts.region_picker"
    suffixes = ("province", "city", "county")
    labels = ("省", "市", "区县")
    nouns = ("省份", "城市", "区县")

    def __init__(self, label=None, validators=None, depth=3, min_level=1, part_names=None, **kwargs):
        super().__init__(label, validators, depth=depth, part_names=part_names, **kwargs)
        self.min_level = min(min_level, self.depth)

    def options_for(self, level, parent, session):
        if level == 0:
            rows = service.provinces(session=session)
        elif level == 1:
            rows = service.cities_of(parent, session=session)
        else:
            rows = service.counties_of(parent, session=session)
        return [(r.code, r.name) for r in rows]

    def parts_for(self, code, session):
        return service.picker_parts(code, session=session)

    def mismatch(self, level, value, session):
        region = service.get_region(value, session=session)
        if region is None or (level == 0 and region.level != 1):
            return f"所选{self.nouns[level]}不存在"
        if region.is_placeholder:
            return f"“{region.name}”（{region.code}）不是具体的行政区，请直接选择其下的区县"
        return f"所选{self.nouns[level]}不属于该{self.nouns[level - 1]}"

    def missing_level(self, chosen, session):
        if chosen >= self.min_level or chosen >= self.depth:
            return None
        if chosen and not self._codes(chosen, session):
            return None  # nothing to choose below: the region stands alone
        return chosen

    def invalid_text(self, value, session):
        region = service.get_region(value, session=session)
        return f"{region.name}（{value}，不可选）" if region else f"{value}（无效）"

    def hx_vals(self):
        return super().hx_vals() | {"min_level": self.min_level}

    def wire_codes(self) -> tuple[str | None, str | None]:
        """(provinceCode, cityCode) for the chosen region."""
        return service.wire_codes(self.data, session=get_session())

    def region_label(self) -> str:
        return service.region_label(self.data, session=get_session())


class SceneField(CascadeField):
    """一级 / 二级 / 三级场景; `data` is the chosen leaf (a 三级场景, or SCENC_OTHER-like entries)."""

    endpoint = "dicts.scene_picker"
    suffixes = ("l1", "l2", "l3")
    labels = ("一级场景", "二级场景", "三级场景")
    nouns = labels

    def options_for(self, level, parent, session):
        return scene_options().get(parent if level else None, [])

    def parts_for(self, code, session):
        return list(scene_chains().get(code or "", ()))

    def mismatch(self, level, value, session):
        item = service.get_item("scene", value, session=session)
        if item is None or level == 0:
            return f"所选{self.nouns[level]}不存在"
        return f"所选{self.nouns[level]}不属于该{self.nouns[level - 1]}"

    def missing_level(self, chosen, session):
        if chosen == 0:
            return 0
        if chosen < self.depth and self._codes(chosen, session):
            return chosen  # not a leaf yet
        return None

    def path(self) -> str:
        """The spec's "/"-joined names of the chosen scene, e.g. 产品生命周期数字化/产品设计/…"""
        return service.scene_path(self.data, session=get_session())

    def process(self, formdata, data=unset_value, extra_filters=None):
        """Also accepts the spec's own form of the value: the "/"-joined path posted under the
        field's name (a JSON body flattened by app.spec.form, or the hidden mirror below)."""
        if formdata is not None and not any(n in formdata for n in self.part_names) and formdata.get(self.name):
            code = service.scene_by_path(formdata.get(self.name), session=get_session())
            super().process(None, code or unset_value, extra_filters)
            if code is None:
                self.parts = ["", "", ""][: self.depth]
                self.process_errors.append(f"“{formdata.get(self.name)}”不是场景字典中的场景。")
            return
        super().process(formdata, data, extra_filters)

    def wire_mirror(self) -> tuple[str, str] | None:
        """(name, path): a hidden input so the form carries the spec attribute itself."""
        return self.name, self.path() if self.data else ""


class IndustryField(Field):
    """Search GB/T 4754 by code or name and pick one result (radio buttons); `data` is the code."""

    widget = TemplateWidget("dicts/_industry_picker.html")
    endpoint = "dicts.industry_picker"
    LIMIT = 30

    def __init__(self, label=None, validators=None, min_level=4, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.min_level = min_level
        self.query = ""

    @property
    def search_name(self) -> str:
        return f"{self.name}-q"

    def process(self, formdata, data=unset_value, extra_filters=None):
        super().process(formdata, data, extra_filters)
        if formdata is not None:
            self.query = (formdata.get(self.search_name) or "").strip()[:50]

    def process_formdata(self, valuelist):
        # A submitted form without a checked radio means "nothing chosen", whatever the default was.
        value = valuelist[0].strip() if valuelist else ""
        self.data = value or None

    def pre_validate(self, form):
        if not self.data:
            return
        industry = service.get_industry(self.data, session=get_session())
        if industry is None:
            raise StopValidation("所选行业代码不存在")
        if industry.level < self.min_level:
            levels = service.INDUSTRY_LEVELS
            raise StopValidation(
                f"请选择到{levels[self.min_level]}（所选“{industry.name}”是{levels[industry.level]}）")

    def post_validate(self, form, validation_stopped):
        if not validation_stopped and not self.data:
            self.errors.append("请选择行业")

    def hx_vals(self) -> dict:
        return {"field": self.name, "id": self.id, "label": self.label.text, "min_level": self.min_level}

    def results(self) -> tuple[list[dict], str]:
        """The radio list (the current choice first, then the matches of the query) and a status line."""
        session = get_session()
        rows = []
        if self.data:
            chosen = service.get_industry(self.data, session=session)
            if chosen is None:
                rows.append({"code": self.data, "name": "（代码不存在）", "path": ""})
            else:
                path = service.industry_path(chosen.code, session=session).rsplit(" / ", 1)[0]
                rows.append({"code": chosen.code, "name": chosen.name,
                             "path": path if chosen.parent_code else ""})
        found = service.search_industries(self.query, session=session, limit=self.LIMIT,
                                          min_level=self.min_level)
        rows += [{"code": r.code, "name": r.name, "path": p} for r, p in found if r.code != self.data]
        if not self.query:
            status = "" if self.data else "请输入行业代码或名称搜索，例如“3411”或“软件”。"
        elif not found:
            status = "没有找到匹配的行业，请换个关键词。"
        elif len(found) == self.LIMIT:
            status = f"仅显示前 {self.LIMIT} 项，请输入更具体的关键词。"
        else:
            status = f"找到 {len(found)} 项。"
        return rows, status

    def industry_path(self) -> str:
        return service.industry_path(self.data, session=get_session())
