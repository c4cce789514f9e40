"""An OpenAPI 3.0 description of the docking endpoints this platform serves, at GATE_PREFIX/openapi.json.

The request schemas are generated from the same form declarations that validate a push (names, types,
lengths, dictionary codes, nested rows), so the description cannot drift from what intake accepts.
"""
from __future__ import annotations

from flask import current_app, jsonify, request
from flask.typing import ResponseReturnValue
from wtforms import Field, FieldList, FormField, SelectFieldBase, SelectMultipleField
from wtforms.form import BaseForm
from wtforms.validators import Length, NumberRange

from app.dicts.fields import IndustryField, RegionField, SceneField
from app.docking import protocol
from app.files.fields import StoredFileField
from app.hub import bp, service
from app.libraries.registry import LIBRARIES
from app.spec.fields import DerivedField, SpecDateField, SpecDecimalField, SpecIntegerField

OPENAPI_PATH = protocol.GATE_PREFIX + "/openapi.json"
ERROR_CODES = {
    "400": "请求体不是 JSON 数组或对象（code 400）",
    "403": "接口未授权：Authorization 三重认证未通过（code 403）",
    "413": "同步数据量超出（code 89502）",
    "429": "当前时间段不能同步（code 89503）或本周调用次数已用完（code 89501）",
    "503": "接口不可用：对接已关闭或平台已停用（code 503）",
}


# ------------------------------------------------------------------------------------ form → schema

def _length(fld: Field) -> int | None:
    limits = [v.max for v in fld.validators if isinstance(v, Length) and v.max and v.max > 0]
    return min(limits) if limits else None


def _describe(schema: dict, fld: Field) -> dict:
    text = fld.label.text
    if fld.description:
        text += f"。{fld.description}"
    schema["description"] = text
    return schema


def _choices(fld: SelectFieldBase) -> list:
    values = []
    for choice in fld.choices or ():
        value = choice.value if hasattr(choice, "value") else choice[0]
        if value not in (None, ""):
            values.append(value)
    return values


def field_schema(fld: Field) -> dict:
    """The JSON schema of one declared field."""
    if isinstance(fld, FieldList):
        inner = fld.unbound_field
        if inner.field_class is FormField or issubclass(inner.field_class, FormField):
            items = form_schema(inner.args[0]())
        else:
            items = {"type": "string"}
        schema: dict[str, object] = {"type": "array", "items": items}
        if fld.max_entries:
            schema["maxItems"] = fld.max_entries
        return _describe(schema, fld)
    if isinstance(fld, FormField):
        return _describe({**form_schema(fld.form), "nullable": True}, fld)
    if isinstance(fld, SelectMultipleField):  # linkTransNeeds: the linked need objects themselves
        return _describe({"type": "array", "items": {"type": "object"}}, fld)
    if isinstance(fld, StoredFileField):
        return _describe({"type": "string", "format": "byte", "nullable": True}, fld)
    if isinstance(fld, SpecIntegerField):
        schema = {"type": "integer"}
        for v in fld.validators:
            if isinstance(v, NumberRange):
                if v.min is not None:
                    schema["minimum"] = v.min
                if v.max is not None:
                    schema["maximum"] = v.max
        return _describe(schema, fld)
    if isinstance(fld, SpecDecimalField):
        return _describe({"type": "number"}, fld)
    if isinstance(fld, SpecDateField):
        return _describe({"type": "string", "format": "date"}, fld)
    if isinstance(fld, SelectFieldBase) and not isinstance(fld, SelectMultipleField):
        values = _choices(fld)
        if values and all(isinstance(v, int) for v in values):
            return _describe({"type": "integer", "enum": values}, fld)
        schema = {"type": "string"}
        if values:
            schema["enum"] = [str(v) for v in values]
        return _describe(schema, fld)
    if isinstance(fld, DerivedField):
        return _describe({"type": "string", "nullable": True,
                          "description": "由接收方根据对应代码或文件重新计算"}, fld)
    if isinstance(fld, SceneField | IndustryField):
        return _describe({"type": "string"}, fld)
    schema = {"type": "string"}
    length = _length(fld)
    if length:
        schema["maxLength"] = length
    return _describe(schema, fld)


def form_schema(form: BaseForm) -> dict:
    """An object schema from a form instance: one property per spec attribute, `required` from the
    spec's 单次逻辑校验 = Y (which intake enforces)."""
    properties: dict[str, dict] = {}
    required: list[str] = []
    for key, fld in form._fields.items():
        if key in ("csrf_token", "submit"):
            continue
        if isinstance(fld, RegionField):
            names = fld.part_names
            for n, name in enumerate(names[:2]):
                properties[name] = {"type": "string", "maxLength": 50,
                                    "description": f"{fld.label.text}所属{'省' if n == 0 else '市'} code"}
                if fld.flags.spec_required:
                    required.append(name)
            if len(names) > 2:
                properties[names[2]] = {"type": "string", "maxLength": 12, "nullable": True,
                                        "description": "区县 code（本平台的扩展，可省略）"}
            continue
        properties[key] = field_schema(fld)
        if fld.flags.spec_required:
            required.append(key)
    schema = {"type": "object", "properties": properties}
    if required:
        schema["required"] = required
    return schema


# ------------------------------------------------------------------------------------------ document

def _result_schema(update_key: str) -> dict:
    return {"type": "object", "required": ["code", "message", "timestamp", "successTotal", "faidTotal",
                                           "addTotal", update_key, "faidEntName"],
            "properties": {
                "code": {"type": "string", "example": "200"}, "message": {"type": "string"},
                "timestamp": {"type": "string", "description": "毫秒时间戳"},
                "successTotal": {"type": "integer", "description": "同步数据成功条数"},
                "faidTotal": {"type": "integer", "description": "同步数据失败条数"},
                "addTotal": {"type": "integer", "description": "同步数据新增条数"},
                update_key: {"type": "integer", "description": "同步数据更新条数"},
                "faidEntName": {"type": "array", "items": {"type": "string"}, "description": "失败数据的企业名称"},
                "resultList": {"type": "array", "description": "本平台的扩展：每条记录的结果，顺序同请求",
                               "items": {"$ref": "#/components/schemas/RecordResult"}},
            }}


def _errors(*statuses: str) -> dict:
    return {status: {"description": ERROR_CODES.get(status, "错误"),
                     "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
            for status in statuses}


def document() -> dict:
    """The whole OpenAPI document (built in a request: the archive form reads the libraries)."""
    cfg = current_app.config
    schemas: dict[str, dict] = {
        "Error": {"type": "object", "required": ["code", "message", "timestamp"],
                  "properties": {"code": {"type": "string"}, "message": {"type": "string"},
                                 "timestamp": {"type": "string"}}},
        "RecordResult": {"type": "object", "properties": {
            "index": {"type": "integer"}, "key": {"type": "string"}, "entName": {"type": "string"},
            "result": {"type": "string", "enum": ["add", "update", "fail"]}, "reason": {"type": "string"}}},
        "TokenRequest": {"type": "object", "properties": {
            "username": {"type": "string", "description": "登录名"},
            "client_id": {"type": "string", "description": "客户端 id"},
            "client_secret": {"type": "string", "description": "客户端密钥"},
            "grant_type": {"type": "string", "description": f"认证类型：{cfg['HUB_GRANT_TYPE']} 或 refresh_token"},
            "scope": {"type": "string", "description": f"固定为 {cfg['HUB_SCOPE']}"},
            "refresh_token": {"type": "string", "description": "grant_type=refresh_token 时必填"}}},
        "Token": {"type": "object", "required": ["token_type", "access_token", "refresh_token", "expires_in"],
                  "properties": {"token_type": {"type": "string"}, "access_token": {"type": "string"},
                                 "refresh_token": {"type": "string"},
                                 "expires_in": {"type": "string", "description": "有效秒数"},
                                 "license": {"type": "string"}}},
    }
    if str(cfg["HUB_TOKEN_ERROR_STATUS"]) == "4xx":
        token_errors = {
            "400": "grant_type 类型错误（40002）", "401": "当前密钥错误（40001）或授权验证失败（40003）",
            "403": "当前账号不可用（40004）", "503": "接口不可用：对接已关闭（503）"}
    else:  # HTTP 200 with the code in the body, as the spec's examples imply
        token_errors = {"503": "接口不可用：对接已关闭（503）"}
    paths: dict[str, dict] = {
        protocol.GATE_PREFIX + protocol.TOKEN_PATH: {"post": {
            "operationId": "token", "summary": "2.1 平台授权 API", "security": [],
            "description": "以表单（application/x-www-form-urlencoded）、JSON 或查询参数提交。" + (
                "" if str(cfg["HUB_TOKEN_ERROR_STATUS"]) == "4xx" else
                "错误（40001 当前密钥错误、40002 grant_type 类型错误、40003 授权验证失败、40004 当前账号不可用）"
                "以 HTTP 200 返回，错误码在应答体的 code 中。"),
            "requestBody": {"required": False, "content": {
                "application/x-www-form-urlencoded": {"schema": {"$ref": "#/components/schemas/TokenRequest"}},
                "application/json": {"schema": {"$ref": "#/components/schemas/TokenRequest"}}}},
            "responses": {"200": {"description": "令牌", "content": {"application/json": {
                "schema": {"$ref": "#/components/schemas/Token"}}}},
                **{status: {"description": text, "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/Error"}}}} for status, text in token_errors.items()}},
        }},
    }
    for lib in LIBRARIES.values():
        name = lib.key.capitalize()
        schemas[name] = lib.codec.openapi(form_schema(lib.form.from_wire({})))
        schemas[f"{name}Result"] = _result_schema(lib.update_key)
        paths[protocol.GATE_PREFIX + lib.wire_path] = {"post": {
            "operationId": f"upload_{lib.key}", "summary": f"{lib.spec_section} {lib.title} API",
            "description": ("请求体为记录的 JSON 数组（也接受单个对象）。"
                            "每条记录按本平台的表单声明校验，合格的进入审核队列。"),
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "array", "items": {"$ref": f"#/components/schemas/{name}"}}}}},
            "responses": {"200": {"description": "同步结果", "content": {"application/json": {
                "schema": {"$ref": f"#/components/schemas/{name}Result"}}}},
                **_errors("400", "403", "413", "429", "503")},
        }}
    return {
        "openapi": "3.0.3",
        "info": {"title": f"{cfg['PLATFORM_NAME']} 对接接口（接收下级平台推送）", "version": "1.0",
                 "description": ("按《全国中小企业数字化转型服务平台对接规范》提供的上级平台接口。"
                                 "推送接口须带 Authorization：平台信息（登记的域名）、地区码、令牌分别经 SM4 加密后"
                                 f"按约定格式拼接（{service.layout().describe()}）。")},
        "servers": [{"url": request.host_url.rstrip("/")}],
        "paths": paths,
        "components": {"schemas": schemas, "securitySchemes": {"SM4Authorization": {
            "type": "apiKey", "in": "header", "name": "Authorization",
            "description": "SM4 加密的平台信息、地区码和令牌"}}},
        "security": [{"SM4Authorization": []}],
    }


@bp.get(OPENAPI_PATH)
def openapi_json() -> ResponseReturnValue:
    """The OpenAPI description of the docking endpoints."""
    response = jsonify(document())
    response.headers["Cache-Control"] = "no-cache"
    return response
