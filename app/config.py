"""Settings: defaults here, then `instance/config.toml`, then `SMEDT_*` environment variables.

Every setting is documented in the README's table; keep the two in step.
"""
from __future__ import annotations

import os
import secrets
import tomllib
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent

DEFAULTS: dict[str, object] = {
    "PLATFORM_NAME": "中小企业数字化转型公共服务平台",
    "DATABASE_URL": "",  # empty: sqlite:///<instance>/smedt.db
    "HOST": "127.0.0.1",
    "PORT": 8000,
    "THREADS": 8,
    # waitress, sized for 1 000 idle keep-alive browsers (app/site/serving.py, README "Sizing a deployment").
    "CONNECTION_LIMIT": 2000,  # open connections at once; each costs a socket, not a thread
    "CHANNEL_TIMEOUT": 300,  # seconds an idle keep-alive connection is kept
    "BACKLOG": 2048,  # connections the kernel queues while waitress is busy accepting
    "TIMEZONE": "Asia/Shanghai",
    "SESSION_IDLE_MINUTES": 30,
    "LOGIN_MAX_FAILURES": 5,
    "LOCKOUT_MINUTES": 30,
    "PASSWORD_MIN_LENGTH": 8,
    "SESSION_COOKIE_SECURE": False,  # set true once the site is served over HTTPS
    "SQLITE_BUSY_TIMEOUT_MS": 5000,
    "PAGE_SIZE": 20,
    # How 2.6's two `transResult`s travel (app/archives/wire.py, README): both | code | object. `both` is the
    # only layout that uses nothing but table 2.6's attribute names.
    "ARCHIVE_TRANS_RESULT": "both",
    # Who approves each library's submissions (app/review, README): county+city, city or county. A library
    # not named keeps its declared default (Library.review_levels).
    "REVIEW_LEVELS": "",
    "MAX_CONTENT_LENGTH": 110 * 1024 * 1024,  # the largest spec file (100 MB) plus form overhead
    # The platform's address as users and other systems reach it (OAuth callback and issuer); empty: as requested.
    "PUBLIC_URL": "",
    # Provincial unified identity platform (统一身份认证). The settings page overrides any value set here.
    "IDP_NAME": "省统一身份认证平台",
    "IDP_METADATA_URL": "",  # OpenID Connect discovery; or give the endpoints below by hand
    "IDP_CLIENT_ID": "",
    "IDP_CLIENT_SECRET": "",
    "IDP_AUTHORIZE_URL": "",
    "IDP_TOKEN_URL": "",
    "IDP_USERINFO_URL": "",
    "IDP_JWKS_URI": "",
    "IDP_END_SESSION_URL": "",
    "IDP_SCOPE": "openid profile phone",
    "IDP_CLAIM_SUBJECT": "sub",
    "IDP_CLAIM_NAME": "name",
    "IDP_CLAIM_PHONE": "phone_number",
    "IDP_CLAIM_CREDIT_CODE": "credit_code",
    # Pushing to the upper (national) platform (app/docking, README 推送到上级平台). The settings page
    # overrides the connection, layout, window, quota and size; the worker's timing comes only from here.
    "DOCKING_BASE_URL": "https://zjtx.miit.gov.cn/szhzx/app-gate-api",
    "DOCKING_USERNAME": "",
    "DOCKING_CLIENT_ID": "",
    "DOCKING_CLIENT_SECRET": "",
    "DOCKING_GRANT_TYPE": "client_credentials",
    "DOCKING_SCOPE": "all",
    "DOCKING_SM4_KEY": "",  # 32 hex digits or 16 characters, as the upper platform issues it
    "DOCKING_PLATFORM_INFO": "",
    "DOCKING_REGION_CODE": "",
    "DOCKING_AUTH_MODE": "ecb",  # the Authorization layout (app/docking/authheader.py AuthLayout)
    "DOCKING_AUTH_PADDING": "pkcs7",
    "DOCKING_AUTH_ENCODING": "utf-8",
    "DOCKING_AUTH_OUTPUT": "base64",
    "DOCKING_AUTH_TEMPLATE": "{platform}.{region}.{token}",
    "DOCKING_AUTH_IV": "",
    "DOCKING_WINDOW": "00:00-05:00",  # Asia/Shanghai; equal start and end: all day
    "DOCKING_WEEKLY_QUOTA": 100,  # upload calls per ISO week
    "DOCKING_MAX_REQUEST_BYTES": 10 * 1024 * 1024,
    "DOCKING_WORKER": "auto",  # auto: in the served platform (run.py), not in tests or CLI commands; true / false
    "DOCKING_POLL_SECONDS": 30,
    "DOCKING_TIMEOUT_SECONDS": 60,
    "DOCKING_MAX_ATTEMPTS": 8,  # transient failures before an item goes to the dead-letter list
    "DOCKING_LEASE_SECONDS": 300,  # a claimed batch's lease; never shorter than twice the timeout
    "DOCKING_BATCH_MAX_RECORDS": 1000,  # records per upload call at most (the byte limit usually binds first)
    # Receiving pushes from lower platforms (app/hub, README 接收下级平台推送). What the token endpoint
    # accepts and issues, how the Authorization header is laid out (app.docking.authheader.AuthLayout: the
    # same layout is written into each platform's configuration file), and the limits a newly registered
    # platform starts with (each platform's own values are edited on its page).
    "HUB_GRANT_TYPE": "client_credentials",  # refresh_token is accepted as well
    "HUB_SCOPE": "all",
    "HUB_TOKEN_SECONDS": 7200,
    # HTTP status of a token error (40001–40004): "200" (the code in the body, as the spec's examples imply)
    # or "4xx" (400 / 401 / 403 beside the same body).
    "HUB_TOKEN_ERROR_STATUS": "200",
    "HUB_AUTH_MODE": "ecb",
    "HUB_AUTH_PADDING": "pkcs7",
    "HUB_AUTH_ENCODING": "utf-8",
    "HUB_AUTH_OUTPUT": "base64",
    "HUB_AUTH_TEMPLATE": "{platform}.{region}.{token}",
    "HUB_AUTH_IV": "",
    "HUB_WINDOW": "00:00-05:00",
    "HUB_WEEKLY_QUOTA": 100,
    "HUB_MAX_REQUEST_BYTES": 10 * 1024 * 1024,
}


def instance_path() -> Path:
    return Path(os.environ.get("SMEDT_INSTANCE_PATH") or PROJECT_ROOT / "instance").resolve()


def _coerce(raw: str, like: object) -> object:
    if isinstance(like, bool):
        if raw.strip().lower() in {"1", "true", "yes", "on"}:
            return True
        if raw.strip().lower() in {"0", "false", "no", "off", ""}:
            return False
        raise ValueError(f"布尔型设置只能是 true/false，收到 {raw!r}")
    if isinstance(like, int):
        return int(raw)
    return raw


def load_settings(instance: Path, overrides: dict | None = None) -> dict[str, object]:
    """Merge defaults, the instance TOML file and SMEDT_* variables (in that order of strength)."""
    settings = dict(DEFAULTS)
    toml_file = instance / "config.toml"
    if toml_file.exists():
        with toml_file.open("rb") as fh:
            settings.update({k.upper(): v for k, v in tomllib.load(fh).items()})
    for key, value in os.environ.items():
        if key.startswith("SMEDT_") and key != "SMEDT_INSTANCE_PATH":
            name = key[len("SMEDT_"):]
            settings[name] = _coerce(value, DEFAULTS.get(name, ""))
    if overrides:
        settings.update(overrides)
    if not settings["DATABASE_URL"]:
        settings["DATABASE_URL"] = f"sqlite:///{instance / 'smedt.db'}"
    if not settings.get("SECRET_KEY"):
        settings["SECRET_KEY"] = _instance_secret(instance)
    return settings


def _instance_secret(instance: Path) -> str:
    """A per-installation key kept beside the database, created on first use (never in the repo)."""
    key_file = instance / "secret_key"
    if not key_file.exists():
        instance.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process created it first
            return key_file.read_text().strip()
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
    return key_file.read_text().strip()
