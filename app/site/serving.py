"""Waitress as run.py starts it, with its own error answers in Chinese. Waitress answers some requests
without the application: one whose headers (request line included, so also a very long URL) pass
`max_request_header_size`, one whose body passes `max_request_body_size`, one it cannot parse. Its
answer is an English text/plain page; here it is the platform's Chinese page, with the same status.

The settings are sized for many idle keep-alive browsers: waitress answers on `threads` worker threads;
a separate event loop holds every open connection and hands a complete request to a free thread, so an
idle browser costs a socket, not a thread. Its defaults suit a handful of clients (100 connections,
select() with its 1024-socket ceiling). The values are the README's "Sizing a deployment"; each one is a
setting (SMEDT_THREADS, SMEDT_CONNECTION_LIMIT, …)."""
from __future__ import annotations

import resource
from collections.abc import Mapping
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


def waitress_options(config: Mapping[str, object], *, threads: int | None = None) -> dict[str, object]:
    """Keyword arguments for `waitress.serve` (besides the app, host and port)."""
    return {
        "threads": int(threads or config["THREADS"]),  # type: ignore[call-overload]
        "connection_limit": int(config["CONNECTION_LIMIT"]),  # type: ignore[call-overload]
        "channel_timeout": int(config["CHANNEL_TIMEOUT"]),  # type: ignore[call-overload]
        "backlog": int(config["BACKLOG"]),  # type: ignore[call-overload]
        "cleanup_interval": 30,
        "asyncore_use_poll": True,  # poll(): no 1024-socket ceiling as with select()
        "ident": "smedt",
    }


def raise_open_files_limit(wanted: int) -> int:
    """Raise this process's soft limit on open files towards `wanted` (never past the hard limit).

    Each connection is a file descriptor; the common soft limit of 1024 would refuse the thousandth
    browser. Returns the soft limit in force afterwards.
    """
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        return target
    return soft
