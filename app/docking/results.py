"""Each pushed record's result from an OK answer. The spec's answer has counts and the names of failed
records (`faidEntName`), not a result per record, so the result is worked out (README "推送到上级平台")."""
from __future__ import annotations

from typing import Any

from app.docking import protocol
from app.docking.models import ADDED, FAILED, INFERRED, UPDATED

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


def _split_counts(library: str, body: dict[str, Any], succeeded: int) -> tuple[int, int] | None:
    """(added, updated) when the answer's counts cover exactly the records that succeeded, else None."""
    added, updated = protocol.total(body, "addTotal"), protocol.updated_total(library, body)
    if added is None and updated is None:
        return None
    added = succeeded - (updated or 0) if added is None else added
    updated = succeeded - added if updated is None else updated
    if added < 0 or updated < 0 or added + updated != succeeded:
        return None
    return added, updated


def _from_counts(library: str, items: list[tuple[str, str, bool]], body: dict[str, Any]) -> list[Result]:
    """faidEntName names the failures; the counts decide the rest. When every success is an add (or every
    one an update) the answer says so. A mix (add 62 / update 2) does not say which record is which: the
    counts are still kept, records never pushed before taking the adds first, and each such result says
    it is inferred (INFERRED), as does a result from no usable counts at all."""
    ok = _succeeded(items, body)
    split = _split_counts(library, body, sum(ok))
    certain = split is not None and 0 in split
    adds_left = split[0] if split is not None else None
    if adds_left is not None:
        # Never pushed before first, then in request order, until the add count is used up.
        order = sorted((i for i, good in enumerate(ok) if good), key=lambda i: (items[i][2], i))
        chosen = set(order[:adds_left])
    out: list[Result] = []
    for index, ((_key, _name, before), success) in enumerate(zip(items, ok, strict=True)):
        if not success:
            out.append((FAILED, "上级平台校验未通过"))
        elif adds_left is not None:
            out.append((ADDED if index in chosen else UPDATED, None if certain else INFERRED))
        else:
            out.append((UPDATED if before else ADDED, INFERRED))
    return out


def record_results(library: str, items: list[tuple[str, str, bool]], body: dict[str, Any]) -> list[Result]:
    """Each pushed record's (result, reason) from an OK answer, in request order. `items` are
    (natural key, entity name, pushed successfully before) in request order.

    The answer's `resultList` (this platform's extension, see protocol.result_body) decides when present.
    Otherwise the spec's fields: a record whose name is in `faidEntName` failed; the others succeeded,
    as added when `addTotal` covers all of them, as updated when the update count does; a mix keeps the
    counts and is marked as inferred (see _from_counts). A success's reason is None, or INFERRED."""
    results = body.get("resultList")
    if isinstance(results, list) and results:
        return _from_result_list(items, results)
    return _from_counts(library, items, body)
