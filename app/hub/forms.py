"""The hub administrator's registration form, the approver's rejection, and the CSRF-only action forms."""
from __future__ import annotations

import ipaddress
import re

from wtforms import Field, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, ValidationError

from app.docking.protocol import PushWindow
from app.site.forms import BaseForm
from app.validators import NameText, strip_filter

_HOST = re.compile(r"^(?=.{1,253}$)([A-Za-z0-9\u4e00-\u9fff]([A-Za-z0-9\u4e00-\u9fff-]{0,61}[A-Za-z0-9\u4e00-\u9fff])?)"
                   r"(\.[A-Za-z0-9\u4e00-\u9fff]([A-Za-z0-9\u4e00-\u9fff-]{0,61}[A-Za-z0-9\u4e00-\u9fff])?)*(:\d{1,5})?$")


class PlatformForm(BaseForm):
    name = StringField("平台名称", [DataRequired("请输入平台名称。"), Length(max=64, message="不能超过 64 个字。"),
                                NameText()], filters=[strip_filter],
                       description="例如：长垣市中小企业数字化转型公共服务平台。审核队列中以此名称显示提交人。")
    domain = StringField("平台域名", [DataRequired("请输入平台域名。"),
                                  Length(max=255, message="不能超过 255 个字符。")],
                         filters=[strip_filter, lambda v: v.lower() if v else v],
                         description="如 szzx.changyuan.gov.cn。它也是“平台信息”：下级平台须将它原样 SM4 加密后放入 "
                                     "Authorization。")
    ip = StringField("来源 IP", [Length(max=255, message="不能超过 255 个字符。")], filters=[strip_filter],
                     description="可选。填写后只接受来自这些地址的推送，多个地址用空格分隔。")
    bound_user_id = SelectField("绑定账号", coerce=int, validators=[InputRequired("请选择绑定账号。")],
                                description="该平台所属地区的市级管理员或区县主管部门账号；平台的地区码即该账号的地区，"
                                            "推送数据的审核结果通知该账号。")
    push_window = StringField("推送时段", [DataRequired("请输入推送时段。")], filters=[strip_filter],
                              description="北京时间，格式 HH:MM-HH:MM；规范为 00:00-05:00。起止相同表示全天。")
    weekly_quota = IntegerField("每周推送次数", [InputRequired("请输入每周推送次数。"),
                                           NumberRange(1, 100000, "应为 1–100000 之间的整数。")],
                                description="按自然周（周一至周日，北京时间）计算；规范为 100 次/周。")
    max_kb = IntegerField("单次请求上限（KB）", [InputRequired("请输入单次请求上限。"),
                                          NumberRange(1, 102400, "应为 1–102400 之间的整数。")],
                          description="超过时返回 89502。默认 10240 KB（10 MB）。")

    def validate_domain(self, field: Field) -> None:
        if not _HOST.match(field.data or ""):
            raise ValidationError("请输入域名（可带端口），不含 http:// 和路径，例如 szzx.changyuan.gov.cn。")

    def validate_ip(self, field: Field) -> None:
        for part in (field.data or "").split():
            try:
                ipaddress.ip_address(part)
            except ValueError:
                raise ValidationError(f"“{part[:40]}”不是有效的 IP 地址。") from None

    def validate_push_window(self, field: Field) -> None:
        try:
            PushWindow.parse(field.data)
        except ValueError as exc:
            raise ValidationError(str(exc)) from None


class RejectForm(BaseForm):
    reason = TextAreaField("驳回原因", [DataRequired("驳回时必须填写原因，登记人会看到它。"),
                                    Length(max=500, message="不能超过 500 字。")], filters=[strip_filter])


class ActionForm(BaseForm):
    """Only the CSRF token: the action is the URL posted to."""
