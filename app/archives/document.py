"""The whole archive as readable sections (label → text), from the same declarations as the form: the
overview page, the printable page and the Word file all show this."""
from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as dc_field
from datetime import date
from decimal import Decimal

from app.archives import stages
from app.archives.forms import ArchiveForm, NeedLinks
from app.dicts.fields import SceneField
from app.files.fields import StoredFileField


@dataclass
class Fact:
    label: str
    text: str
    long: bool = False  # a paragraph rather than a value


@dataclass
class Group:
    """A nested object or one row of a list: 需求 1, 改造内容 2, 企业营业信息 …"""

    title: str
    facts: list[Fact]


@dataclass
class Section:
    key: str
    title: str
    facts: list[Fact] = dc_field(default_factory=list)
    groups: list[Group] = dc_field(default_factory=list)


def display(field) -> str:
    """A field's value as a reader wants it: labels not codes, a scene's path, a file's name."""
    data = field.data
    if isinstance(field, NeedLinks):
        chosen = set(data or ())
        return "；".join(c.label for c in field.choices if c.value in chosen)
    if isinstance(field, SceneField):
        return field.path() if data else ""
    if isinstance(field, StoredFileField):
        return field.description_text if data else ""
    if data in (None, "", []):
        return ""
    if hasattr(field, "iter_choices"):
        for value, label, selected, *_ in field.iter_choices():
            if selected and value not in (None, ""):
                return str(label).removesuffix(f"（{value}）")
        return str(data)
    if isinstance(data, Decimal):
        return format(data.normalize(), "f")
    if isinstance(data, date):
        return data.isoformat()
    return str(data)


def _facts(fields) -> list[Fact]:
    return [Fact(f.label.text, display(f), long=f.type == "TextAreaField") for f in fields
            if f.type not in ("FieldList", "FormField")]


def _groups(field) -> list[Group]:
    """The groups of a nested object (itself, and its own lists) or of each row of a list."""
    if field.type == "FormField":
        inner = list(field.form)
        own = [Group(field.label.text, _facts(inner))] if _facts(inner) else []
        return own + [g for sub in inner if sub.type in ("FieldList", "FormField") for g in _groups(sub)]
    return [Group(f"{field.label.text} {n}", _facts(entry.form)) for n, entry in enumerate(field, start=1)]


def sections(form: ArchiveForm) -> list[Section]:
    out = []
    for stage in stages.STAGES:
        fields = stage.fields(form)
        if len(fields) == 1 and fields[0].type == "FormField":  # the stage is one object: show its members
            fields = list(fields[0].form)
        section = Section(stage.key, stage.title, _facts(fields))
        for f in fields:
            if f.type in ("FieldList", "FormField"):
                section.groups.extend(_groups(f))
        out.append(section)
    return out


def error_messages(field, prefix: str = "") -> list[str]:
    """Every error under a field, each naming where it is: “改造内容 2 · 改造结束时间：…”."""
    if field.type == "FormField":
        return [m for sub in field.form for m in error_messages(sub, f"{prefix}{field.label.text} · ")]
    if field.type == "FieldList":
        own = [f"{prefix}{field.label.text}：{e}" for e in field.errors if isinstance(e, str)]
        return own + [m for n, entry in enumerate(field, start=1) for sub in entry.form
                      for m in error_messages(sub, f"{prefix}{field.label.text} {n} · ")]
    return [f"{prefix}{field.label.text}：{e}" for e in field.errors]
