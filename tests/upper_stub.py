"""A strict upper platform on loopback for the push client's tests: the national spec's token endpoint
(2.1) and its five upload endpoints (2.2–2.6), served by waitress in a thread on a free port.

It checks what the spec fixes: the five form parameters of the token request (answering 40001–40004),
the SM4 `Authorization` header (decrypted with its own key and layout: platform, region and a token it
issued), and a body that is a JSON array of objects carrying only the spec's attribute names for that
path, with files as Base64. It answers with `protocol.result_body` (with or without `resultList`), and
can be scripted to answer a queue of forced outcomes: 89501, 89502 (also by itself above `max_bytes`),
89503, 503, 403, HTTP 500, or a delay (longer than the client's timeout, or long enough to kill the
client in the middle of a batch). It records every request, so tests assert what crossed the wire.
"""
from __future__ import annotations

import base64
import binascii
import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field

from flask import Flask, jsonify, request

from app.docking import authheader, protocol, sm4
from app.docking.authheader import AuthHeaderError, AuthLayout
from tests.browser import stop_server

KEY_HEX = "0123456789abcdeffedcba9876543210"
PLATFORM = "新乡市中小企业数字化转型公共服务平台"
REGION = "410700"

# The spec's top-level attribute names per upload path (2.2–2.6). 2.6 also takes the two forms this
# platform sends the second transResult under (app/archives/wire.py).
SPEC_NAMES = {
    "providers": {"serviceName", "unifiedCreditCode", "contactPerson", "contactPhone", "provinceCode", "cityCode",
                  "address", "serviceType"},
    "products": {"softwareName", "companyName", "depTypeCode", "buyMethodCode", "sofDes", "sofInfoDes",
                 "releaseType", "releaseDate", "priceRangeMax", "priceRangeMin", "fileList", "useSceneList"},
    "pilots": {"companyName", "creditCode", "provinceCode", "cityCode", "registAddress", "industryName",
               "industrySegments"},
    "targets": {"industryName", "subIndustryId", "practiceRegion", "regulateUpEntTotal", "regulateUnderEntTotal",
                "regulateUnderIndustryTotal", "regulateUpIndustryTotal", "regulateUpReformEnt",
                "regulateUnderReformEnt", "serviceSelectTotal", "reformInnovateEntTotal", "cloudEntTotal", "solution",
                "digitWorkshop", "OtherSituations", "cycleNumber", "cycleStatus", "performanceCycleList"},
    "archives": {"companyName", "creditCode", "registAddress", "industryName", "industrySegments", "companyNature",
                 "companyNatureLabel", "companyScale", "companyScaleLabel", "highQualitySme", "highQualitySmeLabel",
                 "contactPerson", "contactPhone", "baseSituation", "productType", "productTypeName", "transResult",
                 "companyScaleRange", "companyScaleRangeLabel", "baseTypeName", "baseType", "businessInfo",
                 "transNeeds", "transInfo", "evaluation", "contractInfo", "fileList", "transResultAfter",
                 "transResultCode"},
}
FILE_ROW = {"fileType", "fileName", "file", "fileSize", "fileCategory"}


# The spec's upload paths (2.2–2.6) and what identifies a record in each, written down here from the spec
# rather than taken from the platform's own declarations, so the stub checks the platform independently.
SPEC_PATHS = {
    "providers": "/cloud-supply-demand/serviceProvider/apiUpload",
    "products": "/cloud-supply-demand/software/apiUpload",
    "pilots": "/cloud-supply-demand/pilotCompBaseInfo/apiUpload",
    "targets": "/cloud-supply-demand/performance/apiUpload",
    "archives": "/cloud-supply-demand/pilotcomp/baseinfo/apiUpload",
}
SPEC_KEYS = {"providers": ("unifiedCreditCode",), "products": ("companyName", "softwareName"),
             "pilots": ("creditCode",), "targets": ("industryName", "subIndustryId", "practiceRegion"),
             "archives": ("creditCode",)}


def _key_of(library: str, obj: dict) -> str:
    return "/".join(str(obj.get(name) or "").strip() for name in SPEC_KEYS[library])


def _name_of(library: str, obj: dict) -> str:
    if library == "targets":
        return _key_of(library, obj)
    names = ("serviceName", "unifiedCreditCode") if library == "providers" else ("companyName", "creditCode")
    return next((str(obj[n]) for n in names if obj.get(n)), "")


@dataclass
class Upload:
    library: str
    bytes: int
    objects: list[dict]
    keys: list[str]
    answer: str  # the code answered
    authorization: str
    raw: bytes = b""  # the body as sent, when the stub keeps it (keep_raw)


@dataclass
class UpperStub:
    username: str = "xinxiang"
    client_id: str = "smedt-410700"
    client_secret: str = "s3cret-from-upper"
    grant_type: str = "client_credentials"
    scope: str = "all"
    key_hex: str = KEY_HEX
    layout: AuthLayout = field(default_factory=AuthLayout)
    platform: str = PLATFORM
    region: str = REGION
    expires_in: str = "7200"  # a string, as the spec types it
    offer_refresh: bool = True
    token_error_status: int = 400
    result_list: bool = True
    max_bytes: int | None = None
    disabled: bool = False  # answers 40004 to token requests
    keep_raw: bool = False  # keep each body's bytes (small tests only)

    def __post_init__(self):
        self.lock = threading.Lock()
        self.outcomes: deque = deque()
        self.uploads: list[Upload] = []
        self.token_requests: list[dict] = []
        self.fail_names: set[str] = set()
        self.known: dict[str, set[str]] = {key: set() for key in SPEC_PATHS}
        self.tokens: dict[str, float] = {}
        self.refresh_tokens: set[str] = set()
        self.received = threading.Event()  # set when an upload arrives (before any scripted delay)
        self.stopping = threading.Event()  # cuts scripted delays short at the end of a test
        self.active = 0
        self._serial = 0
        self.app = self._build()
        self.base_url = ""

    # ---- running -------------------------------------------------------------------------------
    def start(self) -> UpperStub:
        from waitress import create_server

        self.server = create_server(self.app, host="127.0.0.1", port=0, threads=8)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        self.base_url = f"http://127.0.0.1:{self.server.effective_port}{protocol.GATE_PREFIX}"
        return self

    def stop(self) -> None:
        self.stopping.set()
        deadline = time.time() + 5
        while self.active and time.time() < deadline:  # let cut-short requests answer before closing
            time.sleep(0.02)
        stop_server(self.server, self.thread)

    def settings(self, **extra) -> dict:
        """App settings that point a platform at this stub (all-day window unless overridden)."""
        return {"DOCKING_BASE_URL": self.base_url, "DOCKING_USERNAME": self.username,
                "DOCKING_CLIENT_ID": self.client_id, "DOCKING_CLIENT_SECRET": self.client_secret,
                "DOCKING_SM4_KEY": self.key_hex, "DOCKING_PLATFORM_INFO": self.platform,
                "DOCKING_REGION_CODE": self.region, "DOCKING_WINDOW": "00:00-00:00", "DOCKING_TIMEOUT_SECONDS": 5,
                **extra}

    def config_file(self, **changes) -> str:
        values = dict(base_url=self.base_url, username=self.username, client_id=self.client_id,
                      client_secret=self.client_secret, grant_type=self.grant_type, scope=self.scope,
                      sm4_key=self.key_hex, platform_info=self.platform, region_code=self.region, layout=self.layout,
                      window="00:00-00:00", weekly_quota=100, max_bytes=protocol.DEFAULT_MAX_BYTES,
                      platform_name="测试上级平台")
        values.update(changes)
        return protocol.config_file(**values)

    def script(self, *outcomes) -> None:
        """Answer the next uploads with these, in order: a code ("89501", "89502", "89503", "503", "403"),
        "500" (a bare HTTP 500), or ("delay", seconds) before answering normally."""
        self.outcomes.extend(outcomes)

    def revoke_tokens(self) -> None:
        with self.lock:
            self.tokens.clear()

    def keys_received(self, library: str | None = None, *, answered: str = protocol.OK) -> list[str]:
        return [k for u in self.uploads if (library is None or u.library == library) and u.answer == answered
                for k in u.keys]

    # ---- the endpoints -------------------------------------------------------------------------
    def _issue(self) -> dict:
        self._serial += 1
        token, refresh = f"access-{self._serial}", f"refresh-{self._serial}"
        self.tokens[token] = time.time() + int(self.expires_in)
        body = {"token_type": "bearer", "access_token": token, "expires_in": self.expires_in, "license": "stub"}
        if self.offer_refresh:
            self.refresh_tokens.add(refresh)
            body["refresh_token"] = refresh
        return body

    def _token_error(self, code: str):
        return jsonify(protocol.error_body(code)), self.token_error_status

    def _build(self) -> Flask:
        app = Flask("upper_stub")
        app.json.ensure_ascii = False

        @app.post(protocol.GATE_PREFIX + protocol.TOKEN_PATH)
        def token():
            form = request.form.to_dict()
            with self.lock:
                self.token_requests.append(form)
                if self.disabled:
                    return self._token_error(protocol.ACCOUNT_UNAVAILABLE)
                if form.get("grant_type") == "refresh_token":
                    if form.get("refresh_token") not in self.refresh_tokens or form.get("client_id") != self.client_id:
                        return self._token_error(protocol.AUTH_FAILED)
                    self.refresh_tokens.discard(form["refresh_token"])
                    return jsonify(self._issue())
                if any(not form.get(name) for name in ("username", "client_id", "client_secret", "grant_type",
                                                       "scope")):
                    return self._token_error(protocol.AUTH_FAILED)
                if form["grant_type"] != self.grant_type:
                    return self._token_error(protocol.GRANT_TYPE_WRONG)
                if form["username"] != self.username or form["client_id"] != self.client_id \
                        or form["scope"] != self.scope:
                    return self._token_error(protocol.AUTH_FAILED)
                if form["client_secret"] != self.client_secret:
                    return self._token_error(protocol.KEY_WRONG)
                return jsonify(self._issue())

        def upload(library: str):
            with self.lock:
                self.active += 1
            try:
                return _upload(library)
            finally:
                with self.lock:
                    self.active -= 1

        def _upload(library: str):
            raw = request.get_data()
            auth = request.headers.get("Authorization", "")
            self.received.set()
            try:
                parts = authheader.parse(self.layout, sm4.parse_key(self.key_hex), auth)
            except AuthHeaderError:
                return self._answer(library, raw, auth, [], protocol.UNAUTHORIZED)
            with self.lock:
                valid = self.tokens.get(parts["token"], 0) > time.time()
                outcome = self.outcomes.popleft() if self.outcomes else None
            if not valid or parts["platform"] != self.platform or parts["region"] != self.region:
                return self._answer(library, raw, auth, [], protocol.UNAUTHORIZED)
            if isinstance(outcome, tuple) and outcome[0] == "delay":
                self.stopping.wait(outcome[1])
                outcome = None
            if outcome == "500":
                self._record(library, raw, auth, [], "500")
                return "Internal Server Error", 500
            if outcome is None and self.max_bytes is not None and len(raw) > self.max_bytes:
                outcome = protocol.TOO_MUCH_DATA
            if outcome is not None:
                return self._answer(library, raw, auth, [], outcome)
            if request.mimetype != "application/json":
                return self._answer(library, raw, auth, [], "400", "Content-Type 必须是 application/json")
            try:
                objects = json.loads(raw.decode("utf-8"))
            except (UnicodeDecodeError, ValueError):
                return self._answer(library, raw, auth, [], "400", "请求体不是 JSON")
            problem = _check(library, objects)
            if problem:
                return self._answer(library, raw, auth, objects if isinstance(objects, list) else [], "400", problem)
            return self._accept(library, raw, auth, objects)

        for key, path in SPEC_PATHS.items():
            app.add_url_rule(protocol.GATE_PREFIX + path, f"upload_{key}", lambda key=key: upload(key),
                             methods=["POST"])
        return app

    def _record(self, library, raw, auth, objects, answer) -> None:
        with self.lock:
            self.uploads.append(Upload(library, len(raw), objects,
                                       [_key_of(library, o) for o in objects], answer, auth,
                                       raw if self.keep_raw else b""))

    def _answer(self, library, raw, auth, objects, code, message=None):
        self._record(library, raw, auth, objects, code)
        status = {protocol.UNAUTHORIZED: 403, protocol.UNAVAILABLE: 503, "400": 400}.get(code, 200)
        return jsonify(protocol.error_body(code, message)), status

    def _accept(self, library, raw, auth, objects):
        added = updated = 0
        failed: list[str] = []
        results = []
        with self.lock:
            for index, obj in enumerate(objects):
                key, name = _key_of(library, obj), _name_of(library, obj)
                if name in self.fail_names:
                    failed.append(name)
                    results.append({"index": index, "key": key, "entName": name, "result": "fail",
                                    "reason": "统一社会信用代码校验未通过"})
                elif key in self.known[library]:
                    updated += 1
                    results.append({"index": index, "key": key, "entName": name, "result": "update"})
                else:
                    self.known[library].add(key)
                    added += 1
                    results.append({"index": index, "key": key, "entName": name, "result": "add"})
        self._record(library, raw, auth, objects, protocol.OK)
        return jsonify(protocol.result_body(library, added=added, updated=updated, failed_names=failed,
                                            results=results if self.result_list else None))


def _check(library: str, objects) -> str | None:
    """Why a body is not what the spec's path takes, or None."""
    if not isinstance(objects, list) or not objects:
        return "请求体必须是非空的 JSON 数组"
    for obj in objects:
        if not isinstance(obj, dict):
            return "数组元素必须是对象"
        unknown = set(obj) - SPEC_NAMES[library]
        if unknown:
            return "含有规范之外的属性：" + "、".join(sorted(unknown))
        if not _key_of(library, obj).strip("/"):
            return "缺少标识数据的属性"
        rows = list(obj.get("fileList") or [])
        if isinstance(obj.get("contractInfo"), dict) and obj["contractInfo"].get("file") is not None:
            rows.append(obj["contractInfo"])
        for row in rows:
            if set(row) - FILE_ROW:
                return "文件对象含有规范之外的属性"
            try:
                content = base64.b64decode(row.get("file") or "", validate=True)
            except (binascii.Error, ValueError):
                return "文件内容不是 Base64"
            if not content or str(len(content)) != str(row.get("fileSize")):
                return "文件大小与内容不符"
    return None


# ---- records to push, and one pass of the push client ---------------------------------------------

def approved_pilots(app, admin, n: int, *, county: str = "410783", start: int = 1) -> list[int]:
    """`n` pilot enterprises entered by an official (so they are formal at once); their ids."""
    from app.db import get_session
    from app.libraries.registry import LIBRARIES
    from app.libraries.service import save
    from app.pilots.forms import PilotEnterpriseForm
    from tests.samples import PILOT, code

    ids = []
    with app.test_request_context():
        session = get_session()
        for i in range(start, start + n):
            form = PilotEnterpriseForm.from_wire({**PILOT, "creditCode": code(i, county),
                                                  "companyName": f"测试企业{i}有限公司"})
            form.region.data = county
            assert form.validate_for(submit=True), form.errors
            ids.append(save(LIBRARIES["pilots"], form, user=admin, session=session, submit=True).id)
    return ids


def queue(app, admin, key: str, ids, prefix: str = "4107"):
    from app.db import get_session
    from app.docking.queue import queue as queue_records
    from app.libraries.registry import LIBRARIES

    with app.app_context():
        return queue_records(get_session(), LIBRARIES[key], ids, actor=admin, scope_prefix=prefix)


def push(app, **kwargs):
    """One pass of the push client, as `flask docking push` runs it."""
    from app.db import get_session
    from app.docking.passes import run_pass
    from app.docking.settings import load_config

    with app.app_context():
        session = get_session()
        return run_pass(session, load_config(session), **kwargs)


def items(app):
    from sqlmodel import select

    from app.db import get_session
    from app.docking.models import OutboxItem

    with app.app_context():
        return list(get_session().exec(select(OutboxItem).order_by(OutboxItem.id)))


def states(app, key: str = "pilots"):
    from sqlmodel import select

    from app.db import get_session
    from app.docking.models import PushState

    with app.app_context():
        return {s.record_id: s for s in get_session().exec(select(PushState).where(PushState.library == key))}
