"""Docking to the upper platform (push client): configuration, outbox, batches, per-record push state

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 15:40:00

docking_setting (the settings page, secrets sealed), docking_state (token cache, pause, learned batch
limit), docking_outbox (what must still be sent, claimed with a lease), docking_batch (every upload call:
the history and the weekly quota's count) and docking_record_state (each record's push state for the
library lists; the five library tables are not changed).
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('docking_batch',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('library', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('region_code', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('week', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('owner', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('started_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('finished_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('records', sa.Integer(), nullable=False),
    sa.Column('bytes', sa.Integer(), nullable=False),
    sa.Column('keys', sa.Text(), server_default='', nullable=False),
    sa.Column('outcome', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('http_status', sa.Integer(), nullable=True),
    sa.Column('code', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
    sa.Column('message', sa.Text(), nullable=True),
    sa.Column('success_total', sa.Integer(), nullable=True),
    sa.Column('fail_total', sa.Integer(), nullable=True),
    sa.Column('add_total', sa.Integer(), nullable=True),
    sa.Column('update_total', sa.Integer(), nullable=True),
    sa.Column('response', sa.Text(), server_default='', nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_docking_batch_region', 'docking_batch', ['region_code', 'id'], unique=False)
    op.create_index('ix_docking_batch_week', 'docking_batch', ['week'], unique=False)
    op.create_table('docking_outbox',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('library', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.Column('region_code', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('natural_key', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('entity_name', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('lease_owner', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('lease_until', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('batch_id', sa.Integer(), nullable=True),
    sa.Column('result', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=True),
    sa.Column('code', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
    sa.Column('message', sa.Text(), nullable=True),
    sa.Column('queued_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('queued_by', sa.Integer(), nullable=True),
    sa.Column('finished_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_docking_outbox_batch_id'), 'docking_outbox', ['batch_id'], unique=False)
    op.create_index('ix_docking_outbox_due', 'docking_outbox', ['state', 'next_attempt_at', 'id'], unique=False)
    op.create_index('ix_docking_outbox_record', 'docking_outbox', ['library', 'record_id', 'state'], unique=False)
    op.create_index('ix_docking_outbox_state_region', 'docking_outbox', ['state', 'region_code'], unique=False)
    op.create_table('docking_record_state',
    sa.Column('library', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('last_success', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=True),
    sa.Column('pushed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('library', 'record_id')
    )
    op.create_table('docking_setting',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('base_url', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('username', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('client_id', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('client_secret_enc', sa.Text(), server_default='', nullable=False),
    sa.Column('grant_type', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('scope', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('sm4_key_enc', sa.Text(), server_default='', nullable=False),
    sa.Column('platform_info', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('region_code', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('auth_mode', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('auth_padding', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('auth_encoding', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('auth_output', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('auth_template', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('auth_iv', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('push_window', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('weekly_quota', sa.Integer(), nullable=True),
    sa.Column('max_request_bytes', sa.Integer(), nullable=True),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('updated_by', sa.Integer(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('docking_state',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('access_token_enc', sa.Text(), server_default='', nullable=False),
    sa.Column('refresh_token_enc', sa.Text(), server_default='', nullable=False),
    sa.Column('token_expires_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('token_for', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('paused', sa.Boolean(), nullable=False),
    sa.Column('paused_reason', sa.Text(), server_default='', nullable=False),
    sa.Column('paused_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('batch_limit', sa.Integer(), nullable=True),
    sa.Column('quota_used_week', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('last_error', sa.Text(), server_default='', nullable=False),
    sa.Column('last_error_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )


def downgrade() -> None:
    for table in ("docking_state", "docking_setting", "docking_record_state", "docking_outbox", "docking_batch"):
        op.drop_table(table)
