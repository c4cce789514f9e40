"""The national docking spec's wire protocol (spec 1.1, 1.2, 2.1–2.6), in one place for both sides:
the push client (app.docking) and the receiving upper platform (app.hub).

The token path, result and error bodies, the codes and their messages (each library declares its own
upload path and record identity), the push window, the weekly quota, and the configuration file.
"""
from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from datetime import time as dtime
from zoneinfo import ZoneInfo

from app.docking.authheader import AuthLayout
from app.libraries.registry import LIBRARIES

# ---------------------------------------------------------------------------------------------- paths

DEFAULT_BASE_URL = "https://zjtx.miit.gov.cn/szhzx/app-gate-api"
GATE_PREFIX = "/szhzx/app-gate-api"  # where an upper platform serves the spec's paths (app.hub)
TOKEN_PATH = "/cloud-auth/oauth2/token"


def update_key(library: str) -> str:
    """The answer's update count name: `updateTotal`, or `updataTotal` where the spec spells it so."""
    return LIBRARIES[library].update_key


def total(body: dict, name: str) -> int | None:
    """A count of an answer (Int in the spec; some platforms send it as a string), None if it is not one."""
    value = body.get(name)
    if value is None or isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def updated_total(library: str, body: dict) -> int | None:
    """The update count under the endpoint's spelling, else under the other one (a platform may use either)."""
    own = update_key(library)
    found = total(body, own)
    return found if found is not None else total(body, "updataTotal" if own == "updateTotal" else "updateTotal")


def upload_url(base_url: str, library: str) -> str:
    return base_url.rstrip("/") + LIBRARIES[library].wire_path


def token_url(base_url: str) -> str:
    return base_url.rstrip("/") + TOKEN_PATH


# ---------------------------------------------------------------------------------------------- codes

OK = "200"  # the spec names no success code; the receiving side answers "200", the client also takes 0
# 2.1 token errors
KEY_WRONG, GRANT_TYPE_WRONG, AUTH_FAILED, ACCOUNT_UNAVAILABLE = "40001", "40002", "40003", "40004"
# 2.2–2.6 upload errors
QUOTA_USED, TOO_MUCH_DATA, OUTSIDE_WINDOW, UNAVAILABLE, UNAUTHORIZED = "89501", "89502", "89503", "503", "403"

# The spec's own messages, as the receiving side sends them.
SPEC_MESSAGES = {
    KEY_WRONG: "当前密钥错误",
    GRANT_TYPE_WRONG: "grant_type 类型错误",
    AUTH_FAILED: "授权验证失败",
    ACCOUNT_UNAVAILABLE: "当前账号不可用",
    QUOTA_USED: "今日调用次数已使用完,详情请联系管理员",
    TOO_MUCH_DATA: "同步数据量超出,详情请联系管理员",
    OUTSIDE_WINDOW: "当前时间段不能进行同步数据",
    UNAVAILABLE: "接口不可用",
    UNAUTHORIZED: "接口未授权",
}
# What each code means for the administrator of the pushing platform (测试连接, push history).
EXPLANATIONS = {
    KEY_WRONG: "客户端密钥（client_secret）错误，请核对上级平台下发的密钥。",
    GRANT_TYPE_WRONG: "认证类型（grant_type）不被上级平台接受，请核对配置。",
    AUTH_FAILED: "授权验证失败：登录名、客户端 id 或平台信息与上级平台登记的不一致。",
    ACCOUNT_UNAVAILABLE: "对接账号不可用：上级平台尚未审批、已停用或已关闭对接。",
    QUOTA_USED: "本周推送次数已用完，将在下一个周期的推送时段继续。",
    TOO_MUCH_DATA: "单次推送数据量超出上级平台限制，将拆分后重试。",
    OUTSIDE_WINDOW: "当前不在上级平台允许的推送时段内，将在下一个推送时段继续。",
    UNAVAILABLE: "上级平台接口暂不可用（可能已关闭对接），稍后自动重试。",
    UNAUTHORIZED: "上级平台拒绝授权（Authorization 三重认证未通过），请核对 SM4 密钥、平台信息和地区码。",
}


def code_of(body: dict | None, http_status: int) -> str:
    """The code of an answer: the body's `code` when it has one, else the HTTP status."""
    if isinstance(body, dict) and body.get("code") not in (None, ""):
        return str(body["code"])
    return str(http_status)


def is_ok(code: str) -> bool:
    return code in (OK, "0")


def timestamp() -> str:
    """The spec's `timestamp` (String): milliseconds since the epoch."""
    return str(int(time.time() * 1000))


def error_body(code: str, message: str | None = None) -> dict:
    return {"code": code, "message": message or SPEC_MESSAGES.get(code, ""), "timestamp": timestamp()}


def result_body(library: str, *, added: int, updated: int, failed_names: list[str],
                results: list[dict] | None = None, message: str = "同步完成") -> dict:
    """An upload's answer in the spec's shape (`updataTotal` where the spec spells it so).

    `resultList` is this platform's addition: one entry per pushed record, in request order, as
    {"index", "key", "entName", "result": add|update|fail, "reason"}. The spec's answer has only counts
    and the failed names, so a pushing platform that gets no `resultList` works from those (app.docking).
    """
    body = {"code": OK, "message": message, "timestamp": timestamp(), "successTotal": added + updated,
            "faidTotal": len(failed_names), "addTotal": added, update_key(library): updated,
            "faidEntName": failed_names}
    if results is not None:
        body["resultList"] = results
    return body


# ------------------------------------------------------------------------------- window and quota

SHANGHAI = ZoneInfo("Asia/Shanghai")
DEFAULT_WINDOW = "00:00-05:00"
DEFAULT_WEEKLY_QUOTA = 100
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
_WINDOW = re.compile(r"\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*")


@dataclass(frozen=True)
class PushWindow:
    """The daily push window in Asia/Shanghai (spec 1.2: 00:00-05:00). An end before the start runs past
    midnight; equal start and end means all day."""

    start: dtime
    end: dtime

    @classmethod
    def parse(cls, text: str) -> PushWindow:
        match = _WINDOW.fullmatch(text or "")
        if not match:
            raise ValueError("推送时段应写成 HH:MM-HH:MM，例如 00:00-05:00")
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        if h1 > 23 or h2 > 24 or m1 > 59 or m2 > 59 or (h2 == 24 and m2):
            raise ValueError("推送时段中的时间无效")
        return cls(dtime(h1, m1), dtime(0, 0) if h2 == 24 else dtime(h2, m2))

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"

    @property
    def label(self) -> str:
        """For people: 全天, or the times (00:00-00:00 as stored would read as “never”)."""
        return "全天" if self.start == self.end else str(self)

    def contains(self, moment: datetime) -> bool:
        t = moment.astimezone(SHANGHAI).time()
        if self.start == self.end:
            return True
        if self.start < self.end:
            return self.start <= t < self.end
        return t >= self.start or t < self.end

    def next_open(self, moment: datetime) -> datetime:
        """`moment` itself when inside the window, else the window's next start (aware, Asia/Shanghai)."""
        local = moment.astimezone(SHANGHAI)
        if self.contains(local):
            return local
        start = local.replace(hour=self.start.hour, minute=self.start.minute, second=0, microsecond=0)
        return start if start > local else start + timedelta(days=1)

    def closes_at(self, moment: datetime) -> datetime:
        """When the window that contains `moment` ends."""
        local = moment.astimezone(SHANGHAI)
        end = local.replace(hour=self.end.hour, minute=self.end.minute, second=0, microsecond=0)
        return end if end > local else end + timedelta(days=1)


def iso_week(moment: datetime) -> str:
    """The quota period of `moment`: its ISO week in Asia/Shanghai, e.g. 2026-W48."""
    year, week, _ = moment.astimezone(SHANGHAI).isocalendar()
    return f"{year}-W{week:02d}"


def next_week_start(moment: datetime) -> datetime:
    """Monday 00:00 Asia/Shanghai after `moment`: when a used-up weekly quota comes back."""
    local = moment.astimezone(SHANGHAI)
    monday = (local - timedelta(days=local.weekday())).replace(hour=0, minute=0, second=0, microsecond=0)
    return monday + timedelta(days=7)


# --------------------------------------------------------------------------- the configuration file

CONFIG_FORMAT = "smedt-docking-config/1"
CONFIG_FIELDS = ("baseUrl", "username", "clientId", "clientSecret", "grantType", "scope", "sm4Key",
                 "platformInfo", "regionCode")


def config_file(*, base_url: str, username: str, client_id: str, client_secret: str, grant_type: str,
                scope: str, sm4_key: str, platform_info: str, region_code: str, layout: AuthLayout,
                window: str, weekly_quota: int, max_bytes: int, platform_name: str = "") -> str:
    """The JSON file an upper platform hands to a lower one on approval; the lower imports it into its
    docking configuration (it carries the secret and the key: it is shown and downloaded once)."""
    return json.dumps({
        "format": CONFIG_FORMAT, "platformName": platform_name, "baseUrl": base_url, "username": username,
        "clientId": client_id, "clientSecret": client_secret, "grantType": grant_type, "scope": scope,
        "sm4Key": sm4_key, "platformInfo": platform_info, "regionCode": region_code, "auth": layout.to_dict(),
        "pushWindow": window, "weeklyQuota": weekly_quota, "maxRequestBytes": max_bytes,
    }, ensure_ascii=False, indent=2)


def read_config_file(text: str | bytes) -> dict:
    """The configuration file's values, checked; ValueError with a Chinese reason when it is not one."""
    try:
        data = json.loads(text)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValueError("配置文件不是有效的 JSON") from exc
    if not isinstance(data, dict) or data.get("format") != CONFIG_FORMAT:
        raise ValueError("不是本平台导出的对接配置文件（format 不符）")
    missing = [name for name in CONFIG_FIELDS if not str(data.get(name) or "").strip()]
    if missing:
        raise ValueError("配置文件缺少：" + "、".join(missing))
    data["auth"] = AuthLayout.from_dict(data.get("auth") or {})  # raises ValueError for a bad layout
    PushWindow.parse(str(data.get("pushWindow") or DEFAULT_WINDOW))
    for name in ("weeklyQuota", "maxRequestBytes"):
        if data.get(name) is not None and (not isinstance(data[name], int) or data[name] <= 0):
            raise ValueError(f"配置文件中的 {name} 必须是正整数")
    return data
