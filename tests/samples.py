"""Sample records, file contents and small helpers shared by several test modules (tests import these,
never each other): the spec's example records (2.2–2.5), sample file bytes, the example archive's
catalogue, credit codes, form posts, and logging a test client in."""
from __future__ import annotations

import io
import re
import struct
import zipfile
import zlib

from app.archives.example import example_payload
from app.archives.forms import ArchiveForm
from app.db import get_session
from app.dicts.validators import credit_code_check_char
from app.libraries.registry import LIBRARIES
from app.libraries.service import save
from app.products.forms import ProductForm
from app.products.library import LIBRARY as PRODUCTS
from app.providers.forms import ProviderForm
from app.providers.library import LIBRARY as PROVIDERS
from app.spec.form import flatten

PASSWORD = "Test-Passw0rd!"

# ---- the spec's example records (2.2–2.5)

PROVIDER = {
    "serviceName": "新乡智云数字科技有限公司", "unifiedCreditCode": "914403001922038216",
    "contactPerson": "李明", "contactPhone": "0373-1234567", "provinceCode": "410000", "cityCode": "410700",
    "address": "新乡市红旗区人民路 1 号", "serviceType": 2,
}
PILOT = {
    "companyName": "长垣市恒力起重机械有限公司", "creditCode": "91110000600037341L", "provinceCode": "410000",
    "cityCode": "410700", "registAddress": "河南省/新乡市/长垣市/蒲西街道 18 号", "industryName": "专用设备制造业",
    "industrySegments": "起重机械",
}
PRODUCT = {
    "softwareName": "起重设备远程运维平台", "companyName": "新乡智云数字科技有限公司", "depTypeCode": "CLOUD_NATIVE_DEPLOYMENT",
    "buyMethodCode": "Pay_other", "sofDes": "面向起重机械企业的设备联网与远程运维。", "sofInfoDes": "包括设备接入、告警、工单。",
    "releaseType": 3, "releaseDate": "2025-03-01", "priceRangeMax": 200000, "priceRangeMin": 49999.5,
    "fileList": [],  # filled by the `ctx` fixture with a really stored cover image
    "useSceneList": [
        {"desc": "设备运行数据实时采集与告警", "subdivideIndustry": "起重机械",
         "itemName": "生产执行数字化/设备管理/设备运行实时监测", "industryName": "专用设备制造业"},
        {"desc": "离散装配线自动化", "subdivideIndustry": "起重机械",
         "itemName": "生产执行数字化/生产管控/自动化生产作业(离散)/先进过程控制(流程)", "industryName": "通用设备制造业"},
    ],
}
TARGET = {
    "industryName": "专用设备制造业", "subIndustryId": "起重机械", "practiceRegion": "新乡市长垣市",
    "regulateUpEntTotal": 120, "regulateUnderEntTotal": 300, "regulateUnderIndustryTotal": 1250000.5,
    "regulateUpIndustryTotal": 980000, "regulateUpReformEnt": 110, "regulateUnderReformEnt": 150,
    "serviceSelectTotal": 12, "reformInnovateEntTotal": 40, "cloudEntTotal": 200, "solution": 15,
    "digitWorkshop": 8, "OtherSituations": "打造起重装备“链式”转型样板。", "cycleNumber": 2, "cycleStatus": 1,
    "performanceCycleList": [
        {"cycleStartTime": "2025-01-01", "cycleEndTime": "2025-12-31", "regulateUpEnt": 60, "regulateUnderEnt": 70,
         "reformInnovateEnt": 20, "digitWorkshop": 4, "solution": 8, "serviceSelect": 6, "cloudEnt": 100},
        {"cycleStartTime": "2026-01-01", "cycleEndTime": "2026-12-31", "regulateUpEnt": 50, "regulateUnderEnt": 80,
         "reformInnovateEnt": 20, "digitWorkshop": 4, "solution": 7, "serviceSelect": 6, "cloudEnt": 100},
    ],
}


# ---- sample file contents

def png_bytes() -> bytes:
    """A real 1×1 grey PNG."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00\x80"))
            + chunk(b"IEND", b""))


def jpeg_bytes() -> bytes:
    """SOI, a JFIF APP0 segment and EOI: the header every JPEG starts with."""
    app0 = b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    return b"\xff\xd8\xff\xe0" + struct.pack(">H", len(app0) + 2) + app0 + b"\xff\xd9"


PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(16) + b"\x3e\x00\x03\x00\xfe\xff\x09\x00" + bytes(480)
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + bytes(46) + b"PE\x00\x00"


def zip_bytes(*names: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name in names:
            zf.writestr(name, "<?xml version='1.0'?><x/>")
    return buf.getvalue()


def docx_bytes() -> bytes:
    return zip_bytes("[Content_Types].xml", "_rels/.rels", "word/document.xml")


def xlsx_bytes() -> bytes:
    return zip_bytes("[Content_Types].xml", "_rels/.rels", "xl/workbook.xml")


# ---- the example archive's providers and products (2.6)

CREDIT = "91110000600037341L"
CLOUD, IIOT = "新乡智云数字科技有限公司", "河南中原工业互联网服务有限公司"
PAIRS = [(CLOUD, "起重设备远程运维平台"), (IIOT, "工业设备物联平台"), (CLOUD, "质量追溯系统")]


def seed_catalogue(session, user) -> None:
    """The providers and products the example archive uses, saved through the libraries' own forms."""
    for name, credit in ((CLOUD, "914403001922038216"), (IIOT, "91410700MA44XWX35Y")):
        form = ProviderForm.from_wire({**PROVIDER, "serviceName": name, "unifiedCreditCode": credit})
        form.region.data = "410783"
        assert form.validate_for(submit=False), form.errors
        save(PROVIDERS, form, user=user, session=session, submit=False)
    for provider, product in PAIRS:
        form = ProductForm.from_wire({**PRODUCT, "softwareName": product, "companyName": provider, "fileList": []})
        assert form.validate_for(submit=False), form.errors
        save(PRODUCTS, form, user=user, session=session, submit=False)


def full(needs=3, maps=3) -> dict:
    return example_payload("长垣市恒力起重机械有限公司", CREDIT, PAIRS, needs=needs, maps=maps)


def _store(app, payload: dict, user, *, submit: bool = False) -> int:
    """An archive saved through the form, as the pages would."""
    with app.test_request_context():
        form = ArchiveForm.from_wire(payload)
        assert form.validate_for(submit=submit), form.errors
        return save(LIBRARIES["archives"], form, user=user, session=get_session(), submit=submit).id


# ---- credit codes, form posts, logging in

def code(n: int, region: str = "410783") -> str:
    first17 = f"91{region}1{n:08d}"
    return first17 + credit_code_check_char(first17)


def _post(payload: dict, *, action="submit", county="410783", drop=()) -> dict:
    data = {k: v for k, v in flatten({k: v for k, v in payload.items() if k not in drop}).items(multi=True)}
    if "provinceCode" in payload:
        data["countyCode"] = county
    data["action"] = action
    return data


def login(client, username, password=PASSWORD):
    return client.post("/login", data={"username": username, "password": password})


def csrf_token_from(html: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'"X-CSRFToken": "([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)
