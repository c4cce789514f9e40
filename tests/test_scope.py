"""The one scope helper every view uses: region prefixes, bound users, and 404 for out-of-scope loads."""
from __future__ import annotations

import pytest
from sqlmodel import select
from werkzeug.exceptions import NotFound

from app.accounts import roles
from app.accounts.models import User
from app.accounts.scope import Scope, region_covers, region_prefix

ENT = "914403001922038216"
OTHER_ENT = "91110000600037341L"


@pytest.mark.parametrize(("code", "prefix"), [("410000", "41"), ("410700", "4107"), ("410783", "410783"),
                                              ("110105", "110105"), ("650091", "650091")])
def test_region_prefix(code, prefix):
    assert region_prefix(code) == prefix


def test_region_covers():
    assert region_covers("410000", "410783") and region_covers("410700", "410783")
    assert not region_covers("410783", "410700")  # a county does not see its city's own records
    assert not region_covers("410700", "410100") and not region_covers("410700", None)


@pytest.fixture
def people(make_user):
    return {
        "xx_county": make_user(roles.COUNTY_OFFICIAL, "410783"),
        "xx_county2": make_user(roles.COUNTY_OFFICIAL, "410721"),
        "zz_county": make_user(roles.COUNTY_OFFICIAL, "410102"),
        "ent": make_user(roles.ENTERPRISE, "410783", credit_code=ENT),
        "other_ent": make_user(roles.ENTERPRISE, "410783", credit_code=OTHER_ENT),
    }


def _visible(db, scope):
    stmt = select(User.username).where(scope.where(region_col=User.region_code, credit_col=User.credit_code))
    return set(db.exec(stmt).all())


def test_officials_see_their_region_only(db, people):
    names = {k: v.username for k, v in people.items()}
    city = _visible(db, Scope(roles.CITY_ADMIN, "410700"))
    assert city == {names["xx_county"], names["xx_county2"], names["ent"], names["other_ent"]}
    county = _visible(db, Scope(roles.COUNTY_OFFICIAL, "410783"))
    assert county == {names["xx_county"], names["ent"], names["other_ent"]}
    assert _visible(db, Scope(roles.CITY_ADMIN, "410000")) == set(names.values())


def test_bound_users_see_only_their_own_organisation(db, people):
    assert _visible(db, Scope(roles.ENTERPRISE, "410783", ENT)) == {people["ent"].username}
    assert _visible(db, Scope(roles.PROVIDER, "410783", None)) == set()


@pytest.mark.parametrize("role", [roles.HUB_ADMIN, roles.SYS_ADMIN, roles.SEC_ADMIN, roles.AUDIT_ADMIN])
def test_other_roles_see_no_records(db, people, role):
    assert _visible(db, Scope(role, "410000")) == set()


def test_load_or_404_hides_records_out_of_scope(db, people):
    county = Scope(roles.COUNTY_OFFICIAL, "410783")
    assert county.load_or_404(db, User, people["ent"].id, region_attr="region_code").id == people["ent"].id
    with pytest.raises(NotFound):
        county.load_or_404(db, User, people["zz_county"].id, region_attr="region_code")
    with pytest.raises(NotFound):
        county.load_or_404(db, User, 999999, region_attr="region_code")
    ent = Scope(roles.ENTERPRISE, "410783", ENT)
    with pytest.raises(NotFound):
        ent.load_or_404(db, User, people["other_ent"].id, region_attr="region_code", credit_attr="credit_code")
