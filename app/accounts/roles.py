"""The roles of the platform. An account holds exactly one role, which keeps the three
administrators (system, security, audit) separate by construction."""
from __future__ import annotations

ENTERPRISE = "enterprise"
PROVIDER = "provider"
COUNTY_OFFICIAL = "county_official"
CITY_ADMIN = "city_admin"
HUB_ADMIN = "hub_admin"
HUB_APPROVER = "hub_approver"
SYS_ADMIN = "sys_admin"
SEC_ADMIN = "sec_admin"
AUDIT_ADMIN = "audit_admin"

LABELS: dict[str, str] = {
    ENTERPRISE: "企业用户",
    PROVIDER: "服务商用户",
    COUNTY_OFFICIAL: "区县主管部门",
    CITY_ADMIN: "市级管理员",
    HUB_ADMIN: "对接平台管理员",
    HUB_APPROVER: "对接审批管理员",
    SYS_ADMIN: "系统管理员",
    SEC_ADMIN: "安全管理员",
    AUDIT_ADMIN: "审计管理员",
}
ALL = tuple(LABELS)

# Roles bound to one unified social credit code: they see only their own organisation's records.
BOUND_ROLES = frozenset({ENTERPRISE, PROVIDER})
# Officials see and decide on every record of their region.
OFFICIALS = frozenset({COUNTY_OFFICIAL, CITY_ADMIN})
# Staff who may read the reference dictionaries page.
STAFF = frozenset({COUNTY_OFFICIAL, CITY_ADMIN, HUB_ADMIN, HUB_APPROVER, SYS_ADMIN, SEC_ADMIN, AUDIT_ADMIN})
# The receiving side (app.hub): the administrator registers docked platforms, the approver decides on them;
# keeping them apart means no one both registers a platform and hands it credentials.
HUB_ROLES = frozenset({HUB_ADMIN, HUB_APPROVER})
# The "three administrators" of Chinese information-security practice.
THREE_ADMINS = frozenset({SYS_ADMIN, SEC_ADMIN, AUDIT_ADMIN})

# Who may create and edit which roles' accounts (always inside the actor's own region).
MANAGEABLE: dict[str, frozenset[str]] = {
    SYS_ADMIN: frozenset(ALL),
    CITY_ADMIN: frozenset({COUNTY_OFFICIAL, ENTERPRISE, PROVIDER}),
}
# The security administrator unlocks, disables and signs out accounts but does not create them.
ACCOUNT_GUARDS = frozenset({SYS_ADMIN, SEC_ADMIN})
