"""After the whole session, no NHS number anywhere the tests left something (issue #12: no patient
identifier leaves a supplier), else the session fails naming the file and where in it.

Scanned (``simulator/identifier_scan.py``): every file under pytest's base temporary directory
(each test's tmp_path, the worlds the service-process tests bring up with their world.json, logs,
configuration and every service's SQLite database, the reports they write, and the wire tap: every
message the services received and answered); files written under ``reports/`` during the session;
each PostgreSQL test database before it is dropped (``tests/pg.py``). ``tempfile`` in this process is
pointed under the base temporary directory, so what a test makes with ``tempfile.mkdtemp`` is
scanned too. Left out, by one rule: a supplier's own GP records (``suppliers/<supplier>/``).
"""

from __future__ import annotations

import os
import tempfile
import time

import pytest

from simulator import identifier_scan
from simulator.web.wiretap import ENV as WIRE_TAP

HITS = pytest.StashKey[list]()
STARTED = pytest.StashKey[float]()
RESULT = pytest.StashKey[tuple]()


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    config.stash[HITS] = []
    config.stash[STARTED] = time.time() - 1  # mtimes are whole seconds on some file systems
    base = config._tmp_path_factory.getbasetemp()  # the tmpdir plugin's, made before any test runs
    os.environ[WIRE_TAP] = str(base / "wire")
    (base / "tempfile").mkdir(exist_ok=True)
    tempfile.tempdir = str(base / "tempfile")


def record(config: pytest.Config, hits) -> None:
    """Hits found before the session's end (a PostgreSQL database about to be dropped)."""
    config.stash[HITS].extend(hits)


def pytest_sessionfinish(session: pytest.Session) -> None:
    config = session.config
    started = time.perf_counter()
    tally = identifier_scan.Tally()
    base = config._tmp_path_factory.getbasetemp()
    hits = list(config.stash[HITS])
    hits += identifier_scan.in_tree([base], tally)
    hits += identifier_scan.in_tree([config.rootpath / "reports"], tally, since=config.stash[STARTED])
    config.stash[RESULT] = (hits, tally, time.perf_counter() - started, base)
    if hits:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter, config: pytest.Config) -> None:
    if RESULT not in config.stash:
        return
    hits, tally, took, base = config.stash[RESULT]
    line = f"identifier scan: {tally} under {base} and reports/, {took:.1f} s"
    if hits:
        terminalreporter.section("NHS numbers found where none may be", sep="=", red=True, bold=True)
        for hit in hits[:50]:
            terminalreporter.write_line(str(hit))
        if len(hits) > 50:
            terminalreporter.write_line(f"... and {len(hits) - 50} more")
        terminalreporter.write_line(f"{line}: {len(hits)} found; the session fails", red=True)
    else:
        terminalreporter.write_line(f"{line}: no NHS number")
    for what in tally.unreadable:
        terminalreporter.write_line(f"identifier scan: could not read the tables of {what} (its bytes were scanned)")
