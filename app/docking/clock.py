"""Now, for the push machinery: the window, the quota week, leases and back-off all read it here."""
from __future__ import annotations

from datetime import datetime

from app.db import utcnow


def now() -> datetime:
    """Now, aware UTC. One function so a test can move time (the window, the quota week, back-off); callers
    use `clock.now()`, never a copied reference, so a patched clock reaches every module."""
    return utcnow()
