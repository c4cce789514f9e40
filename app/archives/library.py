"""一企一档 as a library of the platform: listed, scoped and saved like the others, edited by stage.

An archive belongs to the enterprise its creditCode names; its region is that of the enterprise's
pilot-enterprise record when there is one (the archive itself names no region)."""
from __future__ import annotations

from sqlmodel import select

from app.accounts import roles
from app.archives import stages, wire
from app.archives.forms import ArchiveForm
from app.archives.models import Archive
from app.libraries.records import find_by_key
from app.libraries.registry import Library, Relation, WireCodec, register, relate
from app.pilots.library import LIBRARY as PILOTS
from app.pilots.models import PilotEnterprise


def _pilot_of(payload: dict, session) -> tuple[str, str | None] | None:
    credit = payload.get("creditCode")
    if not credit:
        return None
    row = session.exec(select(PilotEnterprise.region_code, PilotEnterprise.credit_code)
                       .where(PilotEnterprise.credit_code == credit)).first()
    return tuple(row) if row else None


LIBRARY = register(Library(
    key="archives", title="一企一档", noun="企业档案", spec_section="2.6",
    wire_path="/cloud-supply-demand/pilotcomp/baseinfo/apiUpload",
    update_key="updataTotal", review_levels="county+city", nav_rank=2,
    model=Archive, form=ArchiveForm, owner_role=roles.ENTERPRISE, credit_attr="creditCode",
    title_attr="companyName", owner_name_attr="companyName", natural_key=("credit_code",), key_fields=("creditCode",),
    owner_of=_pilot_of, extra_columns=lambda payload: {"progress": stages.done_keys(payload)},
    columns=(("企业名称", "companyName"), ("信用代码", "creditCode"), ("行业", "industryName"),
             ("细分行业", "industrySegments")),
    pages="archives",
    codec=WireCodec(encode=lambda payload: wire.spec_object(payload), loads=wire.loads, openapi=wire.openapi_schema),
))

relate(PILOTS, Relation(LIBRARY, lambda pilot, session: find_by_key(Archive, session=session,
                                                                       credit_code=pilot.credit_code), "pilot"))
