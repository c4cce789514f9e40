"""Each pushed record's result from an OK answer. The spec's answer has counts and the names of failed
records (`faidEntName`), not a result per record, so the result is worked out (README "推送到上级平台")."""
from __future__ import annotations

from typing import Any

from app.docking import protocol
from app.docking.models import ADDED, FAILED, UPDATED

Result = tuple[str, str | None]  # (added | updated | failed, reason)
VERDICTS = {"add": ADDED, "update": UPDATED}


def _entry(results: list, by_key: dict[str, dict], index: int, key: str) -> dict | None:
    # By key first; then by the entry's own index; then by position.
    entry = by_key.get(key)
    if entry is None:
        entry = next((r for r in results if isinstance(r, dict) and r.get("index") == index), None)
    if entry is None and index < len(results) and isinstance(results[index], dict):
        entry = results[index]
    return entry


def _verdict(entry: dict | None) -> Result:
    verdict = VERDICTS.get(str((entry or {}).get("result") or ""))
    if verdict is not None:
        return verdict, None
    reason = (entry or {}).get("reason") or ("上级平台未返回该条记录的结果" if entry is None else "")
    return FAILED, str(reason or "上级平台校验未通过")


def _from_result_list(items: list[tuple[str, str, bool]], results: list) -> list[Result]:
    by_key = {str(r.get("key")): r for r in results if isinstance(r, dict) and r.get("key") not in (None, "")}
    return [_verdict(_entry(results, by_key, index, key)) for index, (key, _name, _before) in enumerate(items)]


def _succeeded(items: list[tuple[str, str, bool]], body: dict[str, Any]) -> list[bool]:
    # The spec names failed records by entity name; a key there counts too.
    failed_names = {str(n) for n in (body.get("faidEntName") or []) if n not in (None, "")}
    return [not (name in failed_names or key in failed_names) for key, name, _ in items]


def _all_as(library: str, body: dict[str, Any], succeeded: int) -> str | None:
    """ADDED / UPDATED when the answer's count covers every record that succeeded; None when neither does."""
    if not succeeded:
        return None
    if protocol.total(body, "addTotal") == succeeded:
        return ADDED
    if protocol.updated_total(library, body) == succeeded:
        return UPDATED
    return None


def _from_counts(library: str, items: list[tuple[str, str, bool]], body: dict[str, Any]) -> list[Result]:
    ok = _succeeded(items, body)
    every = _all_as(library, body, sum(ok))
    return [(every or (UPDATED if before else ADDED), None) if success else (FAILED, "上级平台校验未通过")
            for (_key, _name, before), success in zip(items, ok, strict=True)]


def record_results(library: str, items: list[tuple[str, str, bool]], body: dict[str, Any]) -> list[Result]:
    """Each pushed record's (result, reason) from an OK answer, in request order. `items` are
    (natural key, entity name, pushed successfully before) in request order.

    The answer's `resultList` (this platform's extension, see protocol.result_body) decides when present.
    Otherwise the spec's fields: a record whose name is in `faidEntName` failed; the others succeeded,
    as added when `addTotal` covers all of them, as updated when the update count does, else added if the
    record was never pushed successfully before and updated if it was."""
    results = body.get("resultList")
    if isinstance(results, list) and results:
        return _from_result_list(items, results)
    return _from_counts(library, items, body)
