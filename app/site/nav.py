"""The navigation bar: each entry names the roles that see it. Later areas add their lines here."""
from __future__ import annotations

from typing import NamedTuple

from app.accounts import roles as r


class NavItem(NamedTuple):
    label: str
    endpoint: str
    roles: frozenset[str]
    args: dict | None = None


def _library(key: str, label: str, owner: str | None) -> NavItem:
    readers = r.OFFICIALS | ({owner} if owner else set())
    return NavItem(label, "libraries.record_list", frozenset(readers), {"key": key})


NAV: list[NavItem] = [
    NavItem("工作台", "site.home", frozenset(r.ALL)),
    _library("pilots", "试点企业库", r.ENTERPRISE),
    _library("archives", "一企一档", r.ENTERPRISE),
    _library("providers", "服务商库", r.PROVIDER),
    _library("products", "产品和解决方案库", r.PROVIDER),
    _library("targets", "绩效管理", None),
    NavItem("审核队列", "review.queue", r.OFFICIALS),
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


def items_for(role: str | None) -> list[NavItem]:
    return [item for item in NAV if role in item.roles]
