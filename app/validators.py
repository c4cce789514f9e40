"""Validators shared by every area's forms."""
from __future__ import annotations

import re

from wtforms.validators import ValidationError

_MARKUP = re.compile(r"<\s*[a-zA-Z/!?]|&#|javascript:", re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Names of people and organisations: CJK, letters, digits, spaces and the punctuation they really use.
_NAME = re.compile(r"^[\w\u3400-\u9fff\uf900-\ufaff ·•()（）\-_.,、，&＆]*$")


class NoMarkup:
    """Free text may hold quotes and the like, but no HTML markup or control characters."""

    def __init__(self, message: str | None = None):
        self.message = message or "不能包含 HTML 标记或控制字符。"

    def __call__(self, form, field):
        if field.data and (_MARKUP.search(field.data) or _CONTROL.search(field.data)):
            raise ValidationError(self.message)


class NameText:
    """Names: a narrow alphabet, so markup and SQL fragments are refused outright."""

    def __init__(self, message: str | None = None):
        self.message = message or "只能包含汉字、字母、数字、空格及常用符号（·()（）-_.,、&）。"

    def __call__(self, form, field):
        if field.data and not _NAME.match(field.data):
            raise ValidationError(self.message)


def strip_filter(value):
    return value.strip() if isinstance(value, str) else value


class Phone:
    """A telephone number as people write them: digits with +, -, spaces and an extension."""

    _PATTERN = re.compile(r"^\+?[0-9][0-9\- ]{4,28}[0-9](转[0-9]{1,6})?$")

    def __init__(self, message: str | None = None):
        self.message = message or "联系电话格式不正确，例如 0373-1234567 或 13800000000。"

    def __call__(self, form, field):
        if field.data and not self._PATTERN.match(field.data):
            raise ValidationError(self.message)
