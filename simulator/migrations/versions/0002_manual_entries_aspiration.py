"""manual entries; aspiration and net amounts on payment instructions

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 09:00:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('cqrs_manual_entries',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('practice_code', sa.String(length=8), nullable=False),
    sa.Column('quality_service', sa.String(length=16), nullable=False),
    sa.Column('achievement_date', sa.Date(), nullable=False),
    sa.Column('ind_code', sa.String(length=16), nullable=False),
    sa.Column('achieved', sa.Boolean(), nullable=True),
    sa.Column('numerator', sa.Integer(), nullable=True),
    sa.Column('denominator', sa.Integer(), nullable=True),
    sa.Column('entered_by', sa.String(length=64), nullable=False),
    sa.Column('entered_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('practice_code', 'quality_service', 'achievement_date', 'ind_code')
    )
    with op.batch_alter_table('cqrs_manual_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cqrs_manual_entries_practice_code'), ['practice_code'], unique=False)

    with op.batch_alter_table('cqrs_payment_instructions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('aspiration_paid_gbp', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('net_gbp', sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('cqrs_payment_instructions', schema=None) as batch_op:
        batch_op.drop_column('net_gbp')
        batch_op.drop_column('aspiration_paid_gbp')

    with op.batch_alter_table('cqrs_manual_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cqrs_manual_entries_practice_code'))

    op.drop_table('cqrs_manual_entries')
