"""CQRS reads an extract's long-layout counts from its body when it calculates, not from a copy

Migration 0005 kept each extract's counts, [[IND_CODE, FIELD_NAME, VALUE], ...], as a JSON value
beside its body. Building and encoding that copy at ingest cost more than the rest of storing the
extract (about 150 of 400 µs), on the path whose latency the national collection is measured by; the
calculation reads the same rows from the body (``simulator.cqrs.store.rows_of_body``) in about 1 s
for 8,000 practices. Downgrading writes the copy back from the bodies.

Revision ID: 0012
Revises: 0011
"""
import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cqrs_extracts") as b:
        b.drop_column("fields")


def downgrade() -> None:
    from simulator.cqrs.store import rows_of_body
    from simulator.qof.catalogue import default_catalogue

    with op.batch_alter_table("cqrs_extracts") as b:
        b.add_column(sa.Column("fields", sa.JSON(), nullable=True))
    register_indicator = {r.id: r.indicator for r in default_catalogue().rules.registers.values()}
    conn = op.get_bind()
    extracts = sa.table("cqrs_extracts", sa.column("extract_id", sa.String), sa.column("fields", sa.JSON))
    for extract_id, body in conn.execute(sa.text("SELECT extract_id, body FROM cqrs_extracts")).all():
        rows = [list(r) for r in rows_of_body(bytes(body), register_indicator)]
        conn.execute(extracts.update().where(extracts.c.extract_id == extract_id).values(fields=rows))
