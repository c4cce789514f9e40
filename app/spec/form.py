"""The base of every spec-table form, and the mapping between a form and the spec's JSON.

One declaration serves a browser form, an Excel row and a JSON body from a lower platform: JSON is
flattened into the same `name-0-attr` form data a browser posts, so the same validators run, and
`to_wire()` walks the same fields to produce exactly the spec's attribute names and codes.
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from werkzeug.datastructures import FileStorage, MultiDict
from wtforms import FieldList, FormField

from app.dicts.fields import RegionField, SceneField
from app.site.forms import BaseForm, RowForm
from app.spec.fields import submitting

NOT_ON_WIRE = {"csrf_token", "submit"}


class SpecRow(RowForm):
    """A nested object of a spec table (one row of a List<object>); CSRF lives on the outer form."""

    def to_wire(self) -> dict:
        return wire_of(self)


class SpecForm(BaseForm):
    """A spec table: field names are the spec's attribute names, in the spec's order."""

    def validate_for(self, *, submit: bool) -> bool:
        """Validate as a draft (Y fields may be empty) or for submission (every Y field filled)."""
        with submitting(submit):
            return self.validate()

    def to_wire(self) -> dict:
        return wire_of(self)

    @classmethod
    def from_wire(cls, payload: dict, **kwargs) -> SpecForm:
        """A form filled from a spec JSON object, as if a browser had posted it (no CSRF: not a browser)."""
        return cls(formdata=flatten(payload), meta={"csrf": False}, **kwargs)


def _scalar(value):
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        return value or None
    return value


def wire_of(form) -> dict:
    """The spec JSON of a form's current data, attribute by attribute in declaration order."""
    out: dict = {}
    # Keyed by the form's attribute name, which is the spec attribute, except where one HTML name
    # serves two attributes (2.6's two `transResult`s: see app.archives.forms).
    for key, field in form._fields.items():
        if key in NOT_ON_WIRE:
            continue
        if isinstance(field, RegionField):
            province, city = field.wire_codes() if field.data else (None, None)
            names = field.part_names
            out[names[0]], out[names[1]] = province, city
        elif isinstance(field, SceneField):
            out[key] = field.path() if field.data else None
        elif isinstance(field, FieldList):
            out[key] = [wire_of(entry.form) for entry in field]
        elif isinstance(field, FormField):
            out[key] = wire_of(field.form)
        elif isinstance(field.data, list):
            out[key] = [_scalar(value) for value in field.data]
        else:
            out[key] = _scalar(field.data)
    return out


def flatten(payload: dict, prefix: str = "") -> MultiDict:
    """{"a": 1, "rows": [{"b": 2}], "tags": [3, 4]} → a=1, rows-0-b=2, tags=3, tags=4: the form data a
    browser would post."""
    flat = MultiDict()
    for key, value in payload.items():
        name = f"{prefix}{key}"
        if isinstance(value, list):
            for i, item in enumerate(value):
                if isinstance(item, dict):
                    flat.update(flatten(item, f"{name}-{i}-"))
                elif item is not None:  # a multiple choice: the name repeated, as a browser posts it
                    flat.add(name, str(item))
        elif isinstance(value, dict):
            flat.update(flatten(value, f"{name}-"))
        elif isinstance(value, FileStorage):  # a file received on the docking wire (app.files.wire)
            flat.add(name, value)
        elif value is not None:
            flat.add(name, str(value))
    return flat
