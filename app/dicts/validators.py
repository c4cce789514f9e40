"""The unified social credit code (统一社会信用代码, GB 32100-2015): format and check character."""
from __future__ import annotations

from wtforms.validators import ValidationError

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # no I, O, S, V, Z
_VALUE = {ch: i for i, ch in enumerate(ALPHABET)}
_WEIGHTS = [pow(3, i, 31) for i in range(17)]  # 3^(i-1) mod 31 for positions 1..17


def credit_code_check_char(first17: str) -> str:
    """The 18th character for the first 17 (which must be upper case and in the alphabet)."""
    total = sum(_VALUE[ch] * w for ch, w in zip(first17, _WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def is_valid_credit_code(s: str | None) -> bool:
    if not isinstance(s, str) or len(s) != 18 or any(ch not in _VALUE for ch in s):
        return False
    return credit_code_check_char(s[:17]) == s[17]


class CreditCode:
    """WTForms validator: an 18-character unified social credit code with a correct check character.

    An empty value passes, so that Optional/DataRequired decide whether the field is required.
    """

    def __init__(self, message: str | None = None):
        self.message = message or "统一社会信用代码格式或校验位不正确"

    def __call__(self, form, field) -> None:
        if field.data and not is_valid_credit_code(field.data):
            raise ValidationError(self.message)
