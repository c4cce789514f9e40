"""绩效管理 as a library of the platform: the officials' own targets, no organisation owns them."""
from __future__ import annotations

from app.libraries.registry import Library, register
from app.targets.forms import TargetForm
from app.targets.models import Target

LIBRARY = register(Library(
    key="targets", title="绩效管理", noun="绩效目标", spec_section="2.5",
    wire_path="/cloud-supply-demand/performance/apiUpload",
    wire_key=("industryName", "subIndustryId", "practiceRegion"), wire_name=(), update_key="updataTotal",
    nav_rank=5,
    model=Target, form=TargetForm, owner_role=None, credit_attr=None, title_attr="subIndustryId",
    natural_key=("industry", "title", "region_code"), key_fields=("subIndustryId",),
    columns=(("行业名称", "industryName"), ("细分行业", "subIndustryId"), ("试点区域", "practiceRegion"),
             ("拟改造规上中小企业", "regulateUpReformEnt")),
))
