"""The 一企一档 spec JSON on the wire, and its one ambiguity.

Table 2.6 names two top-level attributes `transResult`: the INT 改造结果 (0/1/2, 单次逻辑校验 Y) and
the Object 数字化改造成效（改造后）. One JSON object cannot carry both under one key in a way every parser
keeps, and how the national platform reads them is not documented. The stored payload keeps them apart
(`transResult` and `transResultAfter`); the setting ARCHIVE_TRANS_RESULT chooses how they travel:

- ``both`` (default): both under `transResult`, the INT first, in the spec's order. It is the only layout
  that uses nothing but table 2.6's attribute names, so a receiver that refuses unknown attributes accepts
  it. Its risk: a parser that keeps one value per key (Jackson, fastjson: the last) sees only the object.
- ``code``: `transResult` is the INT, and the object travels as `transResultAfter`, which is not an
  attribute of table 2.6: a strict receiver refuses the record ("unknown attribute").
- ``object``: `transResult` is the object, and the INT travels as `transResultCode`, not an attribute of
  table 2.6 either.

Reading (`loads`, `canonical`) accepts all three, so a lower platform may use any of them.
"""
from __future__ import annotations

import json

from flask import current_app

MODES = {"both": "两个 transResult 依规范顺序同时传送（整数在前、对象在后）",
         "code": "transResult 传改造结果（整数），改造后成效对象以 transResultAfter 传送",
         "object": "transResult 传改造后成效对象，改造结果（整数）以 transResultCode 传送"}
AFTER_KEY, CODE_KEY = "transResultAfter", "transResultCode"


def check_mode(mode: str) -> str:
    if mode not in MODES:
        raise ValueError(f"ARCHIVE_TRANS_RESULT 只能是 {' / '.join(MODES)}，当前为 {mode!r}")
    return mode


def current_mode() -> str:
    return check_mode(current_app.config["ARCHIVE_TRANS_RESULT"])


class _Pairs(dict):
    """A JSON object whose members are the given (key, value) pairs, repeated keys included: the json
    module encodes a dict subclass through its items()."""

    def __init__(self, pairs: list[tuple[str, object]]):
        super().__init__(pairs)
        self._pairs = pairs

    def items(self):
        return iter(self._pairs)


def spec_object(payload: dict, mode: str | None = None) -> dict:
    """The archive as the spec JSON object, its two `transResult`s placed as `mode` says."""
    mode = check_mode(mode or current_mode())
    pairs: list[tuple[str, object]] = []
    for key, value in payload.items():
        if key == "transResult":
            pairs.append((CODE_KEY if mode == "object" else "transResult", value))
        elif key == AFTER_KEY:
            pairs.append(("transResult" if mode in ("object", "both") else AFTER_KEY, value))
        else:
            pairs.append((key, value))
    return _Pairs(pairs) if mode == "both" else dict(pairs)


def dumps(payload: dict, mode: str | None = None, **kwargs) -> str:
    return json.dumps(spec_object(payload, mode), ensure_ascii=False, **kwargs)


def canonical(obj: dict) -> dict:
    """A received archive object (any mode) as the stored payload: INT under transResult, object under
    transResultAfter."""
    out: dict = {}
    for key, value in obj.items():
        if key == "transResult" and isinstance(value, dict):
            out[AFTER_KEY] = value
        elif key in ("transResult", CODE_KEY):
            out["transResult"] = value
        else:
            out[key] = value
    return out


def loads(text: str | bytes):
    """Parse pushed JSON keeping both `transResult`s of an archive (a plain json.loads keeps the last)."""
    return json.loads(text, object_pairs_hook=lambda pairs: canonical(_Pairs(pairs)))


def openapi_schema(schema: dict) -> dict:
    """The hub's OpenAPI record schema of 2.6: the INT under transResult; the 改造后 object as
    transResultAfter (or transResult itself, with the INT as transResultCode) — every form `loads` reads."""
    props = schema["properties"]
    props["transResult"]["description"] += (
        "。改造结果（0 未改造 1 改造完成 2 改造中）。改造后成效对象以 transResultAfter 传送；"
        "也接受 transResult 为对象、整数以 transResultCode 传送")
    props[CODE_KEY] = {"type": "integer", "enum": [0, 1, 2], "description": "改造结果（object 模式）"}
    return schema
