"""产品和解决方案库 as a library of the platform. A product belongs to the provider named in companyName."""
from __future__ import annotations

from sqlmodel import select

from app.accounts import roles
from app.libraries.registry import Library, register
from app.products.forms import ProductForm
from app.products.models import Product
from app.providers.models import Provider


def _provider_of(wire: dict, session) -> tuple[str, str | None] | None:
    """The (region, credit code) of the provider record whose name is the product's companyName."""
    name = wire.get("companyName")
    if not name:
        return None
    row = session.exec(select(Provider.region_code, Provider.credit_code).where(Provider.title == name)).first()
    return tuple(row) if row else None


def _industry(wire: dict) -> str | None:
    scenes = wire.get("useSceneList") or []
    return next((s.get("industryName") for s in scenes if s.get("industryName")), None)


LIBRARY = register(Library(
    key="products", title="产品和解决方案库", noun="产品和解决方案", spec_section="2.3",
    wire_path="/cloud-supply-demand/software/apiUpload",
    wire_key=("companyName", "softwareName"), nav_rank=4,
    model=Product, form=ProductForm, owner_role=roles.PROVIDER, credit_attr=None, title_attr="softwareName",
    industry_of=_industry, owner_name_attr="companyName", natural_key=("company_name", "title"),
    key_fields=("softwareName",),
    extra_columns=lambda wire: {"company_name": wire.get("companyName") or None}, owner_of=_provider_of,
    orphan_refused="所属企业“{name}”不在服务商库中：请先推送该服务商（服务商库），再推送其产品",
    orphan_attr="companyName",
    search_columns=("company_name",),
    columns=(("产品和解决方案名称", "softwareName"), ("所属企业", "companyName"), ("部署方式", "depTypeCode"),
             ("发布标识", "releaseType")),
))
