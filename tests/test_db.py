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
    tables = set(inspect(engine).get_table_names())
    assert {"gpes_receipts", "gpes_collections", "gpes_rejections", "cqrs_extracts", "cqrs_workflow",
            "supplier_jobs", "supplier_sends"} <= tables
    assert "cqrs_values" not in tables  # migration 0005: counts live on the extract as one JSON value


def test_migrating_twice_is_harmless(tmp_path):
    url = f"sqlite:///{tmp_path / 'q.db'}"
    migrate(url)
    migrate(url)


def test_0005_moves_long_layout_rows_onto_their_extract_and_back(tmp_path):
    """An extract stored under 0004 (~270 rows in cqrs_values) keeps its counts, in order, after 0005."""
    from alembic import command
    from alembic.config import Config
    from pathlib import Path

    import simulator.db as db
    from sqlalchemy import text

    url = f"sqlite:///{tmp_path / 'q.db'}"
    cfg = Config()
    cfg.set_main_option("script_location", str(Path(db.__file__).parent / "migrations"))
    cfg.set_main_option("sqlalchemy.url", url)
    command.upgrade(cfg, "0004")
    engine = make_engine(url)
    rows = [("LIST", "List size", 6543), ("DM32", "Register", 412), ("DM26", "Numerator", 300)]
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO cqrs_extracts (extract_id, practice_code, spec_id, achievement_date, supplier, "
                          "list_size, sha256, body, received_at, current) VALUES ('x-1', 'A81001', 'QOF-2012-13', "
                          "'2013-03-31', 'TPP', 6543, 'abc', x'7b7d', '2013-04-01 00:00:00', 1)"))
        for ind, name, value in rows:
            conn.execute(text("INSERT INTO cqrs_values (extract_id, practice_code, ind_code, field_name, value) "
                              "VALUES ('x-1', 'A81001', :i, :f, :v)"), {"i": ind, "f": name, "v": value})
    engine.dispose()
    command.upgrade(cfg, "head")
    with db.sessions(url, create=False)() as s:
        from simulator.cqrs.store import extract_values

        assert extract_values(s, "x-1") == rows
    command.downgrade(cfg, "0004")
    engine = make_engine(url)
    with engine.connect() as conn:
        back = conn.execute(text("SELECT ind_code, field_name, value FROM cqrs_values ORDER BY id")).all()
    assert [tuple(r) for r in back] == rows
