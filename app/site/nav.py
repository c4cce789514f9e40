"""The navigation bar: each entry names the roles that see it. Later areas add their lines here."""
from __future__ import annotations

from typing import NamedTuple

from app.accounts import roles as r


class NavItem(NamedTuple):
    label: str
    endpoint: str
    roles: frozenset[str]
    args: dict | None = None


HOME = NavItem("工作台", "site.home", frozenset(r.ALL))
# After the home entry come the national libraries, from their declarations (app.libraries.registry).
NAV: list[NavItem] = [
    NavItem("审核队列", "review.queue", r.OFFICIALS),
    NavItem("数字化水平评测", "evaluations.evaluation_list", frozenset({r.ENTERPRISE, r.PROVIDER}) | r.OFFICIALS),
    NavItem("推送中心", "docking.push_centre", frozenset({r.CITY_ADMIN})),
    NavItem("对接配置", "docking.settings_page", frozenset({r.CITY_ADMIN})),
    NavItem("用户管理", "accounts.user_list", frozenset(r.MANAGEABLE) | r.ACCOUNT_GUARDS),
    NavItem("参考字典", "dicts.index", r.STAFF),
    NavItem("审计日志", "audit.event_list", frozenset({r.AUDIT_ADMIN})),
    NavItem("统一身份认证", "oauth_client.application_list", frozenset(r.MANAGEABLE)),
    NavItem("第三方应用", "oauth_server.app_list", frozenset({r.SYS_ADMIN})),
    NavItem("对接平台管理", "hub.overview", r.HUB_ROLES),
    NavItem("已授权应用", "oauth_server.my_consents", frozenset(r.ALL)),
]


def _libraries() -> list[NavItem]:
    from app.libraries.registry import in_menu_order

    return [NavItem(lib.title, "libraries.record_list", lib.roles, {"key": lib.key}) for lib in in_menu_order()]


def items_for(role: str | None) -> list[NavItem]:
    return [item for item in (HOME, *_libraries(), *NAV) if role in item.roles]
