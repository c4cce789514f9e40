"""Proposed payload beside the formal one, attribute by attribute, for the review pane."""
from __future__ import annotations

from dataclasses import dataclass

from wtforms import FieldList, FormField
from wtforms.form import BaseForm

from app.dicts.fields import RegionField


@dataclass(frozen=True)
class Line:
    path: str  # spec attribute path, e.g. useSceneList[0].desc
    label: str  # 应用场景 › 第 1 项 › 场景描述
    old: object
    new: object

    @property
    def changed(self) -> bool:
        return self.old != self.new


def flatten(value: object, prefix: str = "") -> dict[str, object]:
    """A spec JSON object as path → scalar; an empty list keeps its path (so its removal shows)."""
    out: dict[str, object] = {}
    if isinstance(value, dict):
        for key, item in value.items():
            out.update(flatten(item, f"{prefix}.{key}" if prefix else key))
    elif isinstance(value, list) and value and all(isinstance(v, dict | list) for v in value):
        for i, item in enumerate(value):
            out.update(flatten(item, f"{prefix}[{i}]"))
    elif isinstance(value, list):
        out[prefix] = "、".join(str(v) for v in value) if value else None
    else:
        out[prefix] = None if value == "" else value
    return out


def field_labels(form: BaseForm) -> dict[str, str]:
    """Spec attribute name → its label (the spec's 说明), from a form and its nested rows."""
    labels: dict[str, str] = {}

    def walk(f: BaseForm) -> None:
        for key, field in f._fields.items():
            labels.setdefault(key, field.label.text)
            if isinstance(field, RegionField):
                for part in field.part_names:
                    labels.setdefault(part, field.label.text)
            elif isinstance(field, FieldList):
                for entry in field.entries:
                    if isinstance(entry, FormField):
                        walk(entry.form)
            elif isinstance(field, FormField):
                walk(field.form)

    walk(form)
    return labels


def _label(path: str, labels: dict[str, str]) -> str:
    parts = []
    for segment in path.split("."):
        name, _, index = segment.partition("[")
        parts.append(labels.get(name, name))
        for i in index.rstrip("]").split("]["):
            if i:
                parts.append(f"第 {int(i) + 1} 项")
    return " › ".join(parts)


def compare(proposed: dict, formal: dict | None, labels: dict[str, str]) -> list[Line]:
    """Every attribute path of either payload, in the proposed payload's order, old and new side by side."""
    new, old = flatten(proposed), flatten(formal or {})
    paths = list(new) + [p for p in old if p not in new]
    return [Line(p, _label(p, labels), old.get(p), new.get(p)) for p in paths]
