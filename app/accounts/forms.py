"""Account forms. Field formats are checked here; rules between fields live in the service."""
from __future__ import annotations

from wtforms import PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo, Length, Optional, Regexp

from app.accounts import roles
from app.dicts.fields import RegionField
from app.dicts.validators import CreditCode
from app.site.forms import BaseForm
from app.validators import NameText, strip_filter

USERNAME = [
    DataRequired("请输入用户名。"),
    Length(3, 64, "用户名长度为 3–64 个字符。"),
    Regexp(r"^[A-Za-z0-9_.\-]+$", message="用户名只能包含英文字母、数字、下划线、点和短横线。"),
]


class LoginForm(BaseForm):
    username = StringField("用户名", [DataRequired("请输入用户名。"), Length(max=64, message="用户名过长。")],
                           filters=[strip_filter])
    password = PasswordField("密码", [DataRequired("请输入密码。"), Length(max=128, message="密码过长。")])


class NewPasswordMixin:
    new_password = PasswordField("新密码", [DataRequired("请输入新密码。")],
                                 description="至少 8 位，包含大写字母、小写字母、数字、符号中的至少三类。")
    confirm = PasswordField("确认新密码", [DataRequired("请再次输入新密码。"),
                                      EqualTo("new_password", "两次输入的密码不一致。")])


class ChangePasswordForm(NewPasswordMixin, BaseForm):
    current_password = PasswordField("当前密码", [DataRequired("请输入当前密码。")])


class SetupForm(NewPasswordMixin, BaseForm):
    setup_code = StringField("初始化口令", [DataRequired("请输入服务器控制台上显示的初始化口令。")],
                             filters=[strip_filter], description="启动平台时打印在服务器控制台上的一次性口令。")
    username = StringField("管理员用户名", USERNAME, filters=[strip_filter])
    display_name = StringField("姓名", [DataRequired("请输入姓名。"), Length(max=50, message="姓名不能超过 50 个字。"),
                                      NameText()], filters=[strip_filter])
    region = RegionField("管辖区域", depth=3, min_level=1)


class UserForm(BaseForm):
    username = StringField("用户名", USERNAME, filters=[strip_filter])
    display_name = StringField("姓名或单位名称", [DataRequired("请输入姓名或单位名称。"),
                                             Length(max=100, message="不能超过 100 个字。"), NameText()],
                               filters=[strip_filter])
    role = SelectField("角色", validate_choice=True)
    region = RegionField("所属区域", depth=3, min_level=1)
    credit_code = StringField(
        "统一社会信用代码", [Optional(), CreditCode()], filters=[strip_filter, lambda v: v.upper() if v else v],
        description="企业用户和服务商用户必填，绑定后只能查看和填报本单位的数据。",
    )
    phone = StringField(
        "联系电话", [Optional(), Regexp(r"^[0-9+\- ]{5,30}$", message="联系电话只能包含数字、+、- 和空格。")],
        filters=[strip_filter],
    )

    def set_role_choices(self, actor_role: str) -> None:
        allowed = roles.MANAGEABLE.get(actor_role, frozenset())
        self.role.choices = [SelectChoice(r, roles.LABELS[r]) for r in roles.ALL if r in allowed]
        self.role.validators = [DataRequired("请选择角色。")]


class UserFilterForm(BaseForm):
    """The user list's search bar (GET, no CSRF)."""

    class Meta:
        csrf = False

    q = StringField("关键词", filters=[strip_filter])
    role = SelectField("角色", choices=[SelectChoice("", "全部角色")]
                       + [SelectChoice(r, roles.LABELS[r]) for r in roles.ALL])
    status = SelectField("状态", choices=[
        SelectChoice(v, label)
        for v, label in [("", "全部状态"), ("active", "正常"), ("locked", "已锁定"), ("disabled", "已停用")]
    ])
