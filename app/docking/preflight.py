"""The pre-flight check: before a record leaves, its formal version is checked as a strict upper platform
would check it — attribute names and types against its library's declaration (app.spec.conform), then the
declaration's own validators as for a submission (lengths, dictionary codes, every Y field). A record
that would be refused is held as 推送失败 with the field-level reason, and no call is spent on it.

The check reads the stored (canonical) payload: how an archive's two `transResult`s travel is the
administrator's explicit choice (ARCHIVE_TRANS_RESULT), not a fault of the record.
"""
from __future__ import annotations

from typing import Any

from app.files.fields import trusted_stored_files
from app.libraries.registry import Library
from app.spec.conform import check, library_shape

PREFIX = "推送前检查未通过："


def problems(lib: Library, payload: dict[str, Any]) -> list[str]:
    """Why the upper platform would refuse this formal version (Chinese, field by field); [] if nothing."""
    from app.hub.intake import first_error  # the hub's wording of a form's first error

    found = [p.message for p in check(library_shape(lib.form), payload)]
    form_class: Any = lib.form
    form = form_class.from_wire(payload)
    with trusted_stored_files():  # its files were checked when it was approved; only their presence counts
        valid = form.validate_for(submit=True)
    if not valid:
        found.append(first_error(form))
    return found


def reason(lib: Library, payload: dict[str, Any]) -> str | None:
    """The reason a record is held back, or None when it may be sent."""
    found = problems(lib, payload)
    return PREFIX + "；".join(found[:5]) + (f" 等 {len(found)} 项" if len(found) > 5 else "") if found else None
