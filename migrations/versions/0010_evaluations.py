"""数字化水平评测: evaluations (self and on-site), their analysis facts, evidence files, and corrected
rule-set versions

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 08:53:39.341920
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('evaluation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('stage', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('period', sa.Integer(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
    sa.Column('region_code', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('credit_code', sqlmodel.sql.sqltypes.AutoString(length=18), nullable=False),
    sa.Column('company_name', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('industry', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('segment', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('assessor_id', sa.Integer(), nullable=True),
    sa.Column('assessor_name', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('assessor_org', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
    sa.Column('assigned_by_name', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('rule_set_id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('rule_version', sa.Integer(), nullable=False),
    sa.Column('answers', sa.Text(), nullable=False),
    sa.Column('result', sa.Text(), nullable=True),
    sa.Column('pledge_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('completed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('confirmed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('confirmed_by_name', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('decided_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('decided_by_name', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('archive_filled_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('counted', sa.Boolean(), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('level', sa.Integer(), nullable=True),
    sa.Column('base_score', sa.Float(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('evaluation', schema=None) as batch_op:
        batch_op.create_index('ix_evaluation_assessor', ['assessor_id', 'status'], unique=False)
        batch_op.create_index('ix_evaluation_owner', ['credit_code', 'kind', 'stage', 'period'], unique=False)
        batch_op.create_index(batch_op.f('ix_evaluation_region_code'), ['region_code'], unique=False)
        batch_op.create_index('ix_evaluation_status', ['status', 'region_code'], unique=False)

    op.create_table('evaluation_rule_revision',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('rule_set_id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('data', sa.Text(), nullable=False),
    sa.Column('changes', sa.Text(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('source_url', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('editor_id', sa.Integer(), nullable=True),
    sa.Column('editor_name', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('region_code', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('rule_set_id', 'version')
    )
    op.create_table('evaluation_evidence',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('evaluation_id', sa.Integer(), nullable=False),
    sa.Column('question_id', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('material', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('file_id', sa.Integer(), nullable=False),
    sa.Column('uploaded_by_name', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['evaluation_id'], ['evaluation.id'], ),
    sa.ForeignKeyConstraint(['file_id'], ['stored_file.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('evaluation_evidence', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_evaluation_evidence_evaluation_id'), ['evaluation_id'], unique=False)

    op.create_table('evaluation_fact',
    sa.Column('evaluation_id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('stage', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('period', sa.Integer(), nullable=False),
    sa.Column('region_code', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('credit_code', sqlmodel.sql.sqltypes.AutoString(length=18), nullable=False),
    sa.Column('industry', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('segment', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('level', sa.Integer(), nullable=False),
    sa.Column('base_score', sa.Float(), nullable=False),
    sa.Column('d1', sa.Float(), nullable=True),
    sa.Column('d2', sa.Float(), nullable=True),
    sa.Column('d3', sa.Float(), nullable=True),
    sa.Column('q1', sa.Float(), nullable=True),
    sa.Column('q2', sa.Float(), nullable=True),
    sa.Column('q3', sa.Float(), nullable=True),
    sa.Column('q4', sa.Float(), nullable=True),
    sa.Column('q5', sa.Float(), nullable=True),
    sa.Column('q6', sa.Float(), nullable=True),
    sa.Column('q7', sa.Float(), nullable=True),
    sa.Column('q8', sa.Float(), nullable=True),
    sa.Column('q9', sa.Float(), nullable=True),
    sa.Column('q10', sa.Float(), nullable=True),
    sa.Column('q11', sa.Float(), nullable=True),
    sa.Column('q12', sa.Float(), nullable=True),
    sa.Column('q13', sa.Float(), nullable=True),
    sa.Column('q14', sa.Float(), nullable=True),
    sa.Column('q15', sa.Float(), nullable=True),
    sa.Column('s1', sa.Integer(), nullable=True),
    sa.Column('s2', sa.Integer(), nullable=True),
    sa.Column('s3', sa.Integer(), nullable=True),
    sa.Column('s4', sa.Integer(), nullable=True),
    sa.Column('s5', sa.Integer(), nullable=True),
    sa.Column('s6', sa.Integer(), nullable=True),
    sa.Column('s7', sa.Integer(), nullable=True),
    sa.Column('s8', sa.Integer(), nullable=True),
    sa.Column('s9', sa.Integer(), nullable=True),
    sa.Column('s10', sa.Integer(), nullable=True),
    sa.Column('s11', sa.Integer(), nullable=True),
    sa.Column('s12', sa.Integer(), nullable=True),
    sa.Column('s13', sa.Integer(), nullable=True),
    sa.Column('s14', sa.Integer(), nullable=True),
    sa.Column('s15', sa.Integer(), nullable=True),
    sa.Column('s16', sa.Integer(), nullable=True),
    sa.Column('c1', sa.Boolean(), nullable=True),
    sa.Column('c2', sa.Boolean(), nullable=True),
    sa.Column('c3', sa.Boolean(), nullable=True),
    sa.Column('c4', sa.Boolean(), nullable=True),
    sa.ForeignKeyConstraint(['evaluation_id'], ['evaluation.id'], ),
    sa.PrimaryKeyConstraint('evaluation_id')
    )
    with op.batch_alter_table('evaluation_fact', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_evaluation_fact_credit_code'), ['credit_code'], unique=False)
        batch_op.create_index('ix_evaluation_fact_filter', ['kind', 'period', 'region_code', 'stage'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('evaluation_fact', schema=None) as batch_op:
        batch_op.drop_index('ix_evaluation_fact_filter')
        batch_op.drop_index(batch_op.f('ix_evaluation_fact_credit_code'))

    op.drop_table('evaluation_fact')
    with op.batch_alter_table('evaluation_evidence', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_evaluation_evidence_evaluation_id'))

    op.drop_table('evaluation_evidence')
    op.drop_table('evaluation_rule_revision')
    with op.batch_alter_table('evaluation', schema=None) as batch_op:
        batch_op.drop_index('ix_evaluation_status')
        batch_op.drop_index(batch_op.f('ix_evaluation_region_code'))
        batch_op.drop_index('ix_evaluation_owner')
        batch_op.drop_index('ix_evaluation_assessor')

    op.drop_table('evaluation')
