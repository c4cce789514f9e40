"""Forms of the provincial sign-in: the settings page, the first sign-in and the administrators' activation."""
from __future__ import annotations

from wtforms import BooleanField, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, Regexp

from app.accounts import roles
from app.accounts.forms import USERNAME
from app.dicts.fields import RegionField
from app.dicts.validators import CreditCode
from app.site.forms import BaseForm
from app.validators import NameText, Phone, strip_filter

URL_RULES = [Optional(), Length(max=500, message="网址不能超过 500 个字符。"),
             Regexp(r"^https?://[^\s/?#]+[^\s#]*$", message="请输入以 http:// 或 https:// 开头的完整网址。")]
CLAIM_RULES = [Optional(), Length(max=64, message="不能超过 64 个字符。"),
               Regexp(r"^[A-Za-z0-9_.:\-]+$", message="声明名只能包含英文字母、数字和 _ . : -。")]
# What an applicant may ask to be; the administrator gives the final role.
APPLY_ROLES = (roles.ENTERPRISE, roles.PROVIDER, roles.COUNTY_OFFICIAL)


class ApplicantRegionField(RegionField):
    """The region picker for someone who is not logged in yet: it refills through this area's own
    endpoint, which serves only a visitor in the middle of a first provincial sign-in."""

    endpoint = "oauth_client.region_picker"


def _upper(value):
    return value.upper() if value else value


class SettingsForm(BaseForm):
    enabled = BooleanField("在登录页提供统一身份认证登录")
    name = StringField("平台名称", [Optional(), Length(max=100, message="不能超过 100 个字。"), NameText()],
                       filters=[strip_filter], description="显示在登录按钮旁，例如“河南省统一身份认证平台”。")
    metadata_url = StringField("发现地址（OpenID Connect）", URL_RULES, filters=[strip_filter],
                               description="省平台支持 OpenID Connect 时填写其签发方地址或 "
                                           ".well-known/openid-configuration 地址，其余端点自动获取。")
    client_id = StringField("客户端标识（client_id）", [Optional(), Length(max=200, message="不能超过 200 个字符。")],
                            filters=[strip_filter])
    client_secret = PasswordField("客户端密钥（client_secret）",
                                  [Optional(), Length(max=500, message="不能超过 500 个字符。")],
                                  description="留空则保留已保存的密钥。密钥加密保存，不会再次显示。")
    authorize_url = StringField("授权端点", URL_RULES, filters=[strip_filter],
                                description="不支持发现时必填，例如 https://sso.example.gov.cn/oauth2/authorize。")
    token_url = StringField("令牌端点", URL_RULES, filters=[strip_filter], description="不支持发现时必填。")
    userinfo_url = StringField("用户信息端点", URL_RULES, filters=[strip_filter])
    jwks_uri = StringField("公钥地址（jwks_uri）", URL_RULES, filters=[strip_filter],
                           description="省平台签发 ID 令牌时用于验证签名。")
    end_session_url = StringField("退出登录端点", URL_RULES, filters=[strip_filter])
    scope = StringField("申请的权限范围（scope）", [Optional(), Length(max=200, message="不能超过 200 个字符。"),
                                             Regexp(r"^[\w:.\- ]+$", message="多个范围用空格分隔。")],
                        filters=[strip_filter])
    claim_subject = StringField("用户标识对应的声明", CLAIM_RULES, filters=[strip_filter])
    claim_name = StringField("姓名对应的声明", CLAIM_RULES, filters=[strip_filter])
    claim_phone = StringField("手机号对应的声明", CLAIM_RULES, filters=[strip_filter])
    claim_credit_code = StringField("统一社会信用代码对应的声明", CLAIM_RULES, filters=[strip_filter])

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if not self.metadata_url.data and bool(self.authorize_url.data) != bool(self.token_url.data):
            self.token_url.errors = [*self.token_url.errors, "未填写发现地址时，授权端点和令牌端点须同时填写。"]
            return False
        return valid


class BindForm(BaseForm):
    """First sign-in: prove an existing local account with its password."""

    username = StringField("本平台用户名", [DataRequired("请输入用户名。"), Length(max=64, message="用户名过长。")],
                           filters=[strip_filter])
    password = PasswordField("本平台密码", [DataRequired("请输入密码。"), Length(max=128, message="密码过长。")])


class ApplyForm(BaseForm):
    """First sign-in without a local account: ask an administrator for one."""

    display_name = StringField("姓名或单位名称", [DataRequired("请输入姓名或单位名称。"),
                                             Length(max=100, message="不能超过 100 个字。"), NameText()],
                               filters=[strip_filter])
    requested_role = SelectField("申请身份", choices=[SelectChoice(r, roles.LABELS[r]) for r in APPLY_ROLES],
                                 validators=[DataRequired("请选择申请身份。")])
    region = ApplicantRegionField("所属区域", depth=3, min_level=1)
    credit_code = StringField("统一社会信用代码", [Optional(), CreditCode()], filters=[strip_filter, _upper],
                              description="企业用户和服务商用户填写本单位的代码。")
    phone = StringField("联系电话", [Optional(), Phone()], filters=[strip_filter])


class ActivateForm(BaseForm):
    """An administrator opens the applicant's account with a role and region."""

    username = StringField("用户名", USERNAME, filters=[strip_filter])
    display_name = StringField("姓名或单位名称", [DataRequired("请输入姓名或单位名称。"),
                                             Length(max=100, message="不能超过 100 个字。"), NameText()],
                               filters=[strip_filter])
    # The service decides which roles this administrator may give, with a Chinese reason.
    role = SelectField("角色", [DataRequired("请选择角色。")], validate_choice=False)
    region = RegionField("所属区域", depth=3, min_level=1)
    credit_code = StringField("统一社会信用代码", [Optional(), CreditCode()], filters=[strip_filter, _upper],
                              description="企业用户和服务商用户必填。")
    phone = StringField("联系电话", [Optional(), Phone()], filters=[strip_filter])

    def set_role_choices(self, actor_role: str) -> None:
        allowed = roles.MANAGEABLE.get(actor_role, frozenset())
        self.role.choices = [SelectChoice(r, roles.LABELS[r]) for r in roles.ALL if r in allowed]


class BindExistingForm(BaseForm):
    """An administrator binds the applicant to an account that already exists."""

    existing_username = StringField("已有账号的用户名", [DataRequired("请输入用户名。"),
                                                  Length(max=64, message="用户名过长。")], filters=[strip_filter])
