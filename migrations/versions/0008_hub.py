"""Receiving pushes (hub): docked platforms, their tokens, the weekly call counter, the call log and the
docking switch

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29 15:40:00
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('hub_call',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('platform_id', sa.Integer(), nullable=True),
    sa.Column('endpoint', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('records', sa.Integer(), nullable=False),
    sa.Column('added', sa.Integer(), nullable=False),
    sa.Column('updated', sa.Integer(), nullable=False),
    sa.Column('failed', sa.Integer(), nullable=False),
    sa.Column('code', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('message', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('bytes', sa.Integer(), nullable=False),
    sa.Column('ip', sqlmodel.sql.sqltypes.AutoString(length=45), nullable=False),
    sa.Column('duration_ms', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('hub_call', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hub_call_at'), ['at'], unique=False)
        batch_op.create_index('ix_hub_call_platform', ['platform_id', 'at', 'id'], unique=False)

    op.create_table('hub_setting',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('docking_enabled', sa.Boolean(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('updated_by', sa.Integer(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('hub_platform',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('domain', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('ip', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('region_code', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('bound_user_id', sa.Integer(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('reject_reason', sa.Text(), nullable=True),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('push_window', sqlmodel.sql.sqltypes.AutoString(length=11), nullable=False),
    sa.Column('weekly_quota', sa.Integer(), nullable=False),
    sa.Column('max_bytes', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=True),
    sa.Column('client_id', sa.String(length=64), nullable=True),
    sa.Column('secret_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('sm4_key_sealed', sa.Text(), server_default='', nullable=False),
    sa.Column('credentials_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('decided_by_name', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('decided_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['bound_user_id'], ['user_account.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('client_id'),
    sa.UniqueConstraint('username')
    )
    with op.batch_alter_table('hub_platform', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hub_platform_bound_user_id'), ['bound_user_id'], unique=False)
        batch_op.create_index('ix_hub_platform_region', ['region_code', 'id'], unique=False)

    op.create_table('hub_quota_use',
    sa.Column('platform_id', sa.Integer(), nullable=False),
    sa.Column('week', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('calls', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['platform_id'], ['hub_platform.id'], ),
    sa.PrimaryKeyConstraint('platform_id', 'week')
    )
    op.create_table('hub_token',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('platform_id', sa.Integer(), nullable=False),
    sa.Column('access_hash', sa.String(length=64), nullable=False),
    sa.Column('refresh_hash', sa.String(length=64), nullable=True),
    sa.Column('issued_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('expires_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('refresh_expires_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('revoked_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['platform_id'], ['hub_platform.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('access_hash'),
    sa.UniqueConstraint('refresh_hash')
    )
    with op.batch_alter_table('hub_token', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hub_token_platform_id'), ['platform_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('hub_token', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_hub_token_platform_id'))

    op.drop_table('hub_token')
    op.drop_table('hub_quota_use')
    with op.batch_alter_table('hub_platform', schema=None) as batch_op:
        batch_op.drop_index('ix_hub_platform_region')
        batch_op.drop_index(batch_op.f('ix_hub_platform_bound_user_id'))

    op.drop_table('hub_platform')
    op.drop_table('hub_setting')
    with op.batch_alter_table('hub_call', schema=None) as batch_op:
        batch_op.drop_index('ix_hub_call_platform')
        batch_op.drop_index(batch_op.f('ix_hub_call_at'))

    op.drop_table('hub_call')
