"""Forms of the push client: the docking settings, the configuration-file import."""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask_wtf.file import FileField, FileRequired
from wtforms import IntegerField, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, NumberRange, Optional, Regexp

from app.docking import sm4
from app.docking.authheader import AuthLayout
from app.docking.protocol import PushWindow
from app.site.forms import BaseForm
from app.validators import strip_filter

URL_RULES = [Optional(), Length(max=500, message="网址不能超过 500 个字符。"),
             Regexp(r"^https?://[^\s/?#]+[^\s#]*$", message="请输入以 http:// 或 https:// 开头的完整网址。")]


def _text(label: str, max_length: int, description: str = "", rules: Iterable[Any] = ()) -> StringField:
    return StringField(label, [Optional(), Length(max=max_length, message=f"不能超过 {max_length} 个字符。"), *rules],
                       filters=[strip_filter], description=description)


def _choice(label: str, values: Iterable[str], names: dict[str, str]) -> SelectField:
    return SelectField(label, choices=[SelectChoice("", "（使用默认值）")] + [SelectChoice(v, names.get(v, v))
                                                                          for v in values],
                       validators=[Optional()])


class SettingsForm(BaseForm):
    base_url = StringField("上级平台地址", URL_RULES, filters=[strip_filter],
                           description="规范中的路径（/cloud-auth/oauth2/token、/cloud-supply-demand/…/apiUpload）"
                                       "接在此地址之后。")
    username = _text("登录名（username）", 200, "上级平台审批通过的市级角色账号。")
    client_id = _text("客户端 id（client_id）", 200)
    client_secret = PasswordField("客户端密钥（client_secret）",
                                  [Optional(), Length(max=500, message="不能超过 500 个字符。")],
                                  description="留空则保留已保存的密钥。密钥加密保存，不会再次显示。")
    grant_type = _text("认证类型（grant_type）", 64, "默认 client_credentials。")
    scope = _text("scope", 200, "默认 all。")
    sm4_key = PasswordField("SM4 密钥", [Optional(), Length(max=64, message="不能超过 64 个字符。")],
                            description="上级平台下发的密钥：32 位十六进制字符或 16 个字符。留空则保留已保存的密钥。")
    platform_info = _text("平台信息", 500, "加密后放入 Authorization 的平台信息字符串，须与上级平台登记的一致。")
    region_code = _text("地区行政代码", 12, "本平台所属地区的行政区划代码，例如 410700。",
                        [Regexp(r"^\d{6}$", message="地区行政代码应为 6 位数字。")])
    auth_mode = _choice("SM4 模式", ("ecb", "cbc"), {"ecb": "ECB", "cbc": "CBC"})
    auth_padding = _choice("填充方式", ("pkcs7", "zero"), {"pkcs7": "PKCS#7", "zero": "补零（ZERO）"})
    auth_encoding = _choice("文本编码", ("utf-8", "gbk"), {"utf-8": "UTF-8", "gbk": "GBK"})
    auth_output = _choice("密文格式", ("base64", "hex"), {"base64": "Base64", "hex": "十六进制"})
    auth_template = _text("拼接格式", 200, "三部分密文在 Authorization 中的排列，须各含一次 {platform}、{region}、"
                                          "{token}，例如 {platform}.{region}.{token}。")
    auth_iv = _text("初始向量（IV）", 32, "仅 CBC 模式使用：32 位十六进制字符。")
    push_window = _text("推送时段", 20, "北京时间，例如 00:00-05:00；开始与结束相同表示全天。")
    weekly_quota = IntegerField("每周推送次数上限", [Optional(), NumberRange(min=1, max=100000,
                                                                   message="请输入 1 到 100000 之间的整数。")],
                                description="按自然周（周一至周日，北京时间）计算调用上级平台接口的次数。")
    max_request_bytes = IntegerField("单次请求最大字节数", [Optional(), NumberRange(
        min=1024, max=1024 * 1024 * 1024, message="请输入 1024 到 1073741824 之间的整数。")],
        description="默认 10485760（10 MB）。超过时自动拆分为多批发送。")

    def __init__(self, *args: Any, defaults: dict | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.defaults = defaults or {}

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        if self.sm4_key.data:
            try:
                sm4.parse_key(self.sm4_key.data)
            except sm4.SM4Error as exc:
                self.sm4_key.errors = [*self.sm4_key.errors, str(exc)]
                valid = False
        if self.push_window.data:
            try:
                self.push_window.data = str(PushWindow.parse(self.push_window.data))
            except ValueError as exc:
                self.push_window.errors = [*self.push_window.errors, str(exc)]
                valid = False
        if not self.auth_template.errors and not self.auth_iv.errors:
            values = {key: getattr(self, f"auth_{key}").data or self.defaults.get(f"auth_{key}", "")
                      for key in ("mode", "padding", "encoding", "output", "template", "iv")}
            try:
                AuthLayout(**values)  # checks itself (authheader.check)
            except ValueError as exc:
                target = self.auth_iv if "IV" in str(exc) else self.auth_template
                target.errors = [*target.errors, str(exc)]
                valid = False
        return valid


class ImportForm(BaseForm):
    config_file = FileField("配置文件", [FileRequired("请选择上级平台导出的对接配置文件（.json）。")],
                            description="上级平台审批对接后导出的 JSON 文件。"
                                        "导入后填好下面的每一项，并覆盖已保存的密钥。")
