"""The docking wire protocol shared by the push client and the receiving side: SM4, the Authorization
layout, the push window and quota period, the configuration file, and files on the wire."""
from __future__ import annotations

import base64
import json
from datetime import UTC, datetime

import pytest

from app.docking import authheader, protocol, sm4
from app.docking.authheader import AuthHeaderError, AuthLayout

KEY_HEX = "0123456789abcdeffedcba9876543210"


def test_sm4_passes_the_gbt_32907_vector():
    key = bytes.fromhex(KEY_HEX)
    assert sm4.encrypt(key, key, padding="zero").hex() == "681edf34d206965e86b3e94f536e4246"
    assert sm4.decrypt(key, bytes.fromhex("681edf34d206965e86b3e94f536e4246"), padding="zero") == key


def test_sm4_key_accepts_hex_or_sixteen_characters_and_refuses_others():
    assert sm4.parse_key(KEY_HEX) == bytes.fromhex(KEY_HEX)
    assert sm4.parse_key("abcdefghijklmnop") == b"abcdefghijklmnop"
    with pytest.raises(sm4.SM4Error, match="32 位十六进制"):
        sm4.parse_key("short")


@pytest.mark.parametrize("layout", [
    AuthLayout(),
    AuthLayout(mode="cbc", iv="00112233445566778899aabbccddeeff"),
    AuthLayout(padding="zero", output="hex"),
    AuthLayout(encoding="gbk", template="Bearer {token},{platform},{region}"),
])
def test_authorization_round_trip_in_every_layout(layout):
    key = sm4.parse_key(KEY_HEX)
    header = authheader.build(layout, key, platform="新乡市中小企业数字化转型平台", region="410700", token="tok-123")
    assert "410700" not in header and "tok-123" not in header  # each part is encrypted
    assert authheader.parse(layout, key, header) == {
        "platform": "新乡市中小企业数字化转型平台", "region": "410700", "token": "tok-123"}


def test_default_layout_is_three_base64_parts_joined_by_dots():
    key = sm4.parse_key(KEY_HEX)
    header = authheader.build(AuthLayout(), key, platform="p", region="410700", token="t")
    parts = header.split(".")
    assert len(parts) == 3
    assert sm4.decrypt(key, base64.b64decode(parts[1])) == b"410700"


def test_a_wrong_key_or_shape_is_refused():
    key = sm4.parse_key(KEY_HEX)
    header = authheader.build(AuthLayout(), key, platform="p", region="410700", token="t")
    with pytest.raises(AuthHeaderError):
        authheader.parse(AuthLayout(), sm4.parse_key("ffffffffffffffffffffffffffffffff"), header)
    with pytest.raises(AuthHeaderError, match="格式"):
        authheader.parse(AuthLayout(), key, "Bearer abc")
    with pytest.raises(AuthHeaderError):
        authheader.parse(AuthLayout(), key, "a.b.c")


@pytest.mark.parametrize("values, message", [
    ({"mode": "gcm"}, "SM4 模式"),
    ({"mode": "cbc"}, "初始向量"),
    ({"template": "{platform}{region}{token}"}, "分隔符"),
    ({"template": "{platform}.{token}"}, "{region}"),
    ({"output": "base32"}, "密文格式"),
])
def test_unusable_layouts_are_refused_in_chinese(values, message):
    with pytest.raises(ValueError, match=message):
        AuthLayout.from_dict(values)


def test_push_window_and_weekly_period_are_in_shanghai_time():
    window = protocol.PushWindow.parse("00:00-05:00")
    inside = datetime(2026, 11, 29, 18, 30, tzinfo=UTC)  # 02:30 on the 30th in Shanghai
    outside = datetime(2026, 11, 29, 22, 0, tzinfo=UTC)  # 06:00 in Shanghai
    assert window.contains(inside) and not window.contains(outside)
    assert window.next_open(outside).isoformat() == "2026-12-01T00:00:00+08:00"
    assert window.closes_at(inside).isoformat() == "2026-11-30T05:00:00+08:00"
    # Sunday 23:30 UTC is already Monday in Shanghai: a new quota week.
    assert protocol.iso_week(datetime(2026, 11, 29, 15, 30, tzinfo=UTC)) == "2026-W48"
    assert protocol.iso_week(datetime(2026, 11, 29, 16, 30, tzinfo=UTC)) == "2026-W49"
    assert protocol.next_week_start(inside).isoformat() == "2026-12-07T00:00:00+08:00"
    overnight = protocol.PushWindow.parse("22:00-02:00")
    assert overnight.contains(datetime(2026, 11, 29, 15, 0, tzinfo=UTC))  # 23:00 Shanghai
    assert window.label == "00:00-05:00" and protocol.PushWindow.parse("00:00-24:00").label == "全天"
    with pytest.raises(ValueError, match="HH:MM"):
        protocol.PushWindow.parse("0-5")


def test_result_body_spells_the_update_count_as_each_endpoint_does():
    assert "updateTotal" in protocol.result_body("providers", added=1, updated=2, failed_names=[])
    body = protocol.result_body("archives", added=1, updated=2, failed_names=["某企业"])
    assert body["updataTotal"] == 2 and "updateTotal" not in body
    assert body["successTotal"] == 3 and body["faidTotal"] == 1 and body["faidEntName"] == ["某企业"]


def test_configuration_file_round_trip_and_refusals():
    text = protocol.config_file(base_url="http://127.0.0.1:1/szhzx/app-gate-api", username="u", client_id="c",
                                client_secret="s", grant_type="client_credentials", scope="all", sm4_key=KEY_HEX,
                                platform_info="xx.gov.cn", region_code="410700", layout=AuthLayout(output="hex"),
                                window="00:00-05:00", weekly_quota=100, max_bytes=10 * 1024 * 1024)
    data = protocol.read_config_file(text)
    assert data["auth"] == AuthLayout(output="hex") and data["clientSecret"] == "s"
    with pytest.raises(ValueError, match="format"):
        protocol.read_config_file(json.dumps({"baseUrl": "x"}))
    broken = json.loads(text)
    broken["sm4Key"] = ""
    with pytest.raises(ValueError, match="sm4Key"):
        protocol.read_config_file(json.dumps(broken))
    with pytest.raises(ValueError, match="JSON"):
        protocol.read_config_file("not json")


def test_files_travel_as_base64_and_come_back_as_uploads(app, db):
    import io

    from werkzeug.datastructures import FileStorage

    from app.files import wire
    from app.files.service import save_upload

    pdf = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"
    stored = save_upload(FileStorage(io.BytesIO(pdf), filename="方案.pdf"), file_type=1, owner_region="410700",
                         owner_credit=None, user_id=None, session=db)
    payload = {"softwareName": "x", "fileList": [{"fileType": 1, "fileName": "方案.pdf", "file": stored.id,
                                                  "fileSize": str(len(pdf)), "fileCategory": "pdf"}]}
    sent = wire.embed(payload, session=db)
    assert base64.b64decode(sent["fileList"][0]["file"]) == pdf
    assert payload["fileList"][0]["file"] == stored.id  # the stored payload is not changed
    received = wire.as_uploads(json.loads(json.dumps(sent)))
    upload = received["fileList"][0]["file"]
    assert isinstance(upload, FileStorage) and upload.filename == "方案.pdf" and upload.read() == pdf
    with pytest.raises(wire.BadFileContent, match="Base64"):
        wire.as_uploads({"fileList": [{"fileType": 1, "fileName": "a.pdf", "file": "***"}]})
