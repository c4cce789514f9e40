"""How run.py serves the platform with waitress: the settings sized for many idle keep-alive browsers.

waitress answers on `threads` worker threads; a separate event loop holds every open connection and
hands a complete request to a free thread. An idle keep-alive browser therefore costs a socket and a
few kilobytes, not a thread. Its defaults suit a handful of clients: at most 100 open connections
(`connection_limit`; beyond it waitress stops accepting and the rest wait in the kernel's backlog until
they time out) and select(), which cannot watch more than 1024 sockets. The values below are the
README's "Sizing a deployment"; each one is a setting (SMEDT_THREADS, SMEDT_CONNECTION_LIMIT, …).
"""
from __future__ import annotations

import resource
from collections.abc import Mapping


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
