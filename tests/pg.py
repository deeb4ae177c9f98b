"""A real PostgreSQL server for the tests: one per test session, a fresh empty database per test.

Registered from ``tests/conftest.py``. Fixtures:

- ``postgres_server`` (session): the running :class:`PostgresServer` (``.host``, ``.port``,
  ``.user``, ``.pid``, ``.url(dbname)``, ``.create_database()``, ``.drop_database()``).
  Started on first use only, so a run that needs no PostgreSQL starts none.
- ``postgres_url`` (function): a factory, ``postgres_url(prefix="t") -> str``, that creates a
  fresh empty database and returns its SQLAlchemy URL,
  ``postgresql+psycopg://qofsim@127.0.0.1:PORT/NAME``. Every database it made is dropped (its
  connections closed) when the test ends. The URL works from any process on the machine.
- ``db_url`` (function, parametrized ``sqlite`` / ``postgresql``): an empty, unmigrated database
  of each kind; a test that takes it runs once on each store.

The server comes from Debian's ``postgresql`` package (``scripts/system-packages.sh``, run by
``make test``): ``initdb`` and ``pg_ctl`` from ``/usr/lib/postgresql/<version>/bin`` (newest
first; ``QOFSIM_PG_BIN`` overrides). Its data and socket directories live in a temporary
directory (on /dev/shm when that is a roomy tmpfs: CREATE DATABASE is ~15 times faster there;
``QOFSIM_PG_TMP`` overrides); it listens on 127.0.0.1 only, on a free port, with trust
authentication (loopback and a private socket directory only), fsync off (a throw-away
server). ``initdb`` and ``postgres`` refuse to run as root, so as root they run as the
``postgres`` system user (``QOFSIM_PG_USER`` overrides) and the temporary directory belongs to
that user. The server is stopped (``pg_ctl stop -m fast``, then its PID if
need be) and its directory removed at the end of the session.

No binaries: the tests that need the server fail with the reason when ``CI`` is set (CI must
not pass by skipping them) and are skipped with the reason otherwise.
"""

from __future__ import annotations

import atexit
import glob
import itertools
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from simulator import identifier_scan
from tests import after_suite_scan

USER = "qofsim"  # the superuser initdb creates; trust auth, so no password


def find_bin_dir() -> Path | None:
    """QOFSIM_PG_BIN, else the newest /usr/lib/postgresql/<version>/bin holding initdb and pg_ctl."""
    if os.environ.get("QOFSIM_PG_BIN"):
        candidates = [os.environ["QOFSIM_PG_BIN"]]
    else:
        found = glob.glob("/usr/lib/postgresql/*/bin")
        candidates = sorted(found, key=lambda p: [int(n) for n in re.findall(r"\d+", Path(p).parent.name)] or [0],
                            reverse=True)
    for c in candidates:
        if (Path(c) / "initdb").is_file() and (Path(c) / "pg_ctl").is_file():
            return Path(c)
    return None


def _scratch_dir() -> str:
    """Where the data directory goes: QOFSIM_PG_TMP, else /dev/shm when it is a roomy tmpfs (a
    database is created per test; on this machine's disk CREATE DATABASE takes ~0.25 s, on tmpfs
    ~0.015 s), else the system temporary directory."""
    if os.environ.get("QOFSIM_PG_TMP"):
        return os.environ["QOFSIM_PG_TMP"]
    try:
        st = os.statvfs("/dev/shm")
        if st.f_bavail * st.f_frsize >= 2 * 2**30 and os.access("/dev/shm", os.W_OK | os.X_OK):
            return "/dev/shm"
    except OSError:
        pass
    return tempfile.gettempdir()


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class PostgresServer:
    """A throw-away PostgreSQL server in its own temporary directory, on 127.0.0.1."""

    bin_dir: Path
    host: str = "127.0.0.1"
    port: int = 0
    user: str = USER
    base: Path | None = None
    pid: int | None = None
    _run_as: pwd.struct_passwd | None = None
    _admin: object = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _names: itertools.count = field(default_factory=itertools.count)

    # ------------------------------------------------------------ life cycle

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        kw: dict = {}
        if self._run_as is not None:
            kw = {"user": self._run_as.pw_uid, "group": self._run_as.pw_gid, "extra_groups": []}
        env = {"PATH": f"{self.bin_dir}:/usr/bin:/bin", "LC_ALL": "C", "HOME": str(self.base)}
        return subprocess.run([str(self.bin_dir / args[0]), *args[1:]], cwd=self.base, env=env, text=True,
                              capture_output=True, check=check, timeout=120, **kw)

    @property
    def data(self) -> Path:
        return self.base / "data"

    def start(self) -> "PostgresServer":
        if os.geteuid() == 0:
            name = os.environ.get("QOFSIM_PG_USER", "postgres")
            try:
                self._run_as = pwd.getpwnam(name)
            except KeyError:
                raise RuntimeError(f"running as root, and there is no {name!r} user to run PostgreSQL as "
                                   "(Debian's postgresql package creates it; QOFSIM_PG_USER names another)") from None
        self.base = Path(tempfile.mkdtemp(prefix="qofsim-pg-", dir=_scratch_dir()))
        (self.base / "sock").mkdir()
        if self._run_as is not None:
            for p in (self.base, self.base / "sock"):
                os.chown(p, self._run_as.pw_uid, self._run_as.pw_gid)
        atexit.register(self.stop)
        try:
            self._run("initdb", "-D", str(self.data), "-U", self.user, "--auth=trust", "--encoding=UTF8",
                      "--locale=C", "--no-sync", "--no-instructions")
        except subprocess.CalledProcessError as exc:
            raise RuntimeError(f"initdb failed:\n{exc.stdout}\n{exc.stderr}") from None
        last = ""
        for _ in range(5):  # the port is free when chosen; another process may take it before we bind
            self.port = _free_port()
            opts = (f"-c listen_addresses={self.host} -p {self.port} -k {self.base / 'sock'} "
                    "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300 "
                    "-c max_wal_size=256MB -c min_wal_size=32MB")
            r = self._run("pg_ctl", "-D", str(self.data), "-l", str(self.base / "server.log"), "-o", opts,
                          "-w", "-t", "60", "start", check=False)
            if r.returncode == 0:
                self.pid = int((self.data / "postmaster.pid").read_text().split()[0])
                return self
            last = (self.base / "server.log").read_text() if (self.base / "server.log").exists() else r.stderr
        raise RuntimeError(f"PostgreSQL did not start in {self.base}:\n{last[-3000:]}")

    def stop(self) -> None:
        if self.base is None:
            return
        if self._admin is not None:
            try:
                self._admin.close()
            except Exception:
                pass
            self._admin = None
        if self.pid is not None:
            r = self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "-t", "30", "stop", check=False)
            if r.returncode != 0:
                try:
                    os.kill(self.pid, signal.SIGQUIT)  # immediate shutdown of the postmaster and its children
                    time.sleep(1)
                except ProcessLookupError:
                    pass
            self.pid = None
        shutil.rmtree(self.base, ignore_errors=True)
        self.base = None

    # ------------------------------------------------------------ databases

    def url(self, dbname: str = "postgres") -> str:
        return f"postgresql+psycopg://{self.user}@{self.host}:{self.port}/{dbname}"

    def _execute(self, sql: str) -> None:
        import psycopg

        with self._lock:
            if self._admin is None or self._admin.closed:
                self._admin = psycopg.connect(host=self.host, port=self.port, user=self.user, dbname="postgres",
                                              autocommit=True)
            self._admin.execute(sql)

    def create_database(self, prefix: str = "t") -> str:
        """A fresh empty database; returns its name."""
        name = f"{re.sub(r'[^a-z0-9_]', '_', prefix.lower())[:40]}_{next(self._names)}_{os.getpid()}"
        self._execute(f'CREATE DATABASE "{name}"')
        return name

    def drop_database(self, name: str) -> None:
        """Drop it, closing whatever connections are still open to it (a test's engine pools)."""
        self._execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


@pytest.fixture(scope="session")
def postgres_server():
    bin_dir = find_bin_dir()
    if bin_dir is None:
        reason = ("PostgreSQL server binaries not found (no /usr/lib/postgresql/<version>/bin/initdb; set "
                  "QOFSIM_PG_BIN or install Debian's postgresql package: `make system-packages`, as root)")
        if _ci():
            pytest.fail(f"CI: {reason}", pytrace=False)
        pytest.skip(reason)
    server = PostgresServer(bin_dir)
    try:
        server.start()
    except BaseException:
        server.stop()
        raise
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def postgres_url(postgres_server, request):
    """Factory: ``postgres_url(prefix=...)`` -> the URL of a fresh empty database, dropped after the test."""
    made: list[str] = []

    def make(prefix: str | None = None) -> str:
        name = postgres_server.create_database(prefix or request.node.name.split("[")[0])
        made.append(name)
        return postgres_server.url(name)

    yield make
    for name in made:
        after_suite_scan.record(request.config, identifier_scan.in_rows(
            f"postgresql database {name} (test {request.node.nodeid})", _rows(postgres_server.url(name))))
        postgres_server.drop_database(name)


def _rows(url: str):
    """(table, column, value) for every value in a database, for the identifier scan before it is dropped."""
    import sqlalchemy as sa

    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        meta = sa.MetaData()
        meta.reflect(engine)
        with engine.connect() as c:
            for table in meta.sorted_tables:
                names = list(table.columns.keys())
                for row in c.execute(sa.select(table)):
                    yield from ((table.name, n, v) for n, v in zip(names, row))
    finally:
        engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    """An empty database on each store: a SQLite file in tmp_path, then a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'q.db'}"
    return request.getfixturevalue("postgres_url")()
