"""One refusal type for every rule a service enforces, and one way to show it beside its form field."""
from __future__ import annotations


class Refused(ValueError):
    """A change the rules refuse. The message is Chinese and shown to the user as it is; `field` names the
    form field it belongs beside (None: the form as a whole, shown beside its first field)."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def show_on(form, refused: Refused, default: str | None = None) -> None:
    """Attach a refusal's message to the field it concerns: `refused.field`, else `default`, else the form's
    first field (nested forms are searched by the field's full name, e.g. a stage of the archive)."""
    field = None
    for name in filter(None, (refused.field, default)):
        field = getattr(form, name, None) or next((f for f in form if f.name == name), None)
        if field is not None:
            break
    field = field or next(iter(form))
    field.errors = [*field.errors, str(refused)]
