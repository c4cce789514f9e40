"""The navigation bar: each entry names the roles that see it. Later areas add their lines here."""
from __future__ import annotations

from typing import NamedTuple

from app.accounts import roles as r


class NavItem(NamedTuple):
    label: str
    endpoint: str
    roles: frozenset[str]


NAV: list[NavItem] = [
    NavItem("工作台", "site.home", frozenset(r.ALL)),
    NavItem("用户管理", "accounts.user_list", frozenset(r.MANAGEABLE) | r.ACCOUNT_GUARDS),
    NavItem("参考字典", "dicts.index", r.STAFF),
    NavItem("审计日志", "audit.event_list", frozenset({r.AUDIT_ADMIN})),
]


def items_for(role: str | None) -> list[NavItem]:
    return [item for item in NAV if role in item.roles]
