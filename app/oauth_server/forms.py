"""Registering a third-party application, and the consent decision."""
from __future__ import annotations

from urllib.parse import urlsplit

from authlib.oauth2.base import invalid_error_characters
from wtforms import RadioField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from app.oauth_server.service import SCOPES
from app.site.forms import BaseForm
from app.validators import NameText, strip_filter

MAX_REDIRECT_URIS = 10


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class AppForm(BaseForm):
    name = StringField("应用名称", [DataRequired("请输入应用名称。"), Length(max=100, message="不能超过 100 个字。"),
                                NameText()], filters=[strip_filter], description="用户在授权页上看到的名称。")
    redirect_uris = TextAreaField(
        "回调地址", [DataRequired("请输入至少一个回调地址。")],
        description="每行一个，须与应用发起授权时的 redirect_uri 完全一致；以 http:// 或 https:// 开头，不含 #。")
    scopes = CheckboxesField("允许申请的权限", choices=[SelectChoice(k, f"{k}：{v}") for k, v in SCOPES.items()],
                             validators=[DataRequired("请至少选择一项权限。")])
    client_type = RadioField("客户端类型", default="confidential", choices=[
        SelectChoice("confidential", "机密客户端：有自己的服务器，能保管客户端密钥"),
        SelectChoice("public", "公开客户端：浏览器或移动应用，无法保管密钥，必须使用 PKCE"),
    ], validators=[DataRequired("请选择客户端类型。")])

    @property
    def redirect_uri_list(self) -> list[str]:
        return [line.strip() for line in (self.redirect_uris.data or "").splitlines() if line.strip()]

    def validate_redirect_uris(self, field):
        uris = self.redirect_uri_list
        if len(uris) > MAX_REDIRECT_URIS:
            raise ValidationError(f"回调地址最多 {MAX_REDIRECT_URIS} 个。")
        for uri in uris:
            parts = urlsplit(uri)
            if parts.scheme not in {"http", "https"} or not parts.netloc or parts.fragment or "#" in uri \
                    or len(uri) > 500 or any(c.isspace() for c in uri):
                raise ValidationError(f"回调地址“{uri[:100]}”无效：须为以 http:// 或 https:// 开头的完整网址，不含 #。")
            if invalid_error_characters(uri):
                # An OAuth2 parameter is ASCII; the authorization endpoint refuses anything else.
                raise ValidationError(f"回调地址“{uri[:100]}”含有不允许的字符：中文域名请写成 xn-- 形式，"
                                      "路径中的中文等字符请使用百分号编码，且不能含双引号或反斜杠。")


class ConsentForm(BaseForm):
    """Only the CSRF token: the decision is the button pressed."""
