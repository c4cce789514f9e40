"""Reference data: administrative regions, the GB/T 4754 industry classification and the code lists
of section 3 of the national docking spec."""
from __future__ import annotations

from sqlalchemy import Column, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.generations import DICTS, track


class Region(SQLModel, table=True):
    """GB/T 2260 down to county level, plus the spec's own extra code 650091.

    `level`/`parent_code` follow GB/T 2260 (北京市 110000 → 市辖区 110100 → 东城区 110101).
    `province_code`/`city_code` are what a record in this region sends on the wire as
    provinceCode/cityCode: where GB/T has a placeholder at city level (市辖区, 县, 省直辖县级行政区划)
    the county-level code stands in for the city, as the spec's table does for the municipalities.
    """

    code: str = Field(sa_column=Column(String(12), primary_key=True))
    name: str = Field(max_length=50)
    level: int = Field(index=True)  # 1 province, 2 city, 3 county
    parent_code: str | None = Field(default=None, max_length=12, index=True)
    province_code: str = Field(max_length=12, index=True)
    city_code: str | None = Field(default=None, max_length=12, index=True)
    is_placeholder: bool = Field(default=False)  # 市辖区 / 县 / 省直辖县级行政区划: never picked
    in_spec_table: bool = Field(default=False)  # listed in the spec's 所属地区行政码表
    source: str = Field(default="gbt2260", max_length=10)  # gbt2260 / spec


class Industry(SQLModel, table=True):
    """GB/T 4754-2017: 门类 (A–T), 大类 (2 digits), 中类 (3), 小类 (4)."""

    code: str = Field(sa_column=Column(String(8), primary_key=True))
    name: str = Field(max_length=100)
    level: int = Field(index=True)
    parent_code: str | None = Field(default=None, max_length=8, index=True)


class DictItem(SQLModel, table=True):
    """One code of one section-3 dictionary, spelled exactly as the spec spells it."""

    __tablename__ = "dict_item"
    __table_args__ = (UniqueConstraint("dict_type", "code"),)

    id: int | None = Field(default=None, primary_key=True)
    dict_type: str = Field(max_length=40, index=True)
    code: str = Field(max_length=80)
    label: str = Field(max_length=100)
    sort_order: int = Field(default=0)
    level: int | None = None  # scenes: 1, 2, 3
    parent_code: str | None = Field(default=None, max_length=80)
    note: str = Field(default="", max_length=100)  # e.g. the file-type size limit text
    max_bytes: int | None = None  # file types: the limit as a number


# The reference data is held in memory (app/dicts/memo.py); a write to these tables tells every process.
track("region", DICTS)
track("industry", DICTS)
track("dict_item", DICTS)
