"""The Alembic migrations build exactly the schema the models describe."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from simulator.db import Base, make_engine, migrate


def test_migrations_match_the_models(tmp_path):
    url = f"sqlite:///{tmp_path / 'q.db'}"
    migrate(url)
    engine = make_engine(url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []
    assert {"gpes_receipts", "cqrs_extracts", "cqrs_values", "cqrs_workflow"} <= set(inspect(engine).get_table_names())


def test_migrating_twice_is_harmless(tmp_path):
    url = f"sqlite:///{tmp_path / 'q.db'}"
    migrate(url)
    migrate(url)
