"""CQRS keeps each extract's long-layout counts as one JSON value on the extract, not ~270 rows

Revision ID: 0005
Revises: 0004
"""
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cqrs_extracts") as b:
        b.add_column(sa.Column("fields", sa.JSON(), nullable=True))
    conn = op.get_bind()
    extracts = sa.table("cqrs_extracts", sa.column("extract_id", sa.String), sa.column("fields", sa.JSON))
    rows: dict[str, list] = {}
    for extract_id, ind, name, value in conn.execute(sa.text(
            "SELECT extract_id, ind_code, field_name, value FROM cqrs_values ORDER BY id")):
        rows.setdefault(extract_id, []).append([ind, name, value])
    for extract_id, fields in rows.items():
        conn.execute(extracts.update().where(extracts.c.extract_id == extract_id).values(fields=fields))
    op.drop_table("cqrs_values")


def downgrade() -> None:
    op.create_table(
        "cqrs_values",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("extract_id", sa.String(length=128), sa.ForeignKey("cqrs_extracts.extract_id"), nullable=False),
        sa.Column("practice_code", sa.String(length=8), nullable=False),
        sa.Column("ind_code", sa.String(length=16), nullable=False),
        sa.Column("field_name", sa.String(length=32), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
    )
    op.create_index("ix_cqrs_values_extract_id", "cqrs_values", ["extract_id"], unique=False)
    conn = op.get_bind()
    values = sa.table("cqrs_values", sa.column("extract_id"), sa.column("practice_code"), sa.column("ind_code"),
                      sa.column("field_name"), sa.column("value"))
    for extract_id, practice, fields in conn.execute(sa.text(
            "SELECT extract_id, practice_code, fields FROM cqrs_extracts")):
        import json
        fields = json.loads(fields) if isinstance(fields, str) else (fields or [])
        if fields:
            conn.execute(values.insert(), [{"extract_id": extract_id, "practice_code": practice, "ind_code": i,
                                            "field_name": f, "value": v} for i, f, v in fields])
    with op.batch_alter_table("cqrs_extracts") as b:
        b.drop_column("fields")
