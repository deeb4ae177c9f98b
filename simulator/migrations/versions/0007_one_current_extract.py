"""one current extract per practice and spec (partial unique index)

Revision ID: 0007
Revises: 0006
"""
import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("uq_cqrs_extracts_one_current", "cqrs_extracts", ["practice_code", "spec_id"], unique=True,
                    sqlite_where=sa.text('"current"'), postgresql_where=sa.text('"current"'))


def downgrade() -> None:
    op.drop_index("uq_cqrs_extracts_one_current", table_name="cqrs_extracts")
