"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-23 12:19:05.033460
"""
from alembic import op
import sqlalchemy as sa


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('cqrs_extracts',
    sa.Column('extract_id', sa.String(length=128), nullable=False),
    sa.Column('practice_code', sa.String(length=8), nullable=False),
    sa.Column('spec_id', sa.String(length=64), nullable=False),
    sa.Column('achievement_date', sa.Date(), nullable=False),
    sa.Column('supplier', sa.String(length=16), nullable=False),
    sa.Column('list_size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('body', sa.LargeBinary(), nullable=False),
    sa.Column('received_at', sa.DateTime(), nullable=False),
    sa.Column('current', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('extract_id')
    )
    with op.batch_alter_table('cqrs_extracts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cqrs_extracts_practice_code'), ['practice_code'], unique=False)

    op.create_table('cqrs_payment_instructions',
    sa.Column('instruction_id', sa.String(length=64), nullable=False),
    sa.Column('practice_code', sa.String(length=8), nullable=False),
    sa.Column('commissioner', sa.String(length=16), nullable=False),
    sa.Column('quality_service', sa.String(length=16), nullable=False),
    sa.Column('achievement_date', sa.Date(), nullable=False),
    sa.Column('total_points', sa.String(length=64), nullable=False),
    sa.Column('amount_gbp', sa.String(length=32), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('instruction_id')
    )
    with op.batch_alter_table('cqrs_payment_instructions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cqrs_payment_instructions_practice_code'), ['practice_code'], unique=False)

    op.create_table('cqrs_workflow',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('practice_code', sa.String(length=8), nullable=False),
    sa.Column('quality_service', sa.String(length=16), nullable=False),
    sa.Column('achievement_date', sa.Date(), nullable=False),
    sa.Column('extract_id', sa.String(length=128), nullable=False),
    sa.Column('state', sa.String(length=64), nullable=False),
    sa.Column('calculated', sa.JSON(), nullable=False),
    sa.Column('history', sa.JSON(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('practice_code', 'quality_service', 'achievement_date')
    )
    op.create_table('gpes_receipts',
    sa.Column('extract_id', sa.String(length=128), nullable=False),
    sa.Column('request_id', sa.String(length=64), nullable=False),
    sa.Column('supplier', sa.String(length=16), nullable=False),
    sa.Column('practice_code', sa.String(length=8), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('body', sa.LargeBinary(), nullable=False),
    sa.Column('received_at', sa.DateTime(), nullable=False),
    sa.Column('forwarded_at', sa.DateTime(), nullable=True),
    sa.Column('cqrs_status', sa.Integer(), nullable=True),
    sa.PrimaryKeyConstraint('extract_id')
    )
    with op.batch_alter_table('gpes_receipts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_gpes_receipts_practice_code'), ['practice_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_gpes_receipts_request_id'), ['request_id'], unique=False)

    op.create_table('gpes_requests',
    sa.Column('request_id', sa.String(length=64), nullable=False),
    sa.Column('spec_id', sa.String(length=64), nullable=False),
    sa.Column('supplier', sa.String(length=16), nullable=False),
    sa.Column('practices', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=32), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('request_id')
    )
    op.create_table('cqrs_values',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('extract_id', sa.String(length=128), nullable=False),
    sa.Column('practice_code', sa.String(length=8), nullable=False),
    sa.Column('ind_code', sa.String(length=16), nullable=False),
    sa.Column('field_name', sa.String(length=32), nullable=False),
    sa.Column('value', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['extract_id'], ['cqrs_extracts.extract_id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('cqrs_values', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cqrs_values_extract_id'), ['extract_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('cqrs_values', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cqrs_values_extract_id'))

    op.drop_table('cqrs_values')
    op.drop_table('gpes_requests')
    with op.batch_alter_table('gpes_receipts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_gpes_receipts_request_id'))
        batch_op.drop_index(batch_op.f('ix_gpes_receipts_practice_code'))

    op.drop_table('gpes_receipts')
    op.drop_table('cqrs_workflow')
    with op.batch_alter_table('cqrs_payment_instructions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cqrs_payment_instructions_practice_code'))

    op.drop_table('cqrs_payment_instructions')
    with op.batch_alter_table('cqrs_extracts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cqrs_extracts_practice_code'))

    op.drop_table('cqrs_extracts')
