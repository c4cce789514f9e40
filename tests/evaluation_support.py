"""Sample answers and a seeded pilot enterprise shared by the evaluation tests."""
from __future__ import annotations

from app.db import get_session
from app.demo import _credit_code
from app.evaluations import rules as R
from app.libraries.registry import LIBRARIES
from app.libraries.service import ingest

CREDIT = _credit_code("410783", "MA40QX1C3")
OTHER_CREDIT = _credit_code("410721", "MA46D3T8N")
RULES = R.Rules(R.bank_file(), 1)

BASE = {"Q1": ["B", "C"], "Q2": "E", "Q2.f1": "", "Q2.f2": "100", "Q2.f3": "42", "Q3": "C", "Q3.f1": "",
        "Q3.f2": "30", "Q4": ["B", "C", "D", "G", "H"], "Q5": "C", "Q6": ["B", "C"], "Q7": ["B"]}
MANAGE = {"Q8": "D", "Q9": ["B", "C"], "Q10": ["B", "D"], "Q11": "A", "Q11.f1": "120"}
RESULTS = {"Q12": "C", "Q12.f1": "900", "Q12.f2": "1000", "Q13": "B", "Q13.f1": "98", "Q14": "C",
           "Q14.f1": "120", "Q14.f2": "15000", "Q14.f3": "118", "Q14.f4": "13000", "Q15": "C",
           "Q15.f1": "11000", "Q15.f2": "10000"}
SCENES = {f"S{i}": str(v) for i, v in enumerate([2, 1, 2, 1, 2, 3, 2, 3, 1, 2, 2, 2, 3, 1, 1, 1], 1)}


def seed_pilot(app, admin, credit=CREDIT, region="410783", name="长垣市恒力起重机械有限公司",
               industry="专用设备制造业", segment="起重机械"):
    with app.test_request_context():
        session = get_session()
        ingest(session, LIBRARIES["pilots"], {"companyName": name, "creditCode": credit, "industryName": industry,
                                              "industrySegments": segment},
               actor=admin, submit=True, claimed_region=region)

PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde"
       b"\x00\x00\x00\x0cIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")
