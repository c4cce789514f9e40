"""Reference data as loaded: counts, the spec's exact spellings, wire codes, and the loader's idempotence."""
from __future__ import annotations

import csv
import time

import pytest
from sqlalchemy import text
from sqlmodel import func, select

from app.db import write
from app.dicts import service
from app.dicts.loader import DATA, load_reference_data
from app.dicts.models import DictItem, Industry, Region
from app.dicts.spec_dicts import scene_options


def count(db, model, *where) -> int:
    return db.exec(select(func.count()).select_from(model).where(*where)).one()


def test_table_sizes(db):
    assert count(db, Region) == 3218 + 1
    assert count(db, Region, Region.level == 1) == 31
    assert count(db, Industry) == 1971
    assert [count(db, Industry, Industry.level == n) for n in (1, 2, 3, 4)] == [20, 97, 473, 1381]


def test_every_province_and_spec_city_code_is_marked_as_in_the_spec_table(db):
    with (DATA / "spec-regions.tsv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    assert len(rows) == 404 and len({r["province_code"] for r in rows}) == 31
    spec_codes = {r["city_code"] for r in rows}
    found = db.exec(select(Region).where(Region.code.in_(spec_codes))).all()
    assert len(found) == 404 and all(r.in_spec_table for r in found)
    assert count(db, Region, Region.level == 1, Region.in_spec_table) == 31


@pytest.mark.parametrize("code, name", [("321100", "镇江市"), ("360200", "景德镇市"), ("360300", "萍乡市"),
                                        ("410700", "新乡市")])
def test_cities_missing_from_the_spec_table_exist_unmarked(db, code, name):
    region = db.get(Region, code)
    assert region.name == name and region.level == 2 and not region.in_spec_table


def test_spec_only_region(db):
    region = db.get(Region, "650091")
    assert (region.name, region.level, region.parent_code) == ("新疆生产建设兵团", 2, "650000")
    assert region.source == "spec"
    assert region.in_spec_table and service.wire_codes("650091", session=db) == ("650000", "650091")


@pytest.mark.parametrize("code, wire", [
    ("110105", ("110000", "110105")),  # a Beijing district stands in for the city, as in the spec's table
    ("410721", ("410000", "410700")),  # 新乡县 under 新乡市
    ("410700", ("410000", "410700")),
    ("419001", ("410000", "419001")),  # 济源市 under 省直辖县级行政区划
    ("500229", ("500000", "500229")),  # 城口县 under the 县 placeholder of 重庆
    ("410000", ("410000", None)),
    ("110100", ("110000", None)),  # the placeholder itself sends no city
    ("999999", (None, None)),
])
def test_wire_codes(db, code, wire):
    assert service.wire_codes(code, session=db) == wire


def test_placeholders_are_marked(db):
    placeholders = db.exec(select(Region.code).where(Region.is_placeholder)).all()
    assert sorted(placeholders) == ["110100", "120100", "310100", "419000", "429000", "469000", "500100",
                                    "500200", "659000"]


def test_dictionary_counts_and_spellings(db):
    counts = service.dict_counts(session=db)
    assert counts == {"service_type": 3, "file_type": 6, "buy_method": 7, "deploy_type": 11, "industry": 16,
                      "company_nature": 6, "company_scale": 3, "quality_cert": 5, "scale_range": 2,
                      "digital_level": 5, "star_rating": 5, "scene": 70, "token_error": 4, "push_error": 5}
    assert "Individual Champion" in [i.code for i in service.items("quality_cert", session=db)]
    assert service.label_of("buy_method", "Pay_other", session=db) == "其他"
    assert service.label_of("deploy_type", "Deployment_other", session=db) == "其他"
    assert service.label_of("scene", "CUSTOMER SERVICE", session=db) == "1.4.1 客户服务管理"
    assert service.label_of("push_error", "89503", session=db) == "当前时间段不能进行同步数据"
    assert service.label_of("token_error", "40002", session=db) == "grant_type 类型错误"
    assert service.label_of("industry", "铁路、船舶、航空航天和其他运输设备制造业", session=db)
    assert service.label_of("quality_cert", "individual champion", session=db) is None


def test_file_type_limits(db):
    limits = {i.code: (i.max_bytes, i.note) for i in service.items("file_type", session=db)}
    assert limits["3"] == (1024 * 1024, "文件大小不能超过 1M")
    assert [limits[c][0] // (1024 * 1024) for c in "123456"] == [50, 50, 1, 100, 100, 100]


def test_scene_tree(db):
    per_level = [count(db, DictItem, DictItem.dict_type == "scene", DictItem.level == n) for n in (1, 2, 3)]
    assert per_level == [6, 20, 44]
    options = scene_options()  # the pickers' tree, from the declaration
    top = [code for code, _ in options[None]]
    assert top[0] == "PRODUCT_LIFRCYCLE_DIGITALIZATION"
    assert top[-2:] == ["SCENC_OTHER", "ARTIFICIAL_INTELLIGENCE_SCENE"]
    assert "SCENC_OTHER" not in options
    assert [code for code, _ in options["AFTER_SALES_SERVICE"]] == [
        "CUSTOMER SERVICE", "ELECTRONIC_CUSTOMER_SERVICE", "MAINTENANCE_SERVICE_MANAGEMENT"]
    # The loaded table holds the same tree, in the same order.
    rows = db.exec(select(DictItem).where(DictItem.dict_type == "scene").order_by(DictItem.sort_order)).all()
    loaded: dict = {}
    for row in rows:
        loaded.setdefault(row.parent_code, []).append((row.code, row.label))
    assert loaded == options
    assert service.scene_path("DIGITAL_MODEL_VISUALIZATION_DESIGN", session=db) == \
        "产品生命周期数字化/产品设计/数字化建模及可视化设计"
    assert service.scene_path("PRODUCTION_DIGITALIZATION_OTHER_OTHER", session=db) == \
        "生产执行数字化/其他/其他"
    assert service.scene_path("SCENC_OTHER", session=db) == "其他"


def test_region_queries(db):
    assert service.region_label("410721", session=db) == "河南省 / 新乡市 / 新乡县"
    assert service.region_label("110105", session=db) == "北京市 / 朝阳区"
    assert service.region_label("nope", session=db) == "未知区域"
    beijing = [r.code for r in service.cities_of("110000", session=db)]
    assert "110105" in beijing and "110100" not in beijing and len(beijing) == 16
    henan = [r.code for r in service.cities_of("410000", session=db)]
    assert "410700" in henan and "419001" in henan and "419000" not in henan
    assert "650091" in [r.code for r in service.cities_of("650000", session=db)]
    assert "410721" in [r.code for r in service.counties_of("410700", session=db)]
    assert service.counties_of("110105", session=db) == []


def test_industry_queries(db):
    assert service.industry_path("3411", session=db) == \
        "制造业 / 通用设备制造业 / 锅炉及原动设备制造 / 锅炉及辅助设备制造"
    first, path = service.search_industries("软件开发", session=db, min_level=4)[0]
    assert first.code == "6511" and path == "信息传输、软件和信息技术服务业 / 软件和信息技术服务业 / 软件开发"
    assert [i.code for i, _ in service.search_industries("341", session=db)][:2] == ["341", "3411"]
    assert service.search_industries("  ", session=db) == []


def test_loader_is_idempotent_and_fast(db):
    before = count(db, Region), count(db, Industry), count(db, DictItem)
    started = time.perf_counter()
    again = load_reference_data(db)
    assert time.perf_counter() - started < 2
    assert (again["inserted"], again["updated"], again["deleted"]) == (0, 0, 0)
    assert (again["region"], again["industry"], again["dict_item"]) == before
    assert (count(db, Region), count(db, Industry), count(db, DictItem)) == before


def test_loader_repairs_edits_and_drops_undeclared_items(db):
    with write(db):
        db.exec(text("UPDATE region SET city_code = NULL WHERE code = '110105'"))
        db.exec(text("UPDATE dict_item SET label = '改过' "
                     "WHERE dict_type = 'scale_range' AND code = 'scale_above'"))
        db.exec(text("INSERT INTO dict_item (dict_type, code, label, sort_order, note) "
                     "VALUES ('scene', 'OLD_SCENE', '旧场景', 99, '')"))
    result = load_reference_data(db)
    assert (result["inserted"], result["updated"], result["deleted"]) == (0, 2, 1)
    db.expire_all()
    assert db.get(Region, "110105").city_code == "110105"
    assert service.label_of("scale_range", "scale_above", session=db) == "规模以上企业"
    assert service.get_item("scene", "OLD_SCENE", session=db) is None


def test_cli_load_prints_counts_in_chinese(app):
    result = app.test_cli_runner().invoke(args=["dicts", "load"])
    assert result.exit_code == 0, result.output
    assert "行政区划 3219 条" in result.output and "新增 0 条" in result.output
