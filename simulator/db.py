"""Database for GPES and CQRS: SQLAlchemy 2 models, schema owned by Alembic migrations.

SQLite file in the run folder by default; PostgreSQL (or anything SQLAlchemy speaks) through
``QOFSIM_DATABASE_URL``. Money and points are stored as exact decimal TEXT, never floats.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
import weakref
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import (JSON, Boolean, Date, DateTime, ForeignKey, Index, Integer, LargeBinary, String, Text,
                        UniqueConstraint, create_engine, event, text)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, sessionmaker

ENV_URL = "QOFSIM_DATABASE_URL"


class Base(DeclarativeBase):
    pass


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


# ---------------------------------------------------------------- GPES


class GpesCollection(Base):
    """One collection: a request to every supplier for the spec (migration 0004). Every count and
    check of a run is scoped to its collection, so a world that lives on holds many."""

    __tablename__ = "gpes_collections"
    collection_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    spec_id: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class GpesRequest(Base):
    __tablename__ = "gpes_requests"
    request_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    spec_id: Mapped[str] = mapped_column(String(64))
    supplier: Mapped[str] = mapped_column(String(16))
    practices: Mapped[list] = mapped_column(JSON)
    # requested (not yet dispatched) | dispatched (the supplier answered 202 with a job) | failed
    status: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str | None] = mapped_column(String(500), nullable=True)  # why it failed (or the last retry)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    # migration 0004: collections, dispatch with retry, the supplier's job
    collection_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    job_id: Mapped[str | None] = mapped_column(String(64), nullable=True)


class GpesReceipt(Base):
    __tablename__ = "gpes_receipts"
    # migration 0011: the forwarder reads the oldest pending rows a batch at a time, in this order
    __table_args__ = (Index("ix_gpes_receipts_outbox", "forward_state", "received_at"),)
    extract_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    request_id: Mapped[str] = mapped_column(String(64), index=True)
    supplier: Mapped[str] = mapped_column(String(16))
    practice_code: Mapped[str] = mapped_column(String(8), index=True)
    sha256: Mapped[str] = mapped_column(String(64))
    # the bytes themselves are in gpes_bodies (migration 0011): this row changes as the extract is
    # forwarded, and SQLite rewrites a whole row to change one column of it
    received_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    forwarded_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)  # CQRS acknowledged
    cqrs_status: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # migration 0004: the receipt row is also the outbox row (stored first, forwarded from here)
    # pending (to forward) | acknowledged (CQRS answered 200/201) | refused (CQRS answered 4xx: not retried)
    forward_state: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    forward_attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_forward_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    lease_until: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)  # a forwarder holds it
    forward_error: Mapped[str | None] = mapped_column(String(500), nullable=True)
    resends: Mapped[int] = mapped_column(Integer, default=0)  # migration 0006: the same bytes sent again
    # migration 0013: the MESH message that last carried it to CQRS (transport mesh; None over HTTP)
    mesh_message_id: Mapped[str | None] = mapped_column(String(64), nullable=True)


class GpesBody(Base):
    """The exact bytes of an accepted extract, written once with its receipt and read by the forwarder."""

    __tablename__ = "gpes_bodies"
    extract_id: Mapped[str] = mapped_column(String(128), ForeignKey("gpes_receipts.extract_id"), primary_key=True)
    body: Mapped[bytes] = mapped_column(LargeBinary)


class GpesRejection(Base):
    """An extract GPES refused, with the reasons it gave (migration 0004). The body is not kept:
    nothing of a refused extract is stored, only that it was refused and why."""

    __tablename__ = "gpes_rejections"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    request_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    supplier: Mapped[str | None] = mapped_column(String(16), nullable=True)
    practice_code: Mapped[str | None] = mapped_column(String(16), nullable=True)
    extract_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    sha256: Mapped[str] = mapped_column(String(64))
    reasons: Mapped[list] = mapped_column(JSON)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


# ---------------------------------------------------------------- CQRS


class CqrsExtract(Base):
    __tablename__ = "cqrs_extracts"
    # One current extract per practice and spec, held by the database (migration 0007): without it
    # two later extracts committed at once on PostgreSQL each superseded the old one and both stayed current.
    __table_args__ = (Index("uq_cqrs_extracts_one_current", "practice_code", "spec_id", unique=True,
                            sqlite_where=text('"current"'), postgresql_where=text('"current"')),)
    extract_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    practice_code: Mapped[str] = mapped_column(String(8), index=True)
    spec_id: Mapped[str] = mapped_column(String(64))
    achievement_date: Mapped[dt.date] = mapped_column(Date)
    supplier: Mapped[str] = mapped_column(String(16))
    list_size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    body: Mapped[bytes] = mapped_column(LargeBinary)
    received_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    current: Mapped[bool] = mapped_column(Boolean, default=True)  # False once a later extract supersedes it
    request_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)  # migration 0004
    # the counts in NHS Digital's long layout are read from the body when needed (store.rows_of_body):
    # stored beside it (migration 0005, dropped by 0012) they cost more to write than the rest of the row


class CqrsWorkflow(Base):
    __tablename__ = "cqrs_workflow"
    __table_args__ = (UniqueConstraint("practice_code", "quality_service", "achievement_date"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    practice_code: Mapped[str] = mapped_column(String(8))
    quality_service: Mapped[str] = mapped_column(String(16))
    achievement_date: Mapped[dt.date] = mapped_column(Date)
    extract_id: Mapped[str] = mapped_column(String(128))
    state: Mapped[str] = mapped_column(String(64))
    calculated: Mapped[dict] = mapped_column(JSON)  # PracticeAchievement as JSON (Decimal text)
    history: Mapped[list] = mapped_column(JSON, default=list)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class CqrsPaymentInstruction(Base):
    __tablename__ = "cqrs_payment_instructions"
    instruction_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    practice_code: Mapped[str] = mapped_column(String(8), index=True)
    commissioner: Mapped[str] = mapped_column(String(16))
    quality_service: Mapped[str] = mapped_column(String(16))
    achievement_date: Mapped[dt.date] = mapped_column(Date)
    total_points: Mapped[str] = mapped_column(String(64))
    amount_gbp: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    aspiration_paid_gbp: Mapped[str | None] = mapped_column(String(32), nullable=True)  # migration 0002
    net_gbp: Mapped[str | None] = mapped_column(String(32), nullable=True)  # migration 0002


class CqrsAudit(Base):
    """One state change or manual entry at CQRS (migration 0008): who (role and identity), when, what,
    the state before and after. Written in the transaction of the change it records (or just after,
    for a whole request's worth); read by the auditor at GET /audit."""

    __tablename__ = "cqrs_audit_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime)
    role: Mapped[str] = mapped_column(String(16))
    identity: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32))
    practice_code: Mapped[str | None] = mapped_column(String(8), index=True, nullable=True)
    before: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    after: Mapped[dict | None] = mapped_column(JSON, nullable=True)


class CqrsManualEntry(Base):
    """A practice-entered value for a non-extracted indicator (migration 0002). One row per
    practice x service x achievement date x indicator: a new entry replaces the previous one."""

    __tablename__ = "cqrs_manual_entries"
    __table_args__ = (UniqueConstraint("practice_code", "quality_service", "achievement_date", "ind_code"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    practice_code: Mapped[str] = mapped_column(String(8), index=True)
    quality_service: Mapped[str] = mapped_column(String(16))
    achievement_date: Mapped[dt.date] = mapped_column(Date)
    ind_code: Mapped[str] = mapped_column(String(16))
    achieved: Mapped[bool | None] = mapped_column(Boolean, nullable=True)  # yes/no indicators
    numerator: Mapped[int | None] = mapped_column(Integer, nullable=True)  # manual percentages
    denominator: Mapped[int | None] = mapped_column(Integer, nullable=True)
    entered_by: Mapped[str] = mapped_column(String(64))
    entered_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


# ---------------------------------------------------------------- a supplier's own store


class SupplierJob(Base):
    """An extraction request a supplier accepted (202) and works through in the background
    (migration 0004). A restarted supplier resumes every job not finished."""

    __tablename__ = "supplier_jobs"
    job_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    request_id: Mapped[str] = mapped_column(String(64), unique=True)
    supplier: Mapped[str] = mapped_column(String(16))
    request: Mapped[str] = mapped_column(Text)  # the ExtractionRequest as received (JSON)
    status: Mapped[str] = mapped_column(String(16))  # accepted | running | done | failed
    reason: Mapped[str | None] = mapped_column(String(500), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)


class SupplierSend(Base):
    """Every body a supplier sent to GPES and GPES's answer (its outbox, migration 0004)."""

    __tablename__ = "supplier_sends"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    job_id: Mapped[str] = mapped_column(String(64), index=True)
    request_id: Mapped[str] = mapped_column(String(64), index=True)
    practice_code: Mapped[str] = mapped_column(String(16))
    extract_id: Mapped[str] = mapped_column(String(128))
    sha256: Mapped[str] = mapped_column(String(64))
    body: Mapped[bytes] = mapped_column(LargeBinary)
    status: Mapped[int] = mapped_column(Integer)  # GPES's HTTP status; 0: no answer (connection failed)
    answer: Mapped[str | None] = mapped_column(Text, nullable=True)  # GPES's reason on a refusal
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


# ---------------------------------------------------------------- engine + migrations


def database_url(run_dir: Path | None = None) -> str:
    """QOFSIM_DATABASE_URL if set, else a SQLite file in the run folder."""
    url = os.environ.get(ENV_URL)
    if url:
        return url
    folder = Path(run_dir) if run_dir else Path(".")
    return f"sqlite:///{(folder / 'qofsim.db').resolve()}"


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _pragmas(conn, _):  # WAL: GPES and CQRS write from several server threads
            cur = conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: safe against corruption, fewer fsyncs
            cur.execute(f"PRAGMA wal_autocheckpoint={AUTOCHECKPOINT_PAGES}")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        if engine.url.database and engine.url.database != ":memory:":
            _checkpointer.watch(engine)
        return engine
    return create_engine(url, pool_pre_ping=True)


# A WAL is copied back into the database file by a checkpoint, which SQLite runs by itself inside the
# commit that fills it past wal_autocheckpoint pages: that commit, and every writer queued behind it,
# waited for the copy and its fsync (tens to hundreds of milliseconds for a national collection's
# bodies), and that wait was the tail of an extract's latency. A thread of the process checkpoints
# instead, PASSIVE (it takes no lock a writer waits for; SQLite releases the GIL while it copies);
# autocheckpoint stays, far higher, as the bound should that thread ever stop.
AUTOCHECKPOINT_PAGES = 100_000  # 400 MiB of WAL at SQLite's default 4 KiB page
CHECKPOINT_EVERY_S = 0.5
CHECKPOINT_FROM_BYTES = 1 << 20  # a smaller WAL is left to grow (tests' databases never get there)


class _Checkpointer:
    def __init__(self):
        self._engines: "weakref.WeakSet[Engine]" = weakref.WeakSet()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def watch(self, engine: Engine) -> None:
        with self._lock:
            self._engines.add(engine)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="sqlite-checkpoint", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        import time

        while True:
            time.sleep(CHECKPOINT_EVERY_S)
            for engine in list(self._engines):
                checkpoint(engine)


def checkpoint(engine: Engine) -> bool:
    """Copy the WAL of a SQLite file database back into it, PASSIVE, if it has grown past
    CHECKPOINT_FROM_BYTES; True if a checkpoint ran. Never raises: the next tick tries again."""
    wal = f"{engine.url.database}-wal"
    try:
        if os.path.getsize(wal) < CHECKPOINT_FROM_BYTES:
            return False
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")
        return True
    except Exception:  # the file went (a test's temporary directory), the engine was disposed, ...
        return False


_checkpointer = _Checkpointer()


def _alembic_config(url: str):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def migrate(url: str) -> None:
    """Bring the database to the newest schema (Alembic upgrade head)."""
    from alembic import command

    command.upgrade(_alembic_config(url), "head")


_WRITERS: "weakref.WeakKeyDictionary[Engine, threading.RLock]" = weakref.WeakKeyDictionary()
_WRITERS_GUARD = threading.Lock()


@contextmanager
def writing(sessions: sessionmaker):
    """A write transaction (``sessions.begin()``), on SQLite one at a time in this process. SQLite takes
    one writer at a time anyway, and a writer that finds the database locked sleeps in SQLite's busy
    handler in steps of up to 100 ms however soon the lock is free: that, not the work, was the tail of
    an extract's latency in GPES and CQRS. PostgreSQL locks rows, not the database: no lock here."""
    engine = sessions.kw.get("bind")
    if engine is None or engine.dialect.name != "sqlite":
        with sessions.begin() as s:
            yield s
        return
    with _WRITERS_GUARD:
        lock = _WRITERS.setdefault(engine, threading.RLock())
    with lock, sessions.begin() as s:
        yield s


def sessions(url: str, create: bool = True) -> sessionmaker:
    if create:
        migrate(url)
    return sessionmaker(make_engine(url), expire_on_commit=False)
