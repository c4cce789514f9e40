"""Chinese error pages; htmx requests get a short fragment or an instruction to reload."""
from __future__ import annotations

from flask import Flask, render_template
from flask_wtf.csrf import CSRFError

from app.site.htmx import wants_fragment

MESSAGES = {
    400: ("请求无效", "提交的内容无法处理，请返回重试。"),
    401: ("请先登录", "登录后才能访问该页面。"),
    403: ("无权访问", "您的账号没有访问该页面的权限。如需开通，请联系管理员。"),
    404: ("页面不存在", "您要找的页面不存在，或不在您的管辖范围内。"),
    405: ("请求方式不被允许", "该页面不接受这种请求方式。"),
    413: ("上传内容过大", "提交的内容超过了允许的大小。"),
    500: ("服务器内部错误", "服务器处理请求时出错，已记录日志。请稍后重试或联系系统管理员。"),
}


def _page(code: int):
    title, message = MESSAGES[code]
    template = "site/_error.html" if wants_fragment() else "site/error.html"
    return render_template(template, code=code, title=title, message=message), code


def _csrf_failed(_error: CSRFError):
    if wants_fragment():
        # A stale page (for example after the session expired): reload it rather than show a blank error.
        return "", 400, {"HX-Refresh": "true"}
    return (
        render_template("site/error.html", code=400, title="页面已过期",
                        message="页面已过期或表单令牌无效，请刷新页面后重新提交。"),
        400,
    )


def init_app(app: Flask) -> None:
    app.register_error_handler(CSRFError, _csrf_failed)
    for code in MESSAGES:
        app.register_error_handler(code, lambda _e, code=code: _page(code))
