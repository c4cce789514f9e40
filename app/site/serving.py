"""Waitress as run.py starts it, with its own error answers in Chinese. Waitress answers some requests
without the application: one whose headers (request line included, so also a very long URL) pass
`max_request_header_size`, one whose body passes `max_request_body_size`, one it cannot parse. Its
answer is an English text/plain page; here it is the platform's Chinese page, with the same status."""
from __future__ import annotations

from html import escape

from waitress.channel import HTTPChannel
from waitress.server import create_server
from waitress.task import ErrorTask

from app.site.errors import message_for

PAGE = """<!doctype html>
<html lang="zh-CN">
<head><meta charset="utf-8"><title>{code} {title}</title></head>
<body>
<section class="error-box" role="alert">
  <h1>{code} {title}</h1>
  <p>{message}</p>
  <p><a href="/">返回首页</a></p>
</section>
</body>
</html>
"""


def error_page(code: int) -> bytes:
    title, message = message_for(code)
    return PAGE.format(code=code, title=escape(title), message=escape(message)).encode("utf-8")


class ChineseErrorTask(ErrorTask):
    def execute(self):
        error = self.request.error
        body = error_page(error.code)
        self.status = f"{error.code} {error.reason}"
        self.response_headers.extend([
            ("Content-Type", "text/html; charset=utf-8"),
            ("Content-Security-Policy", "default-src 'none'; base-uri 'none'; form-action 'none'"),
            ("X-Content-Type-Options", "nosniff"),
        ])
        self.set_close_on_finish()
        self.content_length = len(body)
        self.write(body)


class ChineseChannel(HTTPChannel):
    error_task_class = ChineseErrorTask


def make_server(app, **settings):
    """`waitress.create_server(app, **settings)` whose connections answer errors in Chinese."""
    server = create_server(app, **settings)
    # One listening socket, or several (MultiSocketServer keeps them in its map): each makes the channels.
    for dispatcher in [server, *getattr(server, "map", {}).values()]:
        if getattr(dispatcher, "channel_class", None) is HTTPChannel:
            dispatcher.channel_class = ChineseChannel
    return server
