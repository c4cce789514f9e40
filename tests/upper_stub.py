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


# ---- strict mode: each record checked against the spec's tables, written down here from the spec ----------
# Types: i INT, n Double/BigDecimal, d Date (YYYY-MM-DD), sN VARCHAR(N), t TEXT, f file content (Base64),
# o:T an object of table T, l:T a list of objects of table T. Y marks 单次逻辑校验 = Y (top level only).
_DIMS = {name: "s1000" for name in ("innovationDimension", "marketDimension", "upgradeDimension", "reduceDimension",
                                    "synergiaDimension", "greenDimension", "safeDimension", "otherDimension")}
STRICT_TABLES: dict[str, dict[str, str]] = {
    "providers": {"serviceName": "s255", "unifiedCreditCode": "s255", "contactPerson": "s50", "contactPhone": "s50",
                  "provinceCode": "s50", "cityCode": "s50", "address": "s100", "serviceType": "i"},
    "products": {"softwareName": "s255", "companyName": "s255", "depTypeCode": "s255", "buyMethodCode": "s255",
                 "sofDes": "t", "sofInfoDes": "s2000", "releaseType": "i", "releaseDate": "d", "priceRangeMax": "n",
                 "priceRangeMin": "n", "fileList": "l:uploadFile", "useSceneList": "l:useScene"},
    "pilots": {"companyName": "s255", "creditCode": "s255", "provinceCode": "s50", "cityCode": "s50",
               "registAddress": "s255", "industryName": "s50", "industrySegments": "s100"},
    "targets": {"industryName": "s50", "subIndustryId": "s50", "practiceRegion": "s255", "regulateUpEntTotal": "i",
                "regulateUnderEntTotal": "i", "regulateUnderIndustryTotal": "n", "regulateUpIndustryTotal": "n",
                "regulateUpReformEnt": "i", "regulateUnderReformEnt": "i", "serviceSelectTotal": "i",
                "reformInnovateEntTotal": "i", "cloudEntTotal": "i", "solution": "i", "digitWorkshop": "i",
                "OtherSituations": "s1000", "cycleNumber": "i", "cycleStatus": "i",
                "performanceCycleList": "l:performanceCycle"},
    "archives": {"companyName": "s255", "creditCode": "s255", "registAddress": "s255", "industryName": "s100",
                 "industrySegments": "s100", "companyNature": "s255", "companyNatureLabel": "s255",
                 "companyScale": "s255", "companyScaleLabel": "s255", "highQualitySme": "s255",
                 "highQualitySmeLabel": "s255", "contactPerson": "s255", "contactPhone": "s255",
                 "baseSituation": "s255", "productType": "s255", "productTypeName": "s255", "transResult": "i",
                 "companyScaleRange": "s255", "companyScaleRangeLabel": "s255", "baseTypeName": "s255",
                 "baseType": "s255", "businessInfo": "o:businessInfo", "transNeeds": "l:transNeed",
                 "transInfo": "o:transInfo", "evaluation": "o:evaluation", "contractInfo": "o:uploadFile",
                 "fileList": "l:uploadFile"},
    # nested tables
    "uploadFile": {"fileType": "i", "fileName": "s255", "file": "f", "fileSize": "s50", "fileCategory": "s50"},
    "useScene": {"desc": "s2000", "subdivideIndustry": "s100", "itemName": "s100", "industryName": "s100"},
    "performanceCycle": {"cycleStartTime": "d", "cycleEndTime": "d", "regulateUpEnt": "i", "regulateUnderEnt": "i",
                         "reformInnovateEnt": "i", "digitWorkshop": "i", "solution": "i", "serviceSelect": "i",
                         "cloudEnt": "i"},
    "businessInfo": {"year": "s50", "operateIncome": "n", "perOperateIncome": "n", "profit": "n",
                     "digitalInvestment": "n"},
    "transNeed": {"sceneDesc": "s1000", "problemNeed": "s1000", "useScenes": "s500"},
    "transInfo": {"degitalLevel": "s50", "degitalLevelName": "s50", "totalTransCost": "n", **_DIMS,
                  "transMaps": "l:transMap"},
    "transMap": {"transContentDesc": "t", "transStartTime": "d", "transEndTime": "d", "transCosts": "n",
                 "publicCloud": "s255", "privateCloud": "s255", "mixedCloud": "s255", "noneCloud": "s255",
                 "ServiceProviderName": "s255", "productName": "s255", "linkTransNeeds": "l:transNeed"},
    "transResultAfter": {"degitalLevel": "s50", "digitalLevelName": "s50", **_DIMS, "ProductList": "l:productEva"},
    "productEva": {"providerName": "s255", "productName": "s255", "evaluationStar": "i", "evaluationInfo": "s255",
                   "providerStar": "i", "providerInfo": "s255", "behaviourStar": "i", "behaviourInfo": "s255",
                   "afterSalesStar": "i", "afterSalesInfo": "s255"},
    "evaluation": {"hadExpanded": "i", "hadPassed": "i", "failureReason": "s500", "awardFunds": "n",
                   "asATemplate": "i", "asTemplateReason": "s500", "fundsAllocated": "n"},
}
REQUIRED = {lib: set(STRICT_TABLES[lib]) for lib in ("providers", "products", "pilots", "archives")}
REQUIRED["targets"] = set(STRICT_TABLES["targets"]) - {"cycleNumber", "cycleStatus", "performanceCycleList"}
REQUIRED["archives"] -= {"businessInfo", "transNeeds", "transInfo", "evaluation", "contractInfo", "fileList"}
_STARS = {1, 2, 3, 4, 5}
_LEVELS = {"level_one", "level_two", "level_three", "level_four", "none_level"}
_INDUSTRIES = {"通用设备制造业", "专用设备制造业", "汽车制造业", "铁路、船舶、航空航天和其他运输设备制造业", "轻工纺织业",
               "石油、煤炭及其他燃料加工业", "化学原料和化学制品制造业", "医药制造业", "化学纤维制造业", "非金属矿物制品业",
               "黑色金属冶炼和压延加工业", "有色金属冶炼和压延加工业", "金属制品业", "电气机械和器材制造业",
               "计算机、通信和其他电子设备制造业", "仪器仪表制造业"}
CODES: dict[tuple[str, str], set] = {
    ("providers", "serviceType"): {1, 2, 3},
    ("products", "depTypeCode"): {"PC", "C_S", "B_S", "OFFLINE_DEPLOYMENT", "CLUSTER_DEPLOYMENT",
                                  "MICROSERVICE_DEPLOYMENT", "CONTAINERIZED_DEPLOYMENT", "MIXED_DEPLOYMENT",
                                  "EDGE_COMPUT_DEPLOYMENT", "CLOUD_NATIVE_DEPLOYMENT", "Deployment_other"},
    ("products", "buyMethodCode"): {"disposable", "purchase", "subscribe", "month_bill", "year_bill", "demand_bill",
                                    "Pay_other"},
    ("products", "releaseType"): {1, 2, 3, 4, 5},
    ("uploadFile", "fileType"): {1, 2, 3, 4, 5, 6},
    ("uploadFile", "fileCategory"): {"txt", "jpg", "jpeg", "png", "pdf", "doc", "docx", "xls", "xlsx"},
    ("useScene", "industryName"): _INDUSTRIES,
    ("pilots", "industryName"): _INDUSTRIES,
    ("archives", "industryName"): _INDUSTRIES,
    ("archives", "companyNature"): {"state_owned_enterprise", "collective_enterprise",
                                    "joint_stock_cooperative_enterprise", "joint_venture",
                                    "limited_liability_company", "joint_stock_company"},
    ("archives", "companyScale"): {"ent_scale_medium", "ent_scale_small", "ent_scale_micro"},
    ("archives", "highQualitySme"): {"Innovative", "mastery", "littleGiant", "Individual Champion", "nothing"},
    ("archives", "companyScaleRange"): {"scale_below", "scale_above"},
    ("archives", "transResult"): {0, 1, 2},
    ("transInfo", "degitalLevel"): _LEVELS,
    ("transResultAfter", "degitalLevel"): _LEVELS,
    **{("productEva", name): _STARS for name in ("evaluationStar", "providerStar", "behaviourStar", "afterSalesStar")},
}


class _Obj(dict):
    """A parsed JSON object that also keeps its members in order, repeated names included."""

    def __init__(self, pairs):
        super().__init__(pairs)
        self.pairs = pairs


def _type_problem(kind: str, value) -> str | None:
    if value is None:
        return None
    if kind == "i":
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif kind == "n":
        ok = isinstance(value, int | float) and not isinstance(value, bool)
    elif kind == "d":
        ok = isinstance(value, str) and len(value) == 10 and value[4] == "-" and value[7] == "-"
    elif kind in ("t", "f") or kind.startswith("s"):
        ok = isinstance(value, str)
        if ok and kind.startswith("s") and len(value) > int(kind[1:]):
            return f"超过 {kind[1:]} 个字符"
    elif kind.startswith("o:"):
        ok = isinstance(value, dict)
    else:
        ok = isinstance(value, list)
    return None if ok else f"类型错误（{type(value).__name__}）"


def strict_problems(table: str, obj, *, top: bool = False) -> list[str]:
    """Why a strict national platform refuses this object of `table`: unknown or repeated attributes, wrong
    types, lengths or codes, an empty Y attribute. 2.6's two transResults are told apart by their order
    (INT first) and type, as the table lists them."""
    if not isinstance(obj, dict):
        return [f"{table} 应为对象"]
    pairs = obj.pairs if isinstance(obj, _Obj) else list(obj.items())
    columns, out, seen = STRICT_TABLES[table], [], set()
    for name, value in pairs:
        kind = columns.get(name)
        if table == "archives" and name == "transResult" and isinstance(value, dict):
            kind, name = "o:transResultAfter", "transResult(改造后)"
        if kind is None:
            out.append(f"未知属性 {name}")
            continue
        if name in seen:
            out.append(f"属性 {name} 重复")
        seen.add(name)
        problem = _type_problem(kind, value)
        if problem:
            out.append(f"{name}：{problem}")
            continue
        codes = CODES.get((table, name))
        if codes is not None and value not in (None, "") and value not in codes:
            out.append(f"{name}：代码 {value!r} 不在规范的字典中")
        if kind.startswith("o:") and value is not None:
            out += [f"{name}.{p}" for p in strict_problems(kind[2:], value)]
        elif kind.startswith("l:") and value is not None:
            for n, row in enumerate(value):
                out += [f"{name}[{n}].{p}" for p in strict_problems(kind[2:], row)]
    if top:
        out += [f"缺少必填属性 {name}" for name in sorted(REQUIRED[table])
                if dict(pairs).get(name) in (None, "", [])]
    return out


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
    strict: bool = False  # check each record against STRICT_TABLES; a record that fails is refused alone

    def __post_init__(self):
        self.lock = threading.Lock()
        self.outcomes: deque = deque()
        self.uploads: list[Upload] = []
        self.token_requests: list[dict] = []
        self.fail_names: set[str] = set()
        self.refusals: list[tuple[str, str, list[str]]] = []  # strict mode: (library, key, problems)
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
                objects = json.loads(raw.decode("utf-8"), object_pairs_hook=_Obj if self.strict else None)
            except (UnicodeDecodeError, ValueError):
                return self._answer(library, raw, auth, [], "400", "请求体不是 JSON")
            problem = _check(library, objects, strict=self.strict)
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
                refused = strict_problems(library, obj, top=True) if self.strict else []
                if refused:
                    self.refusals.append((library, key, refused))
                    failed.append(name)
                    results.append({"index": index, "key": key, "entName": name, "result": "fail",
                                    "reason": "；".join(refused[:5])})
                elif name in self.fail_names:
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


def _check(library: str, objects, *, strict: bool = False) -> str | None:
    """Why a body is not what the spec's path takes, or None. In strict mode the names are checked per
    record (strict_problems), so the loose names below are not applied."""
    if not isinstance(objects, list) or not objects:
        return "请求体必须是非空的 JSON 数组"
    for obj in objects:
        if not isinstance(obj, dict):
            return "数组元素必须是对象"
        unknown = set() if strict else set(obj) - SPEC_NAMES[library]
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
