"""The Alembic migrations build exactly the schema the models describe, on SQLite and on PostgreSQL."""

import datetime as dt
import json

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, select

from simulator.db import Base, CqrsExtract, CqrsManualEntry, CqrsWorkflow, GpesRequest, make_engine, migrate, sessions


def test_migrations_match_the_models(db_url):
    migrate(db_url)
    engine = make_engine(db_url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []
    tables = set(inspect(engine).get_table_names())
    assert {"gpes_receipts", "gpes_collections", "gpes_rejections", "cqrs_extracts", "cqrs_workflow",
            "supplier_jobs", "supplier_sends"} <= tables
    assert "cqrs_values" not in tables  # migration 0005: counts live on the extract as one JSON value
    engine.dispose()


def test_migrating_twice_is_harmless(db_url):
    migrate(db_url)
    migrate(db_url)


def test_downgrade_to_base_and_up_again(db_url):
    from alembic import command

    from simulator.db import _alembic_config

    migrate(db_url)
    command.downgrade(_alembic_config(db_url), "base")
    engine = make_engine(db_url)
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    engine.dispose()
    migrate(db_url)


def test_0005_moves_long_layout_rows_onto_their_extract_and_back(db_url):
    """An extract stored under 0004 (~270 rows in cqrs_values) keeps its counts, in order, after 0005."""
    from alembic import command
    from sqlalchemy import text

    from simulator.db import _alembic_config

    cfg = _alembic_config(db_url)
    command.upgrade(cfg, "0004")
    engine = make_engine(db_url)
    rows = [("LIST", "List size", 6543), ("DM32", "Register", 412), ("DM26", "Numerator", 300)]
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO cqrs_extracts (extract_id, practice_code, spec_id, achievement_date, supplier, "
                          "list_size, sha256, body, received_at, current) VALUES ('x-1', 'A81001', 'QOF-2012-13', "
                          ":day, 'TPP', 6543, 'abc', :body, :at, :current)"),
                     {"day": dt.date(2013, 3, 31), "body": b"{}", "at": dt.datetime(2013, 4, 1), "current": True})
        for ind, name, value in rows:
            conn.execute(text("INSERT INTO cqrs_values (extract_id, practice_code, ind_code, field_name, value) "
                              "VALUES ('x-1', 'A81001', :i, :f, :v)"), {"i": ind, "f": name, "v": value})
    command.upgrade(cfg, "0005")
    with engine.connect() as conn:
        fields = conn.execute(text("SELECT fields FROM cqrs_extracts WHERE extract_id = 'x-1'")).scalar_one()
    assert [tuple(r) for r in (json.loads(fields) if isinstance(fields, str) else fields)] == rows  # PostgreSQL: a list
    command.downgrade(cfg, "0004")
    with engine.connect() as conn:
        back = conn.execute(text("SELECT ind_code, field_name, value FROM cqrs_values ORDER BY id")).all()
    assert [tuple(r) for r in back] == rows
    engine.dispose()


def test_the_column_types_round_trip(db_url):
    """Bytes, JSON, booleans (and None), dates: what each store gives back is what was put in."""
    made = sessions(db_url)
    body = bytes(range(256)) * 3
    with made.begin() as s:
        s.add(CqrsExtract(extract_id="x", practice_code="A81001", spec_id="QOF", achievement_date=dt.date(2013, 3, 31),
                          supplier="TPP", list_size=1, sha256="0" * 64, body=body))
        s.add(GpesRequest(request_id="r", spec_id="QOF", supplier="TPP", practices=["A81001", "B82005"],
                          status="requested"))
        s.add(CqrsWorkflow(practice_code="A81001", quality_service="QOF", achievement_date=dt.date(2013, 3, 31),
                           extract_id="x", state="s", calculated={"total": "1.50", "stale": False, "n": [1, None]}))
        s.add(CqrsManualEntry(practice_code="A81001", quality_service="QOF", achievement_date=dt.date(2013, 3, 31),
                              ind_code="RECORDS", achieved=None, numerator=3, denominator=4, entered_by="pm"))
    with made() as s:
        x = s.get(CqrsExtract, "x")
        assert (x.body, x.current, x.achievement_date) == (body, True, dt.date(2013, 3, 31))
        assert s.get(GpesRequest, "r").practices == ["A81001", "B82005"]
        wf = s.scalars(select(CqrsWorkflow)).one()
        assert wf.calculated == {"total": "1.50", "stale": False, "n": [1, None]} and wf.history == []
        assert s.scalars(select(CqrsManualEntry)).one().achieved is None
    made.kw["bind"].dispose()


def test_0011_moves_gpes_bodies_into_their_own_table_and_back(db_url):
    """A receipt stored under 0007 keeps its exact bytes after 0011 (and after going back)."""
    from alembic import command
    from sqlalchemy import text

    from simulator.db import GpesBody, _alembic_config

    cfg = _alembic_config(db_url)
    command.upgrade(cfg, "0007")
    engine = make_engine(db_url)
    body = b'{"extract_id":"x-1"}\n'
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO gpes_receipts (extract_id, request_id, supplier, practice_code, sha256, body, "
                          "received_at, forward_state, forward_attempts, resends) VALUES ('x-1', 'r', 'TPP', 'A81001', "
                          "'abc', :body, :at, 'pending', 0, 0)"), {"body": body, "at": dt.datetime(2013, 4, 1)})
    engine.dispose()
    command.upgrade(cfg, "0011")
    with sessions(db_url, create=False)() as s:
        assert s.scalar(select(GpesBody.body).where(GpesBody.extract_id == "x-1")) == body
    command.downgrade(cfg, "0007")
    engine = make_engine(db_url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT body FROM gpes_receipts WHERE extract_id = 'x-1'")).scalar() == body
    engine.dispose()


def test_0012_reads_the_counts_from_the_body_and_writes_them_back_going_down(db_url):
    """An extract stored under 0011 with its long-layout copy: after 0012 the same rows come from its
    body; going back, the copy is written again from the body."""
    from alembic import command
    from sqlalchemy import text

    from simulator.contracts import canonical_json
    from simulator.cqrs.store import extract_values
    from simulator.db import _alembic_config
    from simulator.gpes.spec import build_spec
    from simulator.qof.catalogue import default_catalogue

    cat = default_catalogue()
    spec = build_spec(cat)
    register_indicator = {r.id: r.indicator for r in cat.rules.registers.values()}
    body = canonical_json({
        "schema_version": "1", "extract_id": "x-1", "request_id": "r", "spec_id": spec.spec_id, "supplier": "TPP",
        "practice_code": "A81001", "achievement_date": "2013-03-31", "list_size": 6543,
        "registers": {r.id: 412 for r in spec.registers},
        "indicators": [{"id": i.id, "numerator": 300, "denominator": 400, "exceptions": 7} for i in spec.indicators]})
    rows = ([["LIST", "List size", 6543]] + [[register_indicator.get(r, r), "Register", 412]  # in the body's order
                                             for r in json.loads(body)["registers"]]
            + [[i.id, f, v] for i in spec.indicators for f, v in (("Numerator", 300), ("Denominator", 400),
                                                                  ("Exceptions", 7))])
    cfg = _alembic_config(db_url)
    command.upgrade(cfg, "0011")
    engine = make_engine(db_url)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO cqrs_extracts (extract_id, practice_code, spec_id, achievement_date, supplier, "
                          "list_size, sha256, body, received_at, current, fields) VALUES ('x-1', 'A81001', :spec, :day, "
                          "'TPP', 6543, 'abc', :body, :at, :current, :fields)"),
                     {"spec": spec.spec_id, "day": dt.date(2013, 3, 31), "body": body, "at": dt.datetime(2013, 4, 1),
                      "current": True, "fields": json.dumps(rows)})
    engine.dispose()
    command.upgrade(cfg, "0012")
    with sessions(db_url, create=False)() as s:
        assert [list(r) for r in extract_values(s, "x-1", register_indicator)] == rows
    command.downgrade(cfg, "0011")
    engine = make_engine(db_url)
    with engine.connect() as conn:
        fields = conn.execute(text("SELECT fields FROM cqrs_extracts WHERE extract_id = 'x-1'")).scalar()
    assert (json.loads(fields) if isinstance(fields, str) else fields) == rows  # PostgreSQL: a list already
    engine.dispose()


def test_the_wal_is_checkpointed_by_a_thread_of_its_own_not_inside_a_commit(tmp_path):
    """A writer never waits for a checkpoint: SQLite's own starts only past AUTOCHECKPOINT_PAGES, and
    ``checkpoint`` (run by the process's checkpoint thread) copies a WAL past CHECKPOINT_FROM_BYTES back."""
    from sqlalchemy import text

    import simulator.db as db

    engine = make_engine(f"sqlite:///{tmp_path / 'w.db'}")
    with engine.begin() as conn:
        assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == db.AUTOCHECKPOINT_PAGES
        conn.execute(text("CREATE TABLE t (b BLOB)"))
    assert not db.checkpoint(engine)  # a small WAL is left alone
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO t VALUES (:b)"), [{"b": bytes(4096)} for _ in range(600)])
    wal, main = tmp_path / "w.db-wal", tmp_path / "w.db"
    assert wal.stat().st_size >= db.CHECKPOINT_FROM_BYTES
    assert main.stat().st_size < 600 * 4096  # the rows are in the WAL only: no commit checkpointed them
    assert db.checkpoint(engine)
    assert main.stat().st_size >= 600 * 4096  # copied back into the database file
    assert engine in db._checkpointer._engines
    engine.dispose()
