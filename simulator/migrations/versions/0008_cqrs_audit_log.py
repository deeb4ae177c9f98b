"""CQRS audit log: who (role and identity), when, what, before and after, for every state change

Revision ID: 0008
Revises: 0007
"""
import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cqrs_audit_log",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime, nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("identity", sa.String(64), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("practice_code", sa.String(8), nullable=True),
        sa.Column("before", sa.JSON, nullable=True),
        sa.Column("after", sa.JSON, nullable=True),
    )
    op.create_index("ix_cqrs_audit_log_practice_code", "cqrs_audit_log", ["practice_code"])


def downgrade() -> None:
    op.drop_index("ix_cqrs_audit_log_practice_code", table_name="cqrs_audit_log")
    op.drop_table("cqrs_audit_log")
