"""GPES keeps the id of the MESH message that carried an extract to CQRS (transport mesh)

Revision ID: 0013
Revises: 0012
"""
import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("gpes_receipts") as b:
        b.add_column(sa.Column("mesh_message_id", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("gpes_receipts") as b:
        b.drop_column("mesh_message_id")
