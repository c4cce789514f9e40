"""Chinese error pages for every status Flask or the app answers; htmx requests get a short fragment or an
instruction to reload. Waitress's own answers (a request it cannot parse, headers beyond its limit) are
in Chinese too: see app.site.serving."""
from __future__ import annotations

from flask import Flask, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, RequestURITooLarge

from app.site.htmx import wants_fragment

MESSAGES = {
    400: ("请求无效", "提交的内容无法处理，请返回重试。"),
    401: ("请先登录", "登录后才能访问该页面。"),
    403: ("无权访问", "您的账号没有访问该页面的权限。如需开通，请联系管理员。"),
    404: ("页面不存在", "您要找的页面不存在，或不在您的管辖范围内。"),
    405: ("请求方式不被允许", "该页面不接受这种请求方式。"),
    406: ("无法提供该格式", "该页面无法以请求的格式提供。"),
    408: ("请求超时", "服务器等待请求的时间过长，请重试。"),
    409: ("操作冲突", "该记录已被其他人修改，请刷新页面后重试。"),
    410: ("页面已不存在", "该页面已被删除。"),
    411: ("请求无效", "请求缺少内容长度。"),
    412: ("请求条件不满足", "请求的前提条件不成立，请刷新页面后重试。"),
    413: ("上传内容过大", "提交的内容超过了允许的大小。"),
    414: ("网址过长", "请求的网址（含查询条件）过长，服务器无法处理。请减少筛选条件后重试。"),
    415: ("内容格式不支持", "提交的内容格式不被接受。"),
    416: ("请求范围无效", "请求的内容范围无效。"),
    417: ("请求无效", "服务器无法满足请求的预期。"),
    422: ("内容无法处理", "提交的内容格式正确，但无法处理，请核对后重试。"),
    428: ("请求条件缺失", "该操作需要附带前提条件，请刷新页面后重试。"),
    429: ("请求过于频繁", "您的请求次数过多，请稍后再试。"),
    431: ("请求头过大", "请求头（如网址或 Cookie）过大，服务器无法处理。请清除本站 Cookie 或缩短网址后重试。"),
    451: ("无法提供", "因法律原因，该内容无法提供。"),
    500: ("服务器内部错误", "服务器处理请求时出错，已记录日志。请稍后重试或联系系统管理员。"),
    501: ("功能未实现", "服务器不支持该请求。"),
    502: ("网关错误", "上游服务器返回了无效的响应，请稍后重试。"),
    503: ("服务暂不可用", "服务器暂时无法处理请求，请稍后重试。"),
    504: ("网关超时", "上游服务器响应超时，请稍后重试。"),
    505: ("协议版本不支持", "服务器不支持该 HTTP 版本。"),
}
# The longest URL (path and query) the platform reads. Its own links stay far below; a longer one is
# answered 414 in Chinese here rather than by the server, whose limit (256 KB of headers) is much higher.
MAX_URL_BYTES = 8192


def message_for(code: int) -> tuple[str, str]:
    if code in MESSAGES:
        return MESSAGES[code]
    return MESSAGES[500] if code >= 500 else MESSAGES[400]


def _page(error: HTTPException):
    code = error.code or 500
    title, message = message_for(code)
    template = "site/_error.html" if wants_fragment() else "site/error.html"
    # Keep what the exception says about the answer (Allow on 405, Retry-After on 429 and 503).
    headers = [(k, v) for k, v in error.get_headers() if k.lower() != "content-type"]
    return render_template(template, code=code, title=title, message=message), code, headers


def _csrf_failed(_error: CSRFError):
    if wants_fragment():
        # A stale page (for example after the session expired): reload it rather than show a blank error.
        return "", 400, {"HX-Refresh": "true"}
    return (
        render_template("site/error.html", code=400, title="页面已过期",
                        message="页面已过期或表单令牌无效，请刷新页面后重新提交。"),
        400,
    )


def _internal_error(_error):
    title, message = MESSAGES[500]
    template = "site/_error.html" if wants_fragment() else "site/error.html"
    return render_template(template, code=500, title=title, message=message), 500


def _url_too_long():
    raw = request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI") or request.full_path
    if len(raw.encode("utf-8", "surrogateescape")) > MAX_URL_BYTES:
        raise RequestURITooLarge()


def init_app(app: Flask) -> None:
    app.before_request(_url_too_long)
    app.register_error_handler(CSRFError, _csrf_failed)
    app.register_error_handler(HTTPException, _page)
    app.register_error_handler(500, _internal_error)
