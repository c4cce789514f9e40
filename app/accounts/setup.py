"""First run: while no system administrator exists, a one-time setup code printed on the server's
console lets whoever installed the platform create that administrator. The code keeps a colleague
who merely reaches the page over the intranet from claiming the platform first."""
from __future__ import annotations

import hashlib
import hmac
import secrets
from pathlib import Path

from sqlmodel import Session

from app.accounts import roles
from app.accounts.models import count_users_with_role

CODE_FILE = "setup-code.sha256"


def needs_setup(session: Session) -> bool:
    return count_users_with_role(roles.SYS_ADMIN, session=session) == 0


def issue_code(instance: Path) -> str:
    """Create a fresh setup code, keep only its hash in the instance folder, return it for printing."""
    code = "-".join(secrets.token_hex(3).upper() for _ in range(3))
    instance.mkdir(parents=True, exist_ok=True)
    (instance / CODE_FILE).write_text(hashlib.sha256(code.encode()).hexdigest())
    return code


def check_code(instance: Path, code: str) -> bool:
    path = instance / CODE_FILE
    if not path.exists():
        return False
    given = hashlib.sha256(code.strip().upper().encode()).hexdigest()
    return hmac.compare_digest(given, path.read_text().strip())


def discard_code(instance: Path) -> None:
    (instance / CODE_FILE).unlink(missing_ok=True)
