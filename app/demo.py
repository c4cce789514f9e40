"""A demo county so that a newcomer sees a living platform: 河南省新乡市 and its county-level city
长垣市, with enterprises, service providers and one account of every role. The names are invented;
the credit codes are well-formed (valid check characters) but belong to no real organisation.

Run with `python run.py --demo` or `flask --app app demo`. Loading twice adds nothing.
"""
from __future__ import annotations

from collections.abc import Callable

import click
from flask.cli import with_appcontext
from sqlmodel import Session

from app.accounts import roles, service
from app.accounts.models import get_user_by_username
from app.accounts.passwords import generate_password
from app.accounts.setup import needs_setup
from app.db import get_session
from app.dicts.validators import credit_code_check_char

CITY, COUNTY, COUNTY_2 = "410700", "410783", "410721"


def _credit_code(region: str, org: str) -> str:
    first17 = f"91{region}{org}"
    return first17 + credit_code_check_char(first17)


# (username, role, region, display name, organisation code for bound roles)
DEMO_USERS = [
    ("demo_sys", roles.SYS_ADMIN, CITY, "新乡市平台系统管理员", None),
    ("demo_sec", roles.SEC_ADMIN, CITY, "新乡市平台安全管理员", None),
    ("demo_audit", roles.AUDIT_ADMIN, CITY, "新乡市平台审计管理员", None),
    ("demo_hub", roles.HUB_ADMIN, CITY, "新乡市平台对接管理员", None),
    ("demo_city", roles.CITY_ADMIN, CITY, "新乡市工业和信息化局", None),
    ("demo_county", roles.COUNTY_OFFICIAL, COUNTY, "长垣市工业和信息化局", None),
    ("demo_county2", roles.COUNTY_OFFICIAL, COUNTY_2, "新乡县工业和信息化局", None),
    ("demo_ent_crane", roles.ENTERPRISE, COUNTY, "长垣市恒力起重机械有限公司", "MA40QX1C3"),
    ("demo_ent_medical", roles.ENTERPRISE, COUNTY, "长垣市康泰卫生材料有限公司", "MA44B7R2K"),
    ("demo_ent_battery", roles.ENTERPRISE, COUNTY_2, "新乡县华锐电池材料有限公司", "MA46D3T8N"),
    ("demo_ent_flour", roles.ENTERPRISE, COUNTY_2, "新乡县丰源粮食机械有限公司", "MA3XKL5P0"),
    ("demo_prov_cloud", roles.PROVIDER, CITY, "新乡智云数字科技有限公司", "MA47F2W9H"),
    ("demo_prov_iiot", roles.PROVIDER, COUNTY, "河南中原工业互联网服务有限公司", "MA45J8U1E"),
]


def load_demo(session: Session, echo: Callable[[str], None] = print) -> list[tuple[str, str, str]]:
    """Create the demo accounts that do not exist yet; print and return (username, role, password)."""
    created = []
    for username, role, region, name, org in DEMO_USERS:
        if get_user_by_username(username, session=session) is not None:
            continue
        if role == roles.SYS_ADMIN and not needs_setup(session):
            continue  # an installation that already has its administrator keeps it alone
        password = generate_password()
        service.create_user(
            session, actor=None, username=username, role=role, region_code=region, display_name=name,
            credit_code=_credit_code(region, org) if org else None, password=password,
            must_change_password=False,
        )
        created.append((username, role, password))
    if created:
        echo("已载入演示数据（新乡市 / 长垣市 / 新乡县）。演示账号及密码（仅显示这一次）：")
        for username, role, password in created:
            echo(f"  {roles.LABELS[role]:<8} {username:<18} {password}")
    else:
        echo("演示数据已存在，未做改动。")
    return created


@click.command("demo", help="载入演示区县（新乡市、长垣市、新乡县）和各角色演示账号。")
@with_appcontext
def demo_command():
    load_demo(get_session(), echo=click.echo)
