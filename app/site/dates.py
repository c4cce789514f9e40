"""Dates people type into filters, read in the platform's time zone (Asia/Shanghai by default)."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app


def day_start(text: str | None, *, next_day: bool = False) -> datetime | None:
    """A typed YYYY-MM-DD as the aware instant its day starts there (or the next day's, to end a range);
    None when it is not such a date."""
    try:
        day = date.fromisoformat((text or "").strip())
    except ValueError:
        return None
    if next_day:
        day += timedelta(days=1)
    return datetime.combine(day, time.min, ZoneInfo(current_app.config["TIMEZONE"]))
