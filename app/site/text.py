"""Characters no stored text keeps: NUL and the other C0/C1 controls (tab, newline and carriage return
stay), DEL, and the bidirectional controls that make a text read differently from how it is stored
(U+202A–U+202E embeddings and overrides, U+2066–U+2069 isolates, U+200E/U+200F/U+061C marks)."""
from __future__ import annotations

import re

INVISIBLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
REMOVED_MESSAGE = "含有不可见的控制字符或文字方向控制符，已删除，请核对后重新提交。"


def clean_text(value):
    """`value` without those characters; anything that is not a string comes back unchanged."""
    return INVISIBLE.sub("", value) if isinstance(value, str) else value


def has_invisible(value) -> bool:
    return isinstance(value, str) and INVISIBLE.search(value) is not None
