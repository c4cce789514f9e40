"""The receiving side as strict as the spec (issue #14): the token endpoint's codes and HTTP status, 503
for a platform switched off, types, unknown attributes, region codes, a product's provider, and the
Authorization layout kept per docked platform."""
from __future__ import annotations

import base64
import copy

import pytest

from app.accounts import roles
from app.docking import protocol
from app.hub import service
from app.hub.models import DockedPlatform
from tests.hub_support import COUNTY, Lower, assert_spec_error, register_and_approve
from tests.samples import PRODUCT, PROVIDER, png_bytes


def _credit(n: int) -> str:
    from app.dicts.validators import credit_code_check_char

    first17 = f"91{COUNTY}7{n:08d}"
    return first17 + credit_code_check_char(first17)


def _provider(n: int, **changes) -> dict:
    return {**PROVIDER, "serviceName": f"长垣严格校验{n}有限公司", "unifiedCreditCode": _credit(n), **changes}


def _product(company: str, n: int = 1) -> dict:
    png = png_bytes()
    return {**copy.deepcopy(PRODUCT), "softwareName": f"严格校验平台{n}", "companyName": company,
            "fileList": [{"fileType": 3, "fileName": "封面.png", "file": base64.b64encode(png).decode(),
                          "fileSize": str(len(png)), "fileCategory": "png"}]}


def _results(response) -> list[dict]:
    assert response.status_code == 200, response.text
    return response.json()["resultList"]


# ------------------------------------------------------------------------------------------ 6. the token

def test_token_error_codes_follow_the_spec(hub):
    """Unknown or disabled account 40004, wrong secret 40001, wrong grant_type 40002, anything else 40003;
    sent with HTTP 200 and the code in the body by default."""
    assert_spec_error(hub.lower.token(username="dock-410783-999"), 200, protocol.ACCOUNT_UNAVAILABLE)
    assert_spec_error(hub.lower.token(client_secret="wrong"), 200, protocol.KEY_WRONG)
    assert_spec_error(hub.lower.token(grant_type="password"), 200, protocol.GRANT_TYPE_WRONG)
    assert_spec_error(hub.lower.token(client_id="not-mine"), 200, protocol.AUTH_FAILED)
    hub.set(enabled=False)
    assert_spec_error(hub.lower.token(), 200, protocol.ACCOUNT_UNAVAILABLE)
    # A disabled account is unavailable whatever else is wrong with the request.
    assert_spec_error(hub.lower.token(client_secret="wrong"), 200, protocol.ACCOUNT_UNAVAILABLE)


def test_token_errors_may_be_sent_with_4xx(hub):
    hub.app.config["HUB_TOKEN_ERROR_STATUS"] = "4xx"
    assert_spec_error(hub.lower.token(username="dock-410783-999"), 403, protocol.ACCOUNT_UNAVAILABLE)
    assert_spec_error(hub.lower.token(client_secret="wrong"), 401, protocol.KEY_WRONG)
    assert_spec_error(hub.lower.token(grant_type="password"), 400, protocol.GRANT_TYPE_WRONG)
    assert_spec_error(hub.lower.token(scope="read"), 401, protocol.AUTH_FAILED)


def test_a_bad_token_error_status_setting_stops_the_start(make_app):
    with pytest.raises(ValueError, match="HUB_TOKEN_ERROR_STATUS"):
        make_app(HUB_TOKEN_ERROR_STATUS="401")


# -------------------------------------------------------------------------- 7. a platform switched off

def test_a_platform_switched_off_by_its_switch_answers_503(hub):
    """set_enabled ends the platform's tokens; its pushes still get the promised 503, not 403."""
    header = hub.lower.header(hub.lower.access_token())
    hub.run(lambda s: service.set_enabled(s, s.get(DockedPlatform, hub.platform_id), actor=hub.admin,
                                          enabled=False))
    assert_spec_error(hub.lower.push("providers", [], authorization=header), 503, protocol.UNAVAILABLE)
    assert hub.calls()[-1].reason == "平台已停用"
    hub.run(lambda s: service.set_enabled(s, s.get(DockedPlatform, hub.platform_id), actor=hub.admin,
                                          enabled=True))
    # Switched on again, the ended token stays ended: a new one is needed.
    assert_spec_error(hub.lower.push("providers", [], authorization=header), 403, protocol.UNAUTHORIZED)
    assert hub.lower.push("providers", []).status_code == 200


# ------------------------------------------------------------------------------------ 8. strict input

def test_an_int_sent_as_text_is_refused_with_the_reason(hub):
    [bad, good] = _results(hub.lower.push("providers", [_provider(1, serviceType="2"), _provider(2, serviceType=2)]))
    assert bad["result"] == "fail" and "serviceType" in bad["reason"] and "整数" in bad["reason"]
    assert good["result"] == "add"
    [price] = _results(hub.lower.push("products", [_product(_provider(2)["serviceName"]) | {"priceRangeMax": "100"}]))
    assert price["result"] == "fail" and "priceRangeMax" in price["reason"]


def test_an_unknown_attribute_is_a_warning_in_the_record_entry(hub):
    [entry] = _results(hub.lower.push("providers", [_provider(3, legalPerson="张三")]))
    assert entry["result"] == "add" and "legalPerson" in entry["warning"] and "已忽略" in entry["warning"]
    [clean] = _results(hub.lower.push("providers", [_provider(4)]))
    assert "warning" not in clean


def test_a_city_code_that_is_no_gbt_2260_code_says_so(hub):
    [entry] = _results(hub.lower.push("providers", [_provider(5, cityCode="419999")]))
    assert entry["result"] == "fail" and "不是 GB/T 2260 行政区划代码" in entry["reason"] and "419999" in entry["reason"]
    assert "不属于本平台所属地区" not in entry["reason"]
    # A real code of another city is still outside this platform's region.
    [other] = _results(hub.lower.push("providers", [_provider(6, provinceCode="410000", cityCode="410100")]))
    assert other["result"] == "fail" and "不属于本平台所属地区" in other["reason"]


def test_a_product_is_accepted_only_when_its_company_is_in_the_provider_library(hub):
    [orphan] = _results(hub.lower.push("products", [_product("无此服务商有限公司")]))
    assert orphan["result"] == "fail" and "不在服务商库中" in orphan["reason"]
    company = _provider(7)["serviceName"]
    assert _results(hub.lower.push("providers", [_provider(7)]))[0]["result"] == "add"
    [accepted] = _results(hub.lower.push("products", [_product(company, 2)]))
    assert accepted["result"] == "add", accepted


# ------------------------------------------------------------------- 9. the layout of each docked platform

def test_each_platform_keeps_the_layout_its_file_was_written_with(hub, make_user):
    old = hub.lower
    assert old.cfg["auth"].output == "base64"
    hub.app.config["HUB_AUTH_OUTPUT"] = "hex"  # the installation's default changes after the file went out
    assert old.push("providers", []).status_code == 200  # the file already handed out still works
    platform = hub.platform()
    assert '"base64"' in platform.auth_layout
    # Rotation hands out a new file with the platform's own layout, not the new default.
    creds = hub.run(lambda s: service.rotate(s, s.get(DockedPlatform, hub.platform_id), actor=hub.admin))
    assert Lower(creds.config_text).cfg["auth"].output == "base64"
    # A platform approved now gets the new default, recorded with it.
    bound = make_user(roles.COUNTY_OFFICIAL, "410721")
    _, other_creds = register_and_approve(hub.app, hub.base, admin=hub.admin, approver=hub.approver, bound=bound,
                                          name="新乡县平台", domain="szzx.xinxiang-xian.gov.cn")
    other = Lower(other_creds.config_text)
    assert other.cfg["auth"].output == "hex"
    assert other.push("providers", []).status_code == 200
