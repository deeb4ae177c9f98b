"""Services that stand alone: collections, request dispatch with retry, GPES's outbox and
rejections, CQRS extracts by request, a supplier's jobs and sends

Revision ID: 0004
Revises: 0003
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "gpes_collections",
        sa.Column("collection_id", sa.String(length=64), primary_key=True),
        sa.Column("spec_id", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    with op.batch_alter_table("gpes_requests") as b:
        b.add_column(sa.Column("collection_id", sa.String(length=64), nullable=True))
        b.add_column(sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"))
        b.add_column(sa.Column("next_attempt_at", sa.DateTime(), nullable=True))
        b.add_column(sa.Column("job_id", sa.String(length=64), nullable=True))
        b.create_index("ix_gpes_requests_collection_id", ["collection_id"], unique=False)
    with op.batch_alter_table("gpes_receipts") as b:
        b.add_column(sa.Column("forward_state", sa.String(length=16), nullable=False, server_default="pending"))
        b.add_column(sa.Column("forward_attempts", sa.Integer(), nullable=False, server_default="0"))
        b.add_column(sa.Column("next_forward_at", sa.DateTime(), nullable=True))
        b.add_column(sa.Column("lease_until", sa.DateTime(), nullable=True))
        b.add_column(sa.Column("forward_error", sa.String(length=500), nullable=True))
        b.create_index("ix_gpes_receipts_forward_state", ["forward_state"], unique=False)
    op.execute("UPDATE gpes_receipts SET forward_state = 'acknowledged' WHERE forwarded_at IS NOT NULL")
    op.create_table(
        "gpes_rejections",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("request_id", sa.String(length=64), nullable=True),
        sa.Column("supplier", sa.String(length=16), nullable=True),
        sa.Column("practice_code", sa.String(length=16), nullable=True),
        sa.Column("extract_id", sa.String(length=128), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_gpes_rejections_request_id", "gpes_rejections", ["request_id"], unique=False)
    with op.batch_alter_table("cqrs_extracts") as b:
        b.add_column(sa.Column("request_id", sa.String(length=64), nullable=True))
        b.create_index("ix_cqrs_extracts_request_id", ["request_id"], unique=False)
    op.create_table(
        "supplier_jobs",
        sa.Column("job_id", sa.String(length=64), primary_key=True),
        sa.Column("request_id", sa.String(length=64), nullable=False, unique=True),
        sa.Column("supplier", sa.String(length=16), nullable=False),
        sa.Column("request", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
    )
    op.create_table(
        "supplier_sends",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("job_id", sa.String(length=64), nullable=False),
        sa.Column("request_id", sa.String(length=64), nullable=False),
        sa.Column("practice_code", sa.String(length=16), nullable=False),
        sa.Column("extract_id", sa.String(length=128), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_supplier_sends_job_id", "supplier_sends", ["job_id"], unique=False)
    op.create_index("ix_supplier_sends_request_id", "supplier_sends", ["request_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_supplier_sends_request_id", table_name="supplier_sends")
    op.drop_index("ix_supplier_sends_job_id", table_name="supplier_sends")
    op.drop_table("supplier_sends")
    op.drop_table("supplier_jobs")
    with op.batch_alter_table("cqrs_extracts") as b:
        b.drop_index("ix_cqrs_extracts_request_id")
        b.drop_column("request_id")
    op.drop_index("ix_gpes_rejections_request_id", table_name="gpes_rejections")
    op.drop_table("gpes_rejections")
    with op.batch_alter_table("gpes_receipts") as b:
        b.drop_index("ix_gpes_receipts_forward_state")
        for c in ("forward_error", "lease_until", "next_forward_at", "forward_attempts", "forward_state"):
            b.drop_column(c)
    with op.batch_alter_table("gpes_requests") as b:
        b.drop_index("ix_gpes_requests_collection_id")
        for c in ("job_id", "next_attempt_at", "attempts", "collection_id"):
            b.drop_column(c)
    op.drop_table("gpes_collections")
