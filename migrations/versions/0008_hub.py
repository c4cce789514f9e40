"""Receiving pushes (hub): docked platforms, their tokens and the call log

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29 15:40:00
"""
from alembic import op  # noqa: F401

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
