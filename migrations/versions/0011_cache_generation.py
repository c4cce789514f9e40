"""Generation counters of the in-memory caches (app/generations.py: reference data, list counts), and
the library lists' region-level indexes (app/libraries/records.py list_indexes)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 09:00:00
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

TABLES = {"provider": (), "product": ("company_name",), "pilot_enterprise": (), "performance_target": (),
          "archive": ()}
LEVELS = (("province", 2), ("city", 4), ("county", 6))
GENERATIONS = ("dicts", "lib:providers", "lib:products", "lib:pilots", "lib:targets", "lib:archives")


def upgrade() -> None:
    op.create_table('cache_generation',
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('value', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('name')
    )
    # One row per counter from the start, so a first write never races another process's INSERT.
    op.bulk_insert(sa.table("cache_generation", sa.column("name", sa.String), sa.column("value", sa.Integer)),
                   [{"name": name, "value": 0} for name in GENERATIONS])
    for table, search in TABLES.items():
        for level, digits in LEVELS:
            op.create_index(f"ix_{table}_{level}_recent", table,
                            [sa.text(f"substr(region_code, 1, {digits})"), "updated_at", "id", "region_code", "title",
                             "credit_code", *search], unique=False)


def downgrade() -> None:
    for table in TABLES:
        for level, _ in LEVELS:
            op.drop_index(f"ix_{table}_{level}_recent", table_name=table)
    op.drop_table('cache_generation')
