"""服务商库 as a library of the platform."""
from __future__ import annotations

from app.accounts import roles
from app.libraries.registry import Library, register
from app.providers.forms import ProviderForm
from app.providers.models import Provider

LIBRARY = register(Library(
    key="providers", title="服务商库", noun="服务商", spec_section="2.2",
    wire_path="/cloud-supply-demand/serviceProvider/apiUpload",
    wire_key=("unifiedCreditCode",), wire_name=("serviceName", "unifiedCreditCode"), nav_rank=3,
    model=Provider, form=ProviderForm, owner_role=roles.PROVIDER, credit_attr="unifiedCreditCode",
    title_attr="serviceName", industry_of=lambda wire: None, has_industry=False,
    owner_name_attr="serviceName", natural_key=("credit_code",), key_fields=("unifiedCreditCode",),
    columns=(("服务商名称", "serviceName"), ("统一信用代码", "unifiedCreditCode"), ("服务商类型", "serviceType"),
             ("联系人", "contactPerson")),
))
