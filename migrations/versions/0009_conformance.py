"""Docking conformance: each upload call names the upper platform it went to (its own weekly count), and
each docked platform keeps the Authorization layout its configuration file was written with

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 09:00:00
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("docking_batch") as batch_op:
        batch_op.add_column(sa.Column("upper", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False,
                                      server_default=""))
    with op.batch_alter_table("hub_platform") as batch_op:
        batch_op.add_column(sa.Column("auth_layout", sa.Text(), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("hub_platform") as batch_op:
        batch_op.drop_column("auth_layout")
    with op.batch_alter_table("docking_batch") as batch_op:
        batch_op.drop_column("upper")
