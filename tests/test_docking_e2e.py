"""County → city roll-up between two whole instances: the city platform (upper) registers and approves the
county platform (lower); the lower imports the configuration file the upper exported and pushes records
of all five libraries; the upper's review queue shows them as 下级平台推送 from that platform, approval
puts them in its formal libraries, and the lower shows each record's push result. Both run as `run.py`
processes on loopback with their own SQLite files; everything between them is real HTTP."""
from __future__ import annotations

import io
import json
import re
import time

import pytest
from werkzeug.datastructures import FileStorage

from app.accounts import roles
from app.accounts.service import create_user
from app.archives.example import example_payload
from app.db import get_session
from app.files import storage
from app.files.fields import Owner, uploads_for
from app.files.models import StoredFile
from app.files.service import save_upload
from app.libraries.registry import LIBRARIES
from app.libraries.service import save
from tests.instances import WebClient, new_instance
from tests.samples import PASSWORD, PILOT, PRODUCT, PROVIDER, TARGET, png_bytes

COUNTY, CITY = "410783", "410700"  # 长垣市 pushes to 新乡市
ORDER = ("providers", "products", "pilots", "targets", "archives")  # an archive names a provider and product
TIMEOUT_S = 60


def _seed_upper(instance):
    app = instance.app()
    with app.app_context():
        session = get_session()
        for username, role, region, name in (
                ("hub", roles.HUB_ADMIN, CITY, "新乡市对接管理员"), ("approver", roles.HUB_APPROVER, CITY, "新乡市对接审批"),
                ("city", roles.CITY_ADMIN, CITY, "新乡市工信局"), ("county", roles.COUNTY_OFFICIAL, COUNTY, "长垣市工信局")):
            create_user(session, actor=None, username=username, role=role, region_code=region, password=PASSWORD,
                        display_name=name, must_change_password=False)


def _payloads(cover_id: int, size: int) -> dict[str, dict]:
    product = dict(PRODUCT, fileList=[{"fileType": 3, "fileName": "封面.png", "file": cover_id, "fileSize": str(size),
                                       "fileCategory": "png"}])
    archive = example_payload(PILOT["companyName"], PILOT["creditCode"],
                              [(PROVIDER["serviceName"], PRODUCT["softwareName"])], needs=1, maps=1)
    return {"providers": PROVIDER, "products": product, "pilots": PILOT, "targets": TARGET, "archives": archive}


def _seed_lower(instance) -> dict[str, int]:
    """The county's administrator and one formal record in each library; returns their ids."""
    app = instance.app()
    with app.test_request_context():
        session = get_session()
        admin = create_user(session, actor=None, username="county_admin", role=roles.CITY_ADMIN, region_code=COUNTY,
                            password=PASSWORD, display_name="长垣市平台管理员", must_change_password=False)
        cover = save_upload(FileStorage(io.BytesIO(png_bytes()), filename="封面.png"), file_type=3,
                            owner_region=COUNTY, owner_credit=None, user_id=admin.id, session=session)
        ids = {}
        for key, payload in _payloads(cover.id, cover.size).items():
            lib = LIBRARIES[key]
            with uploads_for(Owner(COUNTY, None, admin.id)):
                form = lib.form.from_wire(payload)
                if getattr(form, "region", None) is not None:
                    form.region.data = COUNTY
                assert form.validate_for(submit=True), (key, form.errors)
            record = save(lib, form, user=admin, session=session, submit=True)  # an official's entry: formal at once
            assert record.formal_payload is not None
            ids[key] = record.id
    return ids


@pytest.fixture
def pair(tmp_path, template_db):
    upper = new_instance(tmp_path / "city", template_db)
    lower = new_instance(tmp_path / "county", template_db, DOCKING_WORKER="true", DOCKING_POLL_SECONDS="1")
    _seed_upper(upper)
    ids = _seed_lower(lower)
    try:
        yield upper.start(), lower.start(), ids
    finally:
        lower.stop()
        upper.stop()


def _wait_for(check, what: str, *instances):
    began = time.monotonic()
    while time.monotonic() - began < TIMEOUT_S:
        result = check()
        if result:
            return result
        time.sleep(0.5)
    raise AssertionError(f"{TIMEOUT_S} 秒内未{what}\n" + "\n".join(i.log() for i in instances))


def _register_and_approve(upper) -> str:
    """The upper's hub administrator registers the county platform, its approver approves it, and the
    configuration file is downloaded from the one-time credentials page."""
    hub = WebClient(upper.base).login("hub", PASSWORD)
    page = hub.get("/hub/platforms/new").text
    bound = re.search(r'<option value="(\d+)"[^>]*>[^<]*county', page) or re.search(
        r'<option value="(\d+)"[^>]*>[^<]*长垣市工信局', page)
    assert bound, page
    response = hub.post("/hub/platforms/new", {
        "name": "长垣市中小企业数字化转型公共服务平台", "domain": "szzx.changyuan.gov.cn", "ip": "127.0.0.1",
        "bound_user_id": bound.group(1), "push_window": "00:00-00:00", "weekly_quota": "100", "max_kb": "10240"},
        allow_redirects=False)
    assert response.status_code == 302, response.text
    platform_path = response.headers["Location"]
    platform_id = re.search(r"/hub/platforms/(\d+)", platform_path).group(1)
    if 'data-docking="on"' not in hub.get("/hub/").text:  # the global switch: 开启对接
        hub.post("/hub/docking", {"enabled": "1"})
    assert 'data-docking="on"' in hub.get("/hub/").text

    approver = WebClient(upper.base).login("approver", PASSWORD)
    approver.get(f"/hub/platforms/{platform_id}")
    shown = approver.post(f"/hub/platforms/{platform_id}/approve")
    assert shown.status_code == 200 and "平台已批准" in shown.text
    secret = re.search(r'name="client_secret"[^>]*value="([^"]+)"', shown.text).group(1)
    download = approver.post(f"/hub/platforms/{platform_id}/config", {"client_secret": secret})
    assert download.headers["Content-Type"].startswith("application/json")
    assert "attachment" in download.headers["Content-Disposition"]
    return download.text


def _submission_ids(client) -> list[str]:
    return re.findall(r'name="ids" value="(\d+)"', client.get("/review/").text)


def test_a_county_platform_pushes_all_five_libraries_to_its_city(pair):
    upper, lower, ids = pair
    config = _register_and_approve(upper)
    assert json.loads(config)["baseUrl"] == f"{upper.base}/szhzx/app-gate-api"

    # The county imports the file and tests the connection.
    admin = WebClient(lower.base).login("county_admin", PASSWORD)
    admin.get("/docking/settings")
    imported = admin.http.post(f"{lower.base}/docking/settings/import", data={"csrf_token": admin.csrf},
                               files={"config_file": ("docking-config.json", config.encode(), "application/json")})
    assert "已导入对接配置文件" in imported.text, imported.text
    tested = admin.post("/docking/settings/test", htmx=True)
    assert "flash-success" in tested.text, tested.text

    # Every library's formal record into the outbox ("everything matching the filter"); the worker sends.
    admin.get("/docking/push")
    for key in ORDER:
        queued = admin.post("/docking/push", {"lib": key, "scope": "all"})
        assert "已加入推送队列 1 条" in queued.text, queued.text

    def all_sent():
        page = admin.get("/docking/progress", headers={"HX-Request": "true"}).text
        return "已推送 5 条" in page and page
    _wait_for(all_sent, "推送完成", lower, upper)
    for key in ORDER:
        listed = admin.get(f"/lib/{key}/").text
        assert "已推送（新增）" in listed, (key, listed)
    assert 'data-push-state="added"' in admin.get(f"/archives/{ids['archives']}").text  # the archive's own page

    # The city's review queue shows them, from that platform; the county approves first where the
    # library has two levels, then the city confirms everything.
    county = WebClient(upper.base).login("county", PASSWORD)
    queue = county.get("/review/").text
    assert "下级平台推送" in queue and "长垣市中小企业数字化转型公共服务平台" in queue
    county.post("/review/bulk", {"ids": ",".join(_submission_ids(county))})
    city = WebClient(upper.base).login("city", PASSWORD)
    pending = _submission_ids(city)
    assert len(pending) == 5
    done = city.post("/review/bulk", {"ids": ",".join(pending)})
    assert "已批量通过 5 条" in done.text, done.text
    for key in ORDER:
        listed = city.get(f"/lib/{key}/").text
        assert "已入库" in listed, (key, listed)

    # The formal records are exactly what the county sent, the product's cover included.
    app = upper.app()
    with app.app_context():
        session = get_session()
        for key in ORDER:
            lib = LIBRARIES[key]
            record = session.exec(lib.model.__table__.select()).first()
            formal = json.loads(record.formal_payload)
            assert formal.get(lib.title_attr), key
        product = session.exec(LIBRARIES["products"].model.__table__.select()).first()
        cover = json.loads(product.formal_payload)["fileList"][0]
        assert cover["fileName"] == "封面.png" and cover["fileCategory"] == "png"
        stored = session.get(StoredFile, cover["file"])  # the bytes arrived and are kept by the city
        assert storage.blob_path(stored.sha256).read_bytes() == png_bytes()

    # A second push of the pilot enterprise is an update on both sides.
    admin.post("/docking/push", {"lib": "pilots", "ids": str(ids["pilots"])})
    _wait_for(lambda: "已推送（更新）" in admin.get("/lib/pilots/").text, "显示“已推送（更新）”", lower, upper)

    # The upper's call log has the token call and the six uploads.
    hub = WebClient(upper.base).login("hub", PASSWORD)
    overview = hub.get("/hub/").text
    platform_id = re.search(r"/hub/platforms/(\d+)", overview).group(1)
    calls = hub.get(f"/hub/platforms/{platform_id}/calls").text
    for key in ORDER:
        assert LIBRARIES[key].title in calls, (key, calls)
