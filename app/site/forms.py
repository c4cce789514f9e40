"""The base of every form: text fields lose the characters of app.site.text (NUL, other controls,
bidirectional overrides) as they are read, and a field that lost some says so beside itself, so the
user sees the cleaned value before it is saved. Every FlaskForm of the platform derives from BaseForm,
and every nested row (FormField / FieldList of rows) from RowForm (tests/test_fuzz.py checks this)."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import FieldList, Form, FormField

from app.site.text import REMOVED_MESSAGE, clean_text, has_invisible


def _cleaner(field):
    def clean(data):
        if has_invisible(data):
            field.process_errors.append(REMOVED_MESSAGE)
            return clean_text(data)
        if isinstance(data, list) and any(has_invisible(v) for v in data):
            field.process_errors.append(REMOVED_MESSAGE)
            return [clean_text(v) for v in data]
        return data

    return clean


class CleanTextMeta:
    """A Meta mixin: every bound field (but the enclosures, which take no filters) gets the cleaner."""

    def bind_field(self, form, unbound_field, options):
        field = super().bind_field(form, unbound_field, options)
        if not isinstance(field, FieldList | FormField):
            field.filters = (*field.filters, _cleaner(field))
        return field


class BaseForm(FlaskForm):
    class Meta(CleanTextMeta, FlaskForm.Meta):
        pass


class RowForm(Form):
    """A nested row: no CSRF of its own (it lives on the outer form), the same cleaning."""

    class Meta(CleanTextMeta, Form.Meta):
        pass
