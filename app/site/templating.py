"""Jinja filters and globals used by every page."""
from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from flask import Flask, current_app
from flask_login import current_user

from app.accounts import roles
from app.site.nav import items_for


def to_local(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """Stored UTC time → Asia/Shanghai (or the configured zone), whatever the server's zone."""
    if value is None:
        return ""
    return value.astimezone(ZoneInfo(current_app.config["TIMEZONE"])).strftime(fmt)


def _globals() -> dict:
    role = current_user.role if current_user.is_authenticated else None
    return {
        "nav_items": items_for(role),
        "role_labels": roles.LABELS,
        "platform_name": current_app.config["PLATFORM_NAME"],
        "now_year": datetime.now(UTC).year,
    }


def init_app(app: Flask) -> None:
    app.add_template_filter(to_local, "localtime")
    app.context_processor(_globals)
