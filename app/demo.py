"""A demo county so that a newcomer sees a living platform: 河南省新乡市 and its county-level city
长垣市, with enterprises, service providers and one account of every role. The names are invented;
the credit codes are well-formed (valid check characters) but belong to no real organisation.

Run with `python run.py --demo` or `flask --app app demo`. Loading twice adds nothing.
"""
from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Callable

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlmodel import Session
from werkzeug.datastructures import FileStorage

from app.accounts import roles, service
from app.accounts.models import get_user_by_username
from app.accounts.passwords import generate_password
from app.accounts.setup import needs_setup
from app.archives.example import example_payload
from app.archives.library import LIBRARY as ARCHIVES
from app.db import get_session
from app.dicts.validators import credit_code_check_char
from app.files.fields import Owner, uploads_for
from app.files.service import save_upload
from app.libraries.records import find_by_key
from app.libraries.registry import Library
from app.libraries.service import claimed_region, ingest, place
from app.pilots.library import LIBRARY as PILOTS
from app.products.library import LIBRARY as PRODUCTS
from app.providers.library import LIBRARY as PROVIDERS
from app.targets.library import LIBRARY as TARGETS

CITY, COUNTY, COUNTY_2 = "410700", "410783", "410721"


def _credit_code(region: str, org: str) -> str:
    first17 = f"91{region}{org}"
    return first17 + credit_code_check_char(first17)


# (username, role, region, display name, organisation code for bound roles)
DEMO_USERS = [
    ("demo_sys", roles.SYS_ADMIN, CITY, "新乡市平台系统管理员", None),
    ("demo_sec", roles.SEC_ADMIN, CITY, "新乡市平台安全管理员", None),
    ("demo_audit", roles.AUDIT_ADMIN, CITY, "新乡市平台审计管理员", None),
    ("demo_hub", roles.HUB_ADMIN, CITY, "新乡市平台对接管理员", None),
    ("demo_hub_approver", roles.HUB_APPROVER, CITY, "新乡市平台对接审批管理员", None),
    ("demo_city", roles.CITY_ADMIN, CITY, "新乡市工业和信息化局", None),
    ("demo_county", roles.COUNTY_OFFICIAL, COUNTY, "长垣市工业和信息化局", None),
    ("demo_county2", roles.COUNTY_OFFICIAL, COUNTY_2, "新乡县工业和信息化局", None),
    ("demo_ent_crane", roles.ENTERPRISE, COUNTY, "长垣市恒力起重机械有限公司", "MA40QX1C3"),
    ("demo_ent_medical", roles.ENTERPRISE, COUNTY, "长垣市康泰卫生材料有限公司", "MA44B7R2K"),
    ("demo_ent_battery", roles.ENTERPRISE, COUNTY_2, "新乡县华锐电池材料有限公司", "MA46D3T8N"),
    ("demo_ent_flour", roles.ENTERPRISE, COUNTY_2, "新乡县丰源粮食机械有限公司", "MA3XKL5P0"),
    ("demo_prov_cloud", roles.PROVIDER, CITY, "新乡智云数字科技有限公司", "MA47F2W9H"),
    ("demo_prov_iiot", roles.PROVIDER, COUNTY, "河南中原工业互联网服务有限公司", "MA45J8U1E"),
]


def load_demo(session: Session, echo: Callable[[str], None] = print) -> list[tuple[str, str, str]]:
    """Create the demo accounts that do not exist yet; print and return (username, role, password)."""
    created = []
    for username, role, region, name, org in DEMO_USERS:
        if get_user_by_username(username, session=session) is not None:
            continue
        if role == roles.SYS_ADMIN and not needs_setup(session):
            continue  # an installation that already has its administrator keeps it alone
        password = generate_password()
        service.create_user(
            session, actor=None, username=username, role=role, region_code=region, display_name=name,
            credit_code=_credit_code(region, org) if org else None, password=password,
            must_change_password=False,
        )
        created.append((username, role, password))
    records = _load_records(session)
    from app.evaluations.demo import load as load_evaluations

    evaluations = load_evaluations(session)
    if created:
        echo("已载入演示数据（新乡市 / 长垣市 / 新乡县）。演示账号及密码（仅显示这一次）：")
        for username, role, password in created:
            echo(f"  {roles.LABELS[role]:<8} {username:<18} {password}")
    if records:
        echo(f"已载入演示记录 {records} 条（服务商、产品和解决方案、试点企业、绩效目标）。")
    if evaluations:
        echo(f"已载入演示数字化水平评测 {evaluations} 份（自评测、现场评定，含待确认、待审核和已通过）。")
    if not created and not records and not evaluations:
        echo("演示数据已存在，未做改动。")
    return created


def _scene(path: str, desc: str, segment: str, industry: str) -> dict:
    return {"desc": desc, "subdivideIndustry": segment, "itemName": path, "industryName": industry}


def _cover_png(width: int = 240, height: int = 135, rgb=(31, 95, 168)) -> bytes:
    """A plain-coloured PNG cover for the demo products (no image files shipped)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = (b"\x00" + bytes(rgb) * width) * height
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def _region(county: str) -> dict:
    return {"provinceCode": "410000", "cityCode": CITY, "countyCode": "" if county == CITY else county}


# (library, owner username, spec JSON) — the JSON is exactly what each record would push.
def _demo_payloads() -> list[tuple[Library, str, dict]]:
    crane, medical = "专用设备制造业", "医药制造业"
    return [
        (PROVIDERS, "demo_prov_cloud", {"serviceName": "新乡智云数字科技有限公司", "unifiedCreditCode": None,
                                          "contactPerson": "王磊", "contactPhone": "0373-5551234", **_region(CITY),
                                          "address": "新乡市红旗区新二街 66 号", "serviceType": 1}),
        (PROVIDERS, "demo_prov_iiot", {"serviceName": "河南中原工业互联网服务有限公司", "unifiedCreditCode": None,
                                         "contactPerson": "赵静", "contactPhone": "0373-8802211", **_region(COUNTY),
                                         "address": "长垣市山海大道 18 号", "serviceType": 2}),
        (PILOTS, "demo_ent_crane", {"companyName": "长垣市恒力起重机械有限公司", "creditCode": None, **_region(COUNTY),
                                      "registAddress": "河南省/新乡市/长垣市/起重产业园 8 号", "industryName": crane,
                                      "industrySegments": "起重机械"}),
        (PILOTS, "demo_ent_medical", {"companyName": "长垣市康泰卫生材料有限公司", "creditCode": None,
                                        **_region(COUNTY), "registAddress": "河南省/新乡市/长垣市/丁栾镇卫材园 3 号",
                                        "industryName": medical, "industrySegments": "医用卫生材料"}),
        (PILOTS, "demo_ent_battery", {"companyName": "新乡县华锐电池材料有限公司", "creditCode": None,
                                        **_region(COUNTY_2), "registAddress": "河南省/新乡市/新乡县/经济开发区 12 号",
                                        "industryName": "电气机械和器材制造业", "industrySegments": "电池材料"}),
        (PILOTS, "demo_ent_flour", {"companyName": "新乡县丰源粮食机械有限公司", "creditCode": None,
                                      **_region(COUNTY_2), "registAddress": "河南省/新乡市/新乡县/七里营镇 5 号",
                                      "industryName": crane, "industrySegments": "粮食机械"}),
        (PRODUCTS, "demo_prov_cloud", {
            "softwareName": "起重装备远程运维云平台", "companyName": "新乡智云数字科技有限公司",
            "depTypeCode": "CLOUD_NATIVE_DEPLOYMENT", "buyMethodCode": "year_bill",
            "sofDes": "为起重机械企业提供设备联网、远程监测和预测性维护。", "sofInfoDes": "设备接入网关、运行监测看板、故障预警和维保工单。",
            "releaseType": 3, "releaseDate": "2025-03-01", "priceRangeMax": 200000, "priceRangeMin": 30000,
            "fileList": [],  # the cover is uploaded by _load_records
            "useSceneList": [
                _scene("生产执行数字化/设备管理/设备运行实时监测", "起重机运行数据实时采集与告警", "起重机械", crane),
                _scene("生产执行数字化/设备管理/设备故障预测", "关键部件寿命预测与维保提醒", "起重机械", crane),
            ]}),
        (ARCHIVES, "demo_ent_crane", {
            **example_payload("长垣市恒力起重机械有限公司", None, [("新乡智云数字科技有限公司", "起重装备远程运维云平台")],
                              needs=2, maps=2),
            "registAddress": "河南省/新乡市/长垣市/起重产业园 8 号"}),
        (TARGETS, "demo_city", {
            "industryName": crane, "subIndustryId": "起重机械", "practiceRegion": "新乡市长垣市",
            "regulateUpEntTotal": 126, "regulateUnderEntTotal": 312, "regulateUnderIndustryTotal": 1850000,
            "regulateUpIndustryTotal": 1420000, "regulateUpReformEnt": 114, "regulateUnderReformEnt": 150,
            "serviceSelectTotal": 12, "reformInnovateEntTotal": 45, "cloudEntTotal": 260, "solution": 15,
            "digitWorkshop": 10, "OtherSituations": "打造起重装备产业集群“链式”转型样板。", "cycleNumber": None,
            "cycleStatus": 0, "performanceCycleList": []}),
    ]


def _load_records(session: Session) -> int:
    """Create the demo records whose natural key is still free, each through its form and the shared save."""
    count = 0
    with current_app.test_request_context():
        for lib, username, payload in _demo_payloads():
            owner = get_user_by_username(username, session=session)
            if owner is None:
                continue
            if lib.credit_attr:
                payload[lib.credit_attr] = owner.credit_code
            if lib is PRODUCTS:
                cover = save_upload(FileStorage(io.BytesIO(_cover_png()), filename="产品封面.png"), file_type=3,
                                    owner_region=owner.region_code, owner_credit=owner.credit_code,
                                    user_id=owner.id, session=session)
                payload["fileList"] = [{"fileType": 3, "fileName": "产品封面.png", "file": cover.id,
                                        "fileSize": str(cover.size), "fileCategory": "png"}]
            form = lib.form.from_wire(payload)
            with uploads_for(Owner(owner.region_code, owner.credit_code, owner.id)):
                valid = form.validate_for(submit=True)
            if not valid:
                raise RuntimeError(f"演示记录无效：{lib.key} {form.errors}")
            wire = form.to_wire()
            where = place(session, lib, wire, actor=owner, claimed_region=claimed_region(form))
            if find_by_key(lib.model, session=session, **where.key):
                continue
            ingest(session, lib, wire, actor=owner, submit=True, placement=where)
            count += 1
    return count


@click.command("demo", help="载入演示区县（新乡市、长垣市、新乡县）和各角色演示账号。")
@with_appcontext
def demo_command():
    load_demo(get_session(), echo=click.echo)
