"""GPES's outbox: bodies in a table of their own, and the pending rows read in arrival order

Two costs the national collection (8,000 extracts) showed in GPES's forwarder:
- SQLite rewrites a whole row to change one column of it, so marking a receipt acknowledged
  rewrote its ~6 KB body: the bytes now live in gpes_bodies, written once, read once;
- the oldest pending receipts are asked for a batch at a time: an index on (forward_state,
  received_at) hands them over in order instead of sorting every pending row for each batch.

Revision ID: 0011
Revises: 0008
"""
import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("gpes_bodies",
                    sa.Column("extract_id", sa.String(128), sa.ForeignKey("gpes_receipts.extract_id"), primary_key=True),
                    sa.Column("body", sa.LargeBinary(), nullable=False))
    op.execute("INSERT INTO gpes_bodies (extract_id, body) SELECT extract_id, body FROM gpes_receipts")
    with op.batch_alter_table("gpes_receipts") as b:
        b.drop_column("body")
    op.create_index("ix_gpes_receipts_outbox", "gpes_receipts", ["forward_state", "received_at"])


def downgrade() -> None:
    op.drop_index("ix_gpes_receipts_outbox", table_name="gpes_receipts")
    with op.batch_alter_table("gpes_receipts") as b:
        b.add_column(sa.Column("body", sa.LargeBinary(), nullable=True))
    op.execute("UPDATE gpes_receipts SET body = (SELECT body FROM gpes_bodies "
               "WHERE gpes_bodies.extract_id = gpes_receipts.extract_id)")
    op.drop_table("gpes_bodies")
