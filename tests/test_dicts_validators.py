"""The unified social credit code check (GB 32100)."""
from __future__ import annotations

import pytest
from wtforms import Form, StringField

from app.dicts.validators import CreditCode, credit_code_check_char, is_valid_credit_code


@pytest.mark.parametrize("code", ["914403001922038216", "91110000600037341L"])
def test_valid_codes(code):
    assert is_valid_credit_code(code)
    assert credit_code_check_char(code[:17]) == code[17]


@pytest.mark.parametrize("code", [
    "914403001922038217",  # wrong check character
    "91110000600037341l",  # lower case
    "91440300192203821",  # 17 characters
    "9144030019220382160",  # 19 characters
    "",
    None,
    "9111000060003734IL", "9111000060003734OL", "9111000060003734ZL", "9111000060003734SL",
    "9111000060003734VL",  # I, O, Z, S, V are not in the alphabet
])
def test_invalid_codes(code):
    assert not is_valid_credit_code(code)


class _Form(Form):
    code = StringField("统一社会信用代码", [CreditCode()])


def test_wtforms_validator_message():
    from werkzeug.datastructures import MultiDict

    form = _Form(MultiDict({"code": "914403001922038217"}))
    assert not form.validate()
    assert form.code.errors == ["统一社会信用代码格式或校验位不正确"]
    assert _Form(MultiDict({"code": "914403001922038216"})).validate()
    assert _Form(MultiDict({"code": ""})).validate()  # emptiness is for DataRequired/Optional to decide
