"""stored files of the national libraries

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 09:00:00.000000
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('stored_file',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('category', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('original_name', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('file_type', sa.Integer(), nullable=False),
    sa.Column('uploaded_by', sa.Integer(), nullable=True),
    sa.Column('uploaded_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('owner_region', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('owner_credit', sqlmodel.sql.sqltypes.AutoString(length=18), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('stored_file', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stored_file_owner_credit'), ['owner_credit'], unique=False)
        batch_op.create_index(batch_op.f('ix_stored_file_owner_region'), ['owner_region'], unique=False)
        batch_op.create_index(batch_op.f('ix_stored_file_sha256'), ['sha256'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('stored_file', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stored_file_sha256'))
        batch_op.drop_index(batch_op.f('ix_stored_file_owner_region'))
        batch_op.drop_index(batch_op.f('ix_stored_file_owner_credit'))

    op.drop_table('stored_file')
