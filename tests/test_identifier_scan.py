"""The identifier scan: a planted NHS number is found in a text file, in an SQLite table (text and
integer columns) and in a database's rows; a SHA-256, timestamps, UUIDs and decimals are not read as
one; a supplier's own records are left out by their folder; and a session that leaves one behind fails."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from simulator.identifier_scan import Tally, in_file, in_rows, in_text, in_tree, is_nhs_number, supplier_owned
from simulator.population.nhs_number import is_valid

PLANTED = "9434765919"  # valid Modulus 11
EPOCH = "1764518403"  # 2025-11-30T16:00:03Z in Unix seconds, and Modulus 11 valid too
SHA = "ab" + PLANTED + "cd" + "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852"[:50]
UUID = "6f1c2d3e-aaaa-4bbb-8ccc-d" + PLANTED + "e"


@pytest.fixture
def scratch(tmp_path):
    """A folder removed after the test: what is planted here must not be left for the session's own scan."""
    d = tmp_path / "planted"
    d.mkdir()
    yield d
    shutil.rmtree(d)


def test_the_examples_are_what_they_claim():
    assert is_valid(PLANTED) and is_valid(EPOCH) and len(SHA) == 64 and int(SHA, 16)
    assert is_nhs_number(PLANTED) and is_nhs_number("943 476 5919")
    assert not is_nhs_number(EPOCH), "Unix seconds: no NHS number begins with 1"
    assert not is_nhs_number("9434765918"), "the check digit is wrong"


def test_a_planted_number_in_a_text_file_is_found_by_line(scratch):
    f = scratch / "run.log"
    f.write_text(f"started\nsha256 {SHA}\nat {EPOCH} 2026-11-30T15:50:28.123456+00:00 {UUID}\n"
                 f"patient {PLANTED} seen\nand again 943 476 5919.\n")
    hits = list(in_file(f))
    assert [(h.where, h.number) for h in hits] == [(f"{f}:4", PLANTED), (f"{f}:5", PLANTED)]


def test_nothing_is_found_in_hashes_timestamps_uuids_and_decimals(scratch):
    f = scratch / "receipts.json"
    f.write_text(f'{{"sha256": "{SHA}", "received_at": "2026-11-30T15:50:28.123456", "at": {EPOCH}, '
                 f'"extract_id": "{UUID}", "list_size": 94347659190, "count": 2147483647, '
                 f'"payment_gbp": "{PLANTED}.50", "side_by_side": "15:55:04.{PLANTED}-11-30"}}')
    assert list(in_file(f)) == []


def test_a_planted_number_in_an_sqlite_table_is_found_by_table_row_and_column(scratch):
    db = scratch / "gpes.db"
    con = sqlite3.connect(db)
    con.execute("CREATE TABLE receipts (extract_id TEXT, sha256 TEXT, list_size INTEGER, note TEXT)")
    con.execute("INSERT INTO receipts VALUES (?, ?, ?, ?)", (UUID, SHA, 6000, "fine"))
    con.execute("INSERT INTO receipts VALUES (?, ?, ?, ?)", ("x-2", SHA, int(PLANTED), "fine"))  # no digits as text
    con.execute("INSERT INTO receipts VALUES (?, ?, ?, ?)", ("x-3", SHA, 1, f'{{"nhs": "{PLANTED}"}}'))
    con.commit()
    con.close()
    tally = Tally()
    hits = list(in_file(db, tally))
    assert [h.where for h in hits] == [f"{db}: table receipts, rowid 2, column list_size",
                                       f"{db}: table receipts, rowid 3, column note"]
    assert tally.databases == 1 and tally.rows == 3


def test_rows_read_from_any_database_are_scanned():
    rows = [("cqrs_extracts", "body", '{"x": 1}'), ("cqrs_extracts", "list_size", int(PLANTED)),
            ("cqrs_audit_log", "at", EPOCH)]
    assert [(h.where, h.number) for h in in_rows("db", rows)] == [("db: table cqrs_extracts, column list_size",
                                                                    PLANTED)]


def test_a_suppliers_own_records_are_left_out_and_nothing_else(scratch):
    assert supplier_owned(Path("world/nation/suppliers/EMIS/patients.parquet"))
    assert not supplier_owned(Path("world/suppliers.json")) and not supplier_owned(Path("suppliers/NOPE/x.csv"))
    (scratch / "nation" / "suppliers" / "TPP").mkdir(parents=True)
    (scratch / "nation" / "suppliers" / "TPP" / "patients.csv").write_text(PLANTED)
    (scratch / "gpes.log").write_text(PLANTED)
    tally = Tally()
    hits = list(in_tree([scratch], tally))
    assert [h.where for h in hits] == [f"{scratch / 'gpes.log'}:1"]
    assert tally.skipped == [str(scratch / "nation" / "suppliers" / "TPP" / "patients.csv")]


def test_text_is_scanned_as_words_not_digits_inside_identifiers():
    assert in_text(f"a{PLANTED} {PLANTED}b {PLANTED}0 ({PLANTED}) patient_{PLANTED}") == [PLANTED, PLANTED]


def test_a_session_that_leaves_a_number_behind_fails_naming_the_file(scratch):
    """A pytest session of its own, with this suite's after-suite scan, whose one test passes but
    writes an NHS number into its tmp_path: the session's exit status is 1 and the file is named."""
    (scratch / "test_leaves.py").write_text(textwrap.dedent(f"""
        def test_leaves(tmp_path):
            (tmp_path / "report.csv").write_text("practice,patient\\nA81001,{PLANTED}\\n")
    """))
    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONPATH": str(root)}
    r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "tests.after_suite_scan",
                        f"--basetemp={scratch / 'base'}", "--rootdir", str(scratch), str(scratch / "test_leaves.py")],
                       cwd=scratch, env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 1, r.stdout + r.stderr
    assert "1 passed" in r.stdout and f"report.csv:2: NHS number {PLANTED}" in r.stdout, r.stdout
