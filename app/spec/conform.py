"""What a spec object must look like on the wire, read from its declaration: the attribute names, INT vs
string vs number, nested objects and lists. The form validators (`validate_for(submit=True)`) check the
rest: lengths, dictionary codes, the Y fields. Both sides use it: the push client's pre-flight check
(app.docking.preflight) and the hub's intake (app.hub.intake), so neither keeps a second copy of the
spec's tables.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from wtforms import Field, FieldList, FormField, SelectFieldBase, SelectMultipleField

from app.dicts.fields import RegionField
from app.spec.fields import DerivedField, SpecDecimalField, SpecIntegerField

INT, NUMBER, STR, ANY, OBJECT, LIST = "int", "number", "str", "any", "object", "list"
KIND_NAMES = {INT: "整数（INT）", NUMBER: "数字", STR: "文本（VARCHAR）", OBJECT: "对象", LIST: "列表"}
NOT_ON_WIRE = {"csrf_token", "submit"}


@dataclass(frozen=True)
class Shape:
    kind: str
    label: str
    fields: dict[str, Shape] | None = None  # an object's attributes (or a list's objects')
    item: Shape | None = None  # a list's element


@dataclass(frozen=True)
class Problem:
    path: str  # transInfo.transMaps[0].transCosts
    message: str  # Chinese, naming the attribute
    unknown: bool = False  # an attribute the table does not have (the hub reports it as a warning)


@dataclass
class _Cache:
    shapes: dict[type, dict[str, Shape]] = field(default_factory=dict)


_cache = _Cache()


def _scalar_kind(fld: Field) -> str:
    if isinstance(fld, DerivedField):
        return ANY  # recomputed by the receiver (labels, sums, file sizes)
    if isinstance(fld, SpecIntegerField):
        return INT
    if isinstance(fld, SpecDecimalField):
        return NUMBER
    if isinstance(fld, SelectFieldBase) and not isinstance(fld, SelectMultipleField):
        values = [getattr(c, "value", None) for c in fld.choices or ()]
        values = [v for v in values if v not in (None, "")]
        return INT if values and all(isinstance(v, int) and not isinstance(v, bool) for v in values) else STR
    if type(fld).__name__ == "StoredFileField":
        return ANY  # a stored file's number here, its Base64 content on the wire
    return STR


def _shape(fld: Field) -> Shape:
    label = str(fld.label.text)
    if isinstance(fld, FieldList):
        inner = fld.unbound_field
        if inner.field_class is FormField or issubclass(inner.field_class, FormField):
            return Shape(LIST, label, item=Shape(OBJECT, label, fields=shape_of(inner.args[0]())))
        return Shape(LIST, label, item=Shape(ANY, label))
    if isinstance(fld, FormField):
        return Shape(OBJECT, label, fields=shape_of(fld.form))
    if isinstance(fld, SelectMultipleField):  # linkTransNeeds: the linked need objects themselves
        return Shape(LIST, label, item=Shape(ANY, label))
    return Shape(_scalar_kind(fld), label)


def shape_of(form) -> dict[str, Shape]:
    """Attribute name → Shape for a form instance (a spec table), in declaration order."""
    out: dict[str, Shape] = {}
    for key, fld in form._fields.items():
        if key in NOT_ON_WIRE:
            continue
        if isinstance(fld, RegionField):
            for name in fld.part_names:  # the third (a county code) is this platform's optional extension
                out[name] = Shape(STR, str(fld.label.text))
            continue
        out[key] = _shape(fld)
    return out


def library_shape(form_class: type) -> dict[str, Shape]:
    """The shape of a library's table (built once per process from the declaration)."""
    found = _cache.shapes.get(form_class)
    if found is None:
        form = form_class(meta={"csrf": False}, formdata=None)
        found = _cache.shapes[form_class] = shape_of(form)
    return found


def _type_name(value) -> str:
    if isinstance(value, bool):
        return "布尔值"
    if isinstance(value, int):
        return "整数"
    if isinstance(value, float):
        return "数字"
    if isinstance(value, str):
        return f"文本“{value[:20]}”"
    if isinstance(value, dict):
        return "对象"
    if isinstance(value, list):
        return "列表"
    return type(value).__name__


def _fits(kind: str, value) -> bool:
    if value is None or kind == ANY:
        return True
    if kind == INT:
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == NUMBER:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind == STR:
        return isinstance(value, str)
    if kind == OBJECT:
        return isinstance(value, dict)
    return isinstance(value, list)


def check(shape: dict[str, Shape], obj: dict, *, extra: frozenset[str] = frozenset(), path: str = "") -> list[Problem]:
    """Every attribute of `obj` that the table does not have, and every value of the wrong type.
    `extra`: top-level names accepted besides the table's (an alternative layout the reader knows)."""
    problems: list[Problem] = []
    for name, value in obj.items():
        where = f"{path}{name}"
        spec = shape.get(name)
        if spec is None:
            if not path and name in extra:
                continue
            problems.append(Problem(where, f"“{where}”不是规范表中的属性", unknown=True))
            continue
        if not _fits(spec.kind, value):
            problems.append(Problem(where, f"“{spec.label}”（{where}）应为{KIND_NAMES.get(spec.kind, spec.kind)}，"
                                           f"收到的是{_type_name(value)}"))
            continue
        if spec.kind == OBJECT and isinstance(value, dict) and spec.fields is not None:
            problems += check(spec.fields, value, path=f"{where}.")
        elif spec.kind == LIST and isinstance(value, list) and spec.item is not None:
            for n, element in enumerate(value):
                inner = f"{where}[{n}]"
                if not _fits(spec.item.kind, element):
                    problems.append(Problem(inner, f"“{spec.label}”第 {n + 1} 项应为"
                                                   f"{KIND_NAMES.get(spec.item.kind, spec.item.kind)}，"
                                                   f"收到的是{_type_name(element)}"))
                elif spec.item.kind == OBJECT and spec.item.fields is not None and isinstance(element, dict):
                    problems += check(spec.item.fields, element, path=f"{inner}.")
    return problems
