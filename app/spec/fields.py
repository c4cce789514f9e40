"""Field builders for declaring a spec table as a form, row by row.

Each builder takes what one row of a spec table says: the 说明 (label), the type and length, whether
单次逻辑校验 is Y, and the 备注 limit. `Required` enforces Y only when a record is submitted for review
(or pushed): a draft may leave any field empty, but what it does contain must still be valid.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from decimal import Decimal, InvalidOperation

from markupsafe import Markup, escape
from wtforms import (
    DateField,
    DecimalField,
    Field,
    FieldList,
    FormField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, NumberRange, Optional, StopValidation, ValidationError
from wtforms.widgets import html_params

from app.dicts import spec_dicts
from app.validators import NoMarkup, strip_filter

_submitting: ContextVar[bool] = ContextVar("spec_submitting", default=False)


@contextmanager
def submitting(flag: bool = True) -> Iterator[None]:
    """Within this block `Required` fields must be filled (submit for review, push, intake)."""
    token = _submitting.set(flag)
    try:
        yield
    finally:
        _submitting.reset(token)


def is_empty(value) -> bool:
    return value is None or value == [] or (isinstance(value, str) and not value.strip())


class Required:
    """单次逻辑校验 = Y. Empty is refused when submitting; in a draft it just ends the field's checks."""

    field_flags = {"spec_required": True}

    def __call__(self, form, field):
        if field.process_errors:  # unparseable input ("abc" for a number) keeps its own message
            raise StopValidation()
        if not is_empty(field.data):
            return
        if _submitting.get():
            raise StopValidation(f"提交审核时必须填写“{field.label.text}”。")
        raise StopValidation()


def _parse(valuelist, convert, message: str):
    """The posted text converted, None when empty; `message` (Chinese) when it cannot be read."""
    raw = (valuelist[0] if valuelist else "").strip()
    if not raw:
        return None
    try:
        return convert(raw)
    except (ValueError, InvalidOperation) as exc:
        raise ValueError(message) from exc


def _finite_decimal(raw: str) -> Decimal:
    value = Decimal(raw.replace(",", ""))
    if not value.is_finite():
        raise ValueError(raw)
    return value


class SpecIntegerField(IntegerField):
    def process_formdata(self, valuelist):
        self.data = None
        self.data = _parse(valuelist, int, "请输入整数。")


class SpecDecimalField(DecimalField):
    def process_formdata(self, valuelist):
        self.data = None
        self.data = _parse(valuelist, _finite_decimal, "请输入数字，例如 12.50。")


class SpecDateField(DateField):
    def process_formdata(self, valuelist):
        self.data = None
        self.data = _parse(valuelist, lambda raw: datetime.strptime(raw, "%Y-%m-%d").date(),
                           "日期格式应为 YYYY-MM-DD，例如 2025-01-31。")


class SpecSelectField(SelectField):
    """A code from a section-3 dictionary; an empty choice is None and left to `Required`."""

    def pre_validate(self, form):
        if self.data is None:
            return
        if not any(self.data == c.value for c in self.choices if c.value is not None):
            raise ValidationError(f"“{self.label.text}”的代码无效，请从列表中选择。")


def _limit(max_len: int, words: int | None) -> Length:
    n = min(max_len, words) if words else max_len
    return Length(max=n, message=f"不能超过 {n} 个字。")


def text(label: str, max_len: int, *, required: bool = True, words: int | None = None,
         textarea: bool = False, validators=(), **kwargs):
    """VARCHAR(max_len) or TEXT; `words` is the 备注 limit in characters when it is stricter."""
    cls = TextAreaField if textarea else StringField
    checks = [Required() if required else Optional(), _limit(max_len, words), NoMarkup(), *validators]
    return cls(label, checks, filters=[strip_filter], **kwargs)


def integer(label: str, *, required: bool = True, minimum: int = 0, maximum: int | None = None, **kwargs):
    message = f"应为不小于 {minimum} 的整数。" if maximum is None else f"应为 {minimum}–{maximum} 之间的整数。"
    checks = [Required() if required else Optional(), NumberRange(minimum, maximum, message)]
    return SpecIntegerField(label, checks, **kwargs)


def decimal(label: str, *, required: bool = True, minimum: float | None = 0, **kwargs):
    """A Double of the spec; `minimum=None` where a negative value is meaningful (a loss)."""
    checks = [Required() if required else Optional()]
    if minimum is not None:
        checks.append(NumberRange(minimum, None, f"不能小于 {minimum}。"))
    return SpecDecimalField(label, checks, places=None, **kwargs)


def date(label: str, *, required: bool = True, **kwargs):
    return SpecDateField(label, [Required() if required else Optional()], **kwargs)


def _coerce_int(value):
    return None if value in (None, "") else int(value)


def _coerce_str(value):
    return None if value in (None, "") else str(value)


def choice(label: str, dict_type: str | None = None, *, required: bool = True, integer_codes: bool = False,
           options: list[tuple] | None = None, **kwargs):
    """A code from dictionary `dict_type`, or from `options` [(code, text)] the spec lists in a 备注;
    shown as "text（code）"."""
    coerce = _coerce_int if integer_codes else _coerce_str
    entries = options or [(e.code, e.label) for e in spec_dicts.entries()[dict_type]]
    options = [SelectChoice("", "请选择")] + [
        SelectChoice(coerce(code), text if str(text) == str(code) else f"{text}（{code}）") for code, text in entries
    ]
    checks = [Required() if required else Optional()]
    return SpecSelectField(label, checks, choices=options, coerce=coerce, validate_choice=True, **kwargs)


def rows(row_form, label: str, *, required: bool = True, min_entries: int = 0, max_entries: int = 50):
    """A List<object> of the spec: nested rows posted as name-0-attr, name-1-attr, …"""
    checks = [Required()] if required else []
    return FieldList(FormField(row_form), label, checks, min_entries=min_entries, max_entries=max_entries)


class SlashParts:
    """A value made of "/"-separated parts (registAddress: 河南省/新乡市/长垣市/…), none of them empty."""

    def __init__(self, minimum: int = 2):
        self.minimum = minimum

    def __call__(self, form, field):
        if is_empty(field.data):
            return
        parts = field.data.split("/")
        if len(parts) < self.minimum or any(not p.strip() for p in parts):
            raise ValidationError(
                f"请用“/”分隔各部分（至少 {self.minimum} 部分），例如：河南省/新乡市/长垣市/蒲西街道 18 号。")


def derived_widget(field, **kwargs):
    """A value the user does not type: shown as text, carried back as a hidden input under its name."""
    value = field._value()
    hidden = f"<input {html_params(type='hidden', name=field.name, id=field.id, value=value)}>"
    return Markup(f'{hidden}<span class="derived">{escape(value or field.placeholder)}</span>')


class DerivedField(Field):
    """A value computed from the rest of its form (a code's label, a sum), so it can never disagree with
    what it is derived from: whatever was posted or pushed is replaced when the form is validated."""

    widget = staticmethod(derived_widget)
    placeholder = "（自动填写）"

    def __init__(self, label=None, validators=None, compute=None, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.compute = compute

    def process_formdata(self, valuelist):
        self.data = (valuelist[0] or "").strip() or None if valuelist else None

    def _value(self):
        return "" if self.data is None else str(self.data)

    def pre_validate(self, form):
        self.data = self.compute(form)


def label_of(source: str, dict_type: str):
    """A DerivedField's `compute`: the dictionary label of the code in field `source`."""
    labels = {e.code: e.label for e in spec_dicts.entries()[dict_type]}

    def compute(form):
        code = form[source].data
        return None if code is None else labels.get(str(code))
    return compute
