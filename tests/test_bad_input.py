"""The bad inputs that used to answer 500, one by one: ids beyond 2^63−1 or in Unicode digits, OAuth2
parameters Authlib would quote, control and direction characters, and URLs longer than the server reads
(the last also against run.py's waitress on loopback)."""
from __future__ import annotations

import socket

import pytest
import requests
from sqlmodel import select
from wtforms import FieldList, FormField, StringField, TextAreaField

from app.accounts import roles
from app.audit.models import AuditEvent
from app.audit.service import record
from app.db import get_session, write
from app.site.forms import BaseForm, RowForm
from app.site.ids import MAX_ID, parse_id, parse_ids
from tests.instances import new_instance

HUGE = str(2**63)


@pytest.mark.parametrize("value, expected", [
    ("12", 12), (" 7 ", 7), (str(MAX_ID), MAX_ID), (HUGE, None), ("9" * 40, None), ("0", None), ("-1", None),
    ("²", None), ("１２", None), ("1e3", None), ("", None), (None, None), (5, 5), (True, None), (2**64, None),
])
def test_parse_id(value, expected):
    assert parse_id(value) == expected


def test_parse_ids_keeps_valid_ids_once_in_order():
    assert parse_ids(["3", HUGE, "²", "3", "1,2, 9", "x"], separator=",") == [3, 1, 2, 9]
    assert parse_ids([str(n) for n in range(1, 50)], limit=10) == list(range(1, 11))


@pytest.mark.parametrize("path", [
    f"/files/{HUGE}", f"/lib/pilots/{HUGE}", f"/review/{HUGE}", f"/archives/{HUGE}", f"/hub/platforms/{HUGE}",
    f"/admin/users/{HUGE}/edit", "/files/１２",
])
def test_out_of_range_ids_in_urls_are_not_found(client, login_as, path):
    login_as(roles.SYS_ADMIN)
    response = client.get(path)
    assert response.status_code == 404
    assert "页面不存在" in response.get_data(as_text=True)


@pytest.mark.parametrize("path", [f"/oauth/authorized/{HUGE}/revoke", f"/review/notifications/{HUGE}/read"])
def test_out_of_range_ids_in_posted_urls_are_not_found(client, login_as, path):
    login_as(roles.ENTERPRISE)
    assert client.post(path).status_code == 404


@pytest.mark.parametrize("ids", [[HUGE], ["²"], ["１２"], [f"1,{HUGE}"]])
def test_review_bulk_ignores_ids_that_are_no_ids(client, login_as, ids):
    login_as(roles.CITY_ADMIN, region_code="410700")
    response = client.post("/review/bulk", data={"ids": ids}, headers={"HX-Request": "true"})
    assert response.status_code < 500


@pytest.mark.parametrize("path", ["/docking/dead/drop", "/docking/dead/retry", "/docking/push"])
def test_docking_ignores_ids_that_are_no_ids(client, login_as, path):
    login_as(roles.CITY_ADMIN, region_code="410700")
    response = client.post(path, data={"ids": [HUGE, "²"], "lib": "providers"}, headers={"HX-Request": "true"})
    assert response.status_code < 500


def test_a_huge_file_reference_is_refused_beside_the_field(app):
    from werkzeug.datastructures import MultiDict
    from wtforms import FieldList, FormField

    from app.files.fields import UploadFileRow
    from app.spec.form import SpecForm

    class Files(SpecForm):
        fileList = FieldList(FormField(UploadFileRow), min_entries=1)

    with app.test_request_context():
        form = Files(formdata=MultiDict({"fileList-0-fileType": "3", "fileList-0-file": HUGE}), meta={"csrf": False})
        assert form.fileList[0].file.data is None
        form.validate()
        assert "文件编号无效，请重新上传文件。" in form.fileList[0].file.errors


@pytest.mark.parametrize("value", ["名", '"', "é", "１２", "code\\"])
def test_oauth_authorize_refuses_unquotable_response_types_in_chinese(client, login_as, value):
    login_as(roles.ENTERPRISE)
    response = client.get("/oauth/authorize", query_string={"response_type": value, "client_id": "x"})
    assert response.status_code == 400
    assert "授权请求无效" in response.get_data(as_text=True)


def test_oauth_token_refuses_unquotable_parameters_as_json(client):
    response = client.post("/oauth/token", data={"grant_type": "名", "client_id": "é"})
    assert response.status_code == 400
    assert response.get_json()["error"] == "invalid_request"


class _Row(RowForm):
    title = StringField()


class _Form(BaseForm):
    name = StringField()
    note = TextAreaField()
    rows = FieldList(FormField(_Row), min_entries=1)


@pytest.mark.parametrize("raw, clean", [
    ("长垣\x00市", "长垣市"), ("\u202e地址\u202c", "地址"), ("a\u2066b\u2069", "ab"), ("x\x07\x1by\x7f", "xy"),
])
def test_forms_strip_control_and_direction_characters_with_a_message(app, raw, clean):
    from werkzeug.datastructures import MultiDict

    with app.test_request_context():
        form = _Form(formdata=MultiDict({"name": raw, "note": "第一行\r\n\t第二行", "rows-0-title": raw}),
                     meta={"csrf": False})
        assert form.name.data == clean and form.rows[0].title.data == clean
        assert form.note.data == "第一行\r\n\t第二行"  # tab, newline and carriage return stay
        assert not form.validate()
        assert form.name.errors == ["含有不可见的控制字符或文字方向控制符，已删除，请核对后重新提交。"]
        assert form.rows[0].title.errors and not form.note.errors


def test_every_platform_form_cleans_text():
    """No form escapes the cleaning: each FlaskForm derives from BaseForm, each nested row from RowForm."""
    from flask_wtf import FlaskForm
    from wtforms import Form

    import app.models  # noqa: F401  (imports every area)
    from app import create_app  # noqa: F401

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    for module in ("accounts", "archives", "dicts.views", "docking", "hub", "oauth_client", "oauth_server",
                   "pilots", "products", "providers", "targets"):
        __import__(f"app.{module}.forms" if "." not in module else f"app.{module}")
    ours = [c for c in subclasses(FlaskForm) if c.__module__.startswith("app.")]
    assert ours and all(issubclass(c, BaseForm) for c in ours), [c for c in ours if not issubclass(c, BaseForm)]
    rows = [c for c in subclasses(Form) if c.__module__.startswith("app.") and not issubclass(c, FlaskForm)]
    assert all(issubclass(c, RowForm) for c in rows), [c for c in rows if not issubclass(c, RowForm)]


def test_audit_actor_names_lose_nul_and_overrides(app):
    with app.app_context():
        session = get_session()
        with write(session):
            record(session, "test.event", actor_name="平台:\x00长垣\u202e", detail={"reason": "a\u202eb"})
        event = session.exec(select(AuditEvent).where(AuditEvent.action == "test.event")).one()
        assert event.actor_name == "平台:长垣" and "\u202e" not in event.detail


def test_a_long_query_string_gets_a_chinese_414(client):
    response = client.get("/login?q=" + "a" * 40000)
    assert response.status_code == 414
    assert "网址过长" in response.get_data(as_text=True)


@pytest.mark.parametrize("code", [400, 403, 404, 405, 413, 414, 429, 431, 500, 503])
def test_every_status_has_a_chinese_page(app, code):
    from flask import abort

    @app.get(f"/__status/{code}")
    def _status():
        abort(code)

    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = app.test_client().get(f"/__status/{code}")
    assert response.status_code == code
    assert '<html lang="zh-CN">' in response.get_data(as_text=True)


def _raw_get(port: int, request: bytes) -> tuple[int, str, str]:
    """Send `request` byte for byte (requests would re-encode the target) and read the answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(request)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    content_type = next((line.split(b":", 1)[1].strip().decode() for line in head.split(b"\r\n")
                         if line.lower().startswith(b"content-type:")), "")
    return status, content_type, body.decode("utf-8", "replace")


def test_waitress_answers_overlong_urls_in_chinese(tmp_path, template_db):
    """run.py's waitress: a 40 000-character query string reaches the app (414, Chinese page); a request
    line beyond waitress's own 256 KB header limit is answered by waitress itself, now in Chinese too."""
    instance = new_instance(tmp_path / "site", template_db).start()
    try:
        request = f"GET /login?q={'a' * 40000} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
        status, content_type, body = _raw_get(instance.port, request.encode())
        assert (status, content_type) == (414, "text/html; charset=utf-8")
        assert "网址过长" in body
        # Exactly up to the limit and no further: waitress answers as soon as the limit is reached, and
        # bytes still unread when it closes the connection would reset it before the answer is read.
        line = b"GET /login?q=" + b"%E5%90%8D" * 29200
        status, content_type, body = _raw_get(instance.port, line[:256 * 1024])
        assert status == 431 and content_type.startswith("text/html")
        assert "请求头过大" in body and "generated by" not in body
        assert requests.get(f"{instance.base}/login", timeout=10).status_code == 200
    finally:
        instance.stop()
