"""The evaluation pages through the test client: a self-assessment step by step (refusals beside the field,
nothing stored half, a warned inconsistency), its report and Word download; an on-site assessment assigned,
filled with evidence, confirmed and approved, which fills the archive; the analysis and its export; the rule
editor's versions; and scope."""
from __future__ import annotations

import io
import json
import re
import zipfile

import pytest
from openpyxl import load_workbook
from sqlmodel import select

from app.accounts import roles
from app.archives.models import Archive
from app.audit.models import AuditEvent
from app.db import get_session
from app.demo import _credit_code
from app.evaluations import rules as R
from app.evaluations.models import Evaluation, RuleRevision
from app.review.models import open_submissions_of
from tests.evaluation_support import BASE, CREDIT, MANAGE, OTHER_CREDIT, PNG, RESULTS, RULES, SCENES, seed_pilot
from tests.samples import login


@pytest.fixture
def world(app, make_user):
    city = make_user(roles.CITY_ADMIN, "410700", username="city", display_name="新乡市工业和信息化局")
    seed_pilot(app, city)
    seed_pilot(app, city, credit=OTHER_CREDIT, region="410721", name="新乡县华锐电池材料有限公司",
               industry="电气机械和器材制造业", segment="电池材料")
    ent = make_user(roles.ENTERPRISE, "410783", username="crane", credit_code=CREDIT, display_name="长垣市恒力起重机械有限公司")
    other = make_user(roles.ENTERPRISE, "410721", username="battery", credit_code=OTHER_CREDIT)
    assessor = make_user(roles.PROVIDER, "410700", username="assessor", credit_code=_credit_code("410700", "MA47F2W9H"),
                         display_name="新乡智云数字科技有限公司")
    outsider = make_user(roles.PROVIDER, "410100", username="outsider", credit_code=_credit_code("410100", "MA47F2W9J"))
    county = make_user(roles.COUNTY_OFFICIAL, "410783", username="county")
    return {"city": city, "ent": ent, "other": other, "assessor": assessor, "outsider": outsider, "county": county}


def _post(client, url, data, **kw):
    return client.post(url, data=data, **kw)


def fill(client, ev_id, *, steps=(("d1", BASE), ("d2", MANAGE), ("d3", RESULTS), ("scenes", SCENES))):
    for key, data in steps:
        r = _post(client, f"/evaluations/{ev_id}/step/{key}", data)
        assert r.status_code == 302, r.get_data(as_text=True)[:2000]


def start_self(client, stage="before", period="2025"):
    r = client.post("/evaluations/self", data={"stage": stage, "period": period})
    assert r.status_code == 302
    return int(re.search(r"/evaluations/(\d+)/step/d1", r.headers["Location"]).group(1))


def test_self_assessment_refusals_keep_other_answers_and_store_nothing(client, world, app):
    login(client, "crane")
    ev_id = start_self(client)
    bad = dict(BASE, Q6=["A", "B"], **{"Q2.f3": "120"})
    bad.pop("Q5")
    r = client.post(f"/evaluations/{ev_id}/step/d1", data=bad, headers={"HX-Request": "true"})
    assert r.status_code == 200 and "HX-Push-Url" not in r.headers  # htmx swaps only 2xx: the same step again
    html = r.get_data(as_text=True)
    assert "本步未保存" in html
    assert client.post(f"/evaluations/{ev_id}/step/d1", data=bad).status_code == 422
    assert "<html" not in html  # a fragment
    assert "“无”不能与其他选项同时选择。" in html and "此题为必答题，请选择一项。" in html
    assert "实现数字化的生产设备数量不能大于生产设备总数。" in html
    assert 'value="100"' in html and 'name="Q1" value="B" checked' in html  # the other answers are kept
    with app.app_context():
        assert get_session().get(Evaluation, ev_id).answers == "{}"
    r = client.post(f"/evaluations/{ev_id}/step/scenes", data=dict(SCENES, S3="7"))
    assert r.status_code == 422 and "场景等级只能是 0–4。" in r.get_data(as_text=True)


def test_self_assessment_with_a_warning_report_and_word(client, world, app):
    login(client, "crane")
    ev_id = start_self(client)
    r = client.post(f"/evaluations/{ev_id}/step/d1", data=BASE, headers={"HX-Request": "true"})
    assert r.status_code == 200 and r.headers["HX-Push-Url"].endswith("/step/d2")
    fill(client, ev_id, steps=(("d2", MANAGE), ("d3", RESULTS), ("scenes", SCENES)))
    page = client.get(f"/evaluations/{ev_id}/step/d1").get_data(as_text=True)
    assert "设备数字化率为 42.0%" in page and "(40%,60%]" in page  # the warning beside Q2
    r = client.post(f"/evaluations/{ev_id}/complete", data={})
    assert r.status_code == 422 and "请阅读并勾选真实性承诺" in r.get_data(as_text=True)
    r = client.post(f"/evaluations/{ev_id}/complete", data={"pledge": "yes"})
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/evaluations/{ev_id}/report")
    report = client.get(f"/evaluations/{ev_id}/report").get_data(as_text=True)
    with app.app_context():
        ev = get_session().get(Evaluation, ev_id)
        result = ev.result_data
        assert ev.status == "done" and ev.counted and ev.rule_version == 1
    assert result["level_name"] in report and result["base_score"] in report
    assert "未经官方原文核对" in report  # the confidence beside the verdict
    assert "距离" in report and "设备数字化率为 42.0%" in report
    chart = client.get(f"/evaluations/{ev_id}/report.json").get_json()
    assert chart["radar"]["values"] == [float(d["score"]) for d in result["dimensions"]]
    docx = client.get(f"/evaluations/{ev_id}/report.docx")
    assert docx.status_code == 200
    text = zipfile.ZipFile(io.BytesIO(docx.data)).read("word/document.xml").decode()
    assert "数字化水平评测报告" in text and result["level_name"] in text
    # another enterprise cannot see it
    client.post("/logout")
    login(client, "battery")
    assert client.get(f"/evaluations/{ev_id}/report").status_code == 404



def test_onsite_assessment_assigned_confirmed_approved_fills_the_archive(client, world, app):
    login(client, "city")
    r = client.post("/evaluations/assign", data={"credit_code": CREDIT, "assessor_id": world["outsider"].id,
                                                  "stage": "before", "period": "2025"})
    assert r.status_code == 422 and "所选评定人不在本地区范围内" in r.get_data(as_text=True)
    r = client.post("/evaluations/assign", data={"credit_code": CREDIT, "assessor_id": world["assessor"].id,
                                                  "stage": "before", "period": "2025"})
    assert r.status_code == 302
    ev_id = int(r.headers["Location"].rsplit("/", 1)[1])
    client.post("/logout")

    login(client, "assessor")
    assert "长垣市恒力起重机械有限公司" in client.get("/evaluations/").get_data(as_text=True)
    fill(client, ev_id)
    r = client.post(f"/evaluations/{ev_id}/evidence", data={"question_id": "Q1", "material": "网络拓扑图", "step": "d1",
                                                             "file": (io.BytesIO(b"MZ\x90\x00not a pdf"), "topo.pdf")},
                    content_type="multipart/form-data", follow_redirects=True)
    assert "支撑材料未保存" in r.get_data(as_text=True)
    r = client.post(f"/evaluations/{ev_id}/evidence", data={"question_id": "Q1", "material": "网络拓扑图", "step": "d1",
                                                             "file": (io.BytesIO(b"hello"), "notes.exe")},
                    content_type="multipart/form-data", follow_redirects=True)
    assert "支撑材料只能是" in r.get_data(as_text=True)
    r = client.post(f"/evaluations/{ev_id}/evidence", data={"question_id": "Q1", "material": "网络拓扑图", "step": "d1",
                                                             "file": (io.BytesIO(PNG), "topo.png")},
                    content_type="multipart/form-data", follow_redirects=True)
    assert "第 1 题的支撑材料已上传" in r.get_data(as_text=True)
    assert client.post(f"/evaluations/{ev_id}/complete", data={"pledge": "yes"}).status_code == 302
    client.post("/logout")

    login(client, "crane")
    page = client.get(f"/evaluations/{ev_id}").get_data(as_text=True)
    assert "网络拓扑图" in page and "确认无误" in page
    r = client.post(f"/evaluations/{ev_id}/confirm", data={"agree": "no", "note": ""})
    assert r.status_code == 422 and "有异议时请写明异议内容" in r.get_data(as_text=True)
    assert client.post(f"/evaluations/{ev_id}/confirm", data={"agree": "yes"}).status_code == 302
    client.post("/logout")

    # The city decides in the review queue; on-site results skip the county level.
    with app.app_context():
        sub_id = open_submissions_of("evaluation", ev_id, session=get_session())[0].id
    login(client, "county")
    assert "长垣市恒力起重机械有限公司" not in client.get("/review/").get_data(as_text=True)
    r = client.post(f"/review/{sub_id}/decide", data={"decision": "approve"}, follow_redirects=True)
    assert "该申请由市级主管部门审核" in r.get_data(as_text=True)
    client.post("/logout")
    login(client, "city")
    # The analysis is kept between requests until a counted result changes it (asked here before the approval).
    assert client.get("/evaluations/analysis.json?kind=onsite").get_json()["total"] == 0
    queue = client.get("/review/?library=evaluation").get_data(as_text=True)
    assert "数字化水平现场评定" in queue and "长垣市恒力起重机械有限公司" in queue
    pane = client.get(f"/review/{sub_id}").get_data(as_text=True)
    assert "现场评定结果" in pane and "写入企业一企一档的改造前" in pane
    r = client.post(f"/review/{sub_id}/decide", data={"decision": "return", "reason": ""})
    assert r.status_code == 422 and "退回修改时必须填写原因" in r.get_data(as_text=True)
    r = client.post(f"/review/{sub_id}/decide", data={"decision": "approve"}, follow_redirects=True)
    assert "已审核通过：" in r.get_data(as_text=True)
    r = client.post(f"/review/{sub_id}/decide", data={"decision": "approve"}, follow_redirects=True)
    assert "无需重复操作" in r.get_data(as_text=True)
    overview = client.get(f"/evaluations/{ev_id}").get_data(as_text=True)
    assert "将数字化水平等级写入企业档案" in overview and "审核记录" in overview
    client.post("/logout")
    # The assessor opens the supporting material it uploaded (the file lies in the enterprise's scope).
    login(client, "assessor")
    link = re.search(rf'href="(/evaluations/{ev_id}/evidence/\d+)"', client.get(f"/evaluations/{ev_id}").get_data(as_text=True))
    assert link, "the assessor sees a link to its evidence"
    r = client.get(link.group(1))
    assert r.status_code == 200 and r.data == PNG
    assert client.get(link.group(1).rsplit("/", 1)[0] + "/999999").status_code == 404
    client.post("/logout")
    login(client, "city")
    with app.app_context():
        session = get_session()
        ev = session.get(Evaluation, ev_id)
        archive = session.exec(select(Archive).where(Archive.credit_code == CREDIT)).first()
        wire = json.loads(archive.payload)
        code = RULES.data["archive_level_codes"]["codes"][str(ev.level)]
        assert wire["transInfo"]["degitalLevel"] == code
        actions = [e.action for e in session.exec(select(AuditEvent)).all()]
        for action in ("evaluation.assign", "evaluation.onsite_submit", "evaluation.confirm", "review.submit",
                       "review.approve", "evaluation.archive", "evaluation.evidence", "archives.create"):
            assert action in actions
    page = client.get(f"/archives/{archive.id}").get_data(as_text=True)
    assert "数字化水平等级来源" in page and "现场评定" in page

    # The analysis shows the enterprise in its county, industry and pilot industry.
    html = client.get("/evaluations/analysis?kind=onsite").get_data(as_text=True)
    assert "长垣市" in html and "专用设备制造业" in html and "起重装备" in html
    data = client.get("/evaluations/analysis.json?kind=onsite").get_json()
    assert data["total"] == 1 and data["by_county"]["labels"] == ["长垣市"]
    xlsx = client.get("/evaluations/analysis.xlsx?kind=onsite")
    wb = load_workbook(io.BytesIO(xlsx.data))
    assert wb["按区县"]["A2"].value == "长垣市" and wb["总体情况"]["B2"].value == 1


def test_scope_of_pages(client, world, app):
    login(client, "crane")
    ev_id = start_self(client)
    client.post("/logout")
    login(client, "county")  # 长垣市 official sees it
    assert client.get(f"/evaluations/{ev_id}").status_code == 200
    client.post("/logout")
    from app.accounts import service as accounts
    with app.app_context():
        accounts.create_user(get_session(), actor=None, username="county2", role=roles.COUNTY_OFFICIAL,
                             region_code="410721", password="Test-Passw0rd!", credit_code=None, display_name="x",
                             must_change_password=False)
    login(client, "county2")
    assert client.get(f"/evaluations/{ev_id}").status_code == 404
    assert client.get("/evaluations/rules").status_code == 200
    assert client.post("/evaluations/rules", data={}).status_code == 403
    client.post("/logout")
    login(client, "assessor")
    assert client.get(f"/evaluations/{ev_id}").status_code == 404
    assert client.get("/evaluations/analysis").status_code == 403


def _rules_form(rules: R.Rules, **changes) -> dict:
    form = {"level_confidence": rules.level_confidence, "reason": "按官方 PDF 核对", "source_url": "https://www.gov.cn/x.pdf"}
    for r in rules.level_rows:
        form[f"L{r.level}_min_base_score"] = str(r.min_base_score)
        form[f"L{r.level}_min_scenes_at_or_above"] = str(r.min_scenes)
        form[f"L{r.level}_min_constrained_at_or_above"] = str(r.min_constrained)
    for s in rules.scenes:
        if s.constrained:
            form[f"constrained_S{s.order}"] = "yes"
    for q in rules.questions:
        for o in q.options:
            form[f"P_{q.id}_{o.key}"] = str(o.points)
    form.update(changes)
    return {k: v for k, v in form.items() if v is not None}


def test_rule_corrections_are_versions_and_old_reports_stay(client, world, app):
    login(client, "crane")
    ev_id = start_self(client)
    fill(client, ev_id)
    client.post(f"/evaluations/{ev_id}/complete", data={"pledge": "yes"})
    before = client.get(f"/evaluations/{ev_id}/report").get_data(as_text=True)
    client.post("/logout")
    login(client, "city")
    r = client.post("/evaluations/rules", data=_rules_form(RULES, L4_min_constrained_at_or_above="11"))
    assert r.status_code == 422 and "将使四级（协同级）无法达到" in r.get_data(as_text=True)
    r = client.post("/evaluations/rules", data=_rules_form(RULES, P_Q1_B="3"))
    assert r.status_code == 422 and "与该指标分值 8 不一致" in r.get_data(as_text=True)
    r = client.post("/evaluations/rules", data=_rules_form(RULES, L3_min_base_score="30"))
    assert r.status_code == 422 and "分数线不能低于" in r.get_data(as_text=True)
    r = client.post("/evaluations/rules", data=_rules_form(RULES, reason=""))
    assert "请填写修订原因" in r.get_data(as_text=True)
    r = client.post("/evaluations/rules", data=_rules_form(RULES, constrained_S12=None,
                                                          L1_min_base_score="25"))
    assert r.status_code == 302
    with app.app_context():
        session = get_session()
        row = session.exec(select(RuleRevision)).one()
        assert row.version == 2 and "仓储物流" in row.changes and row.editor_name == "新乡市工业和信息化局"
        assert R.current(session=session).version == 2
        assert len(session.exec(select(AuditEvent).where(AuditEvent.action == "evaluation.rules_correct")).all()) == 1
    page = client.get("/evaluations/rules").get_data(as_text=True)
    assert "第 2 版" in page and "场景“仓储物流”移出约束性场景" in page
    client.post("/logout")
    login(client, "crane")
    assert client.get(f"/evaluations/{ev_id}/report").get_data(as_text=True).count("第 1 版") == before.count("第 1 版")
    new_id = start_self(client, stage="after")
    with app.app_context():
        assert get_session().get(Evaluation, new_id).rule_version == 2
