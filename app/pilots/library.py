"""试点企业库 as a library of the platform."""
from __future__ import annotations

from app.accounts import roles
from app.libraries.registry import Library, register
from app.pilots.forms import PilotEnterpriseForm
from app.pilots.models import PilotEnterprise

LIBRARY = register(Library(
    key="pilots", title="试点企业库", noun="试点企业", spec_section="2.4",
    wire_path="/cloud-supply-demand/pilotCompBaseInfo/apiUpload",
    review_levels="county+city", nav_rank=1,
    model=PilotEnterprise, form=PilotEnterpriseForm, owner_role=roles.ENTERPRISE, credit_attr="creditCode",
    title_attr="companyName", owner_name_attr="companyName", natural_key=("credit_code",), key_fields=("creditCode",),
    columns=(("企业名称", "companyName"), ("信用代码", "creditCode"), ("行业", "industryName"),
             ("细分行业", "industrySegments")),
))
