"""Looking for NHS numbers where none may be: files, SQLite and other databases, exchanged messages.

No patient identifier leaves a supplier (issue #12). ``reconcile`` checks each extract of a run;
this scan looks at everything a test session left behind (``tests/after_suite_scan.py``): every file
under pytest's base temporary directory and every report written, SQLite databases table by table
(every value, an integer column's too), PostgreSQL databases before
they are dropped, and every message a service received and answered (the wire tap,
``simulator/web/wiretap.py``).

An NHS number here is ten digits, run together or written 3-3-4 with single spaces, touching no
letter or digit on either side (so digits inside a SHA-256, a UUID or an identifier are not read as
one) and no decimal point (a fraction's digits, or the whole part of 4325750932.50, are no
identifier), whose tenth digit is the Modulus 11 check digit of the first nine, and whose first digit is 3
to 9: no NHS number begins with 0, 1 or 2 (England and Wales issue 4xx and 6xx-7xx, Northern Ireland
3xx, tests 999: qofsim's own are all 999), while Unix seconds (1,000,000,000 to 2,999,999,999 are
2001 to 2065: timestamps in logs and load statistics), 32-bit bounds (2147483647) and a run of
bytes counting 0123456789 are exactly such runs.

Not scanned, because it is patient-level by design and stays with its supplier: a supplier's own GP
records, that is any file under a folder ``suppliers/<EMIS|TPP|INPS|Microtest>/`` (where a generated
nation keeps each supplier's patients.parquet and events.parquet, read only by that supplier, and
where a practice's printed record is written). :func:`supplier_owned` is the whole rule.
"""

from __future__ import annotations

import mmap
import re
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from simulator.population.nhs_number import is_valid

SUPPLIERS = ("EMIS", "TPP", "INPS", "Microtest")
_NUMBER = rb"(?<![0-9A-Za-z])(?<![0-9]\.)(?:[0-9]{10}|[0-9]{3} [0-9]{3} [0-9]{4})(?![0-9A-Za-z])(?!\.[0-9])"
NUMBER = re.compile(_NUMBER)
RUN = re.compile(rb"[0-9][0-9 ]{9,}")  # where a number may be: found five times faster than NUMBER itself
NUMBER_TEXT = re.compile(_NUMBER.decode())
SQLITE_MAGIC = b"SQLite format 3\x00"
NEWLINE = b"\n"


@dataclass(frozen=True)
class Hit:
    """One NHS number found: where (a file and line, byte or table row and column) and what."""

    where: str
    number: str
    context: str

    def __str__(self) -> str:
        return f"{self.where}: NHS number {self.number} in {self.context!r}"


@dataclass
class Tally:
    """What a scan covered, for its one-line summary."""

    files: int = 0
    bytes: int = 0
    databases: int = 0
    rows: int = 0
    skipped: list[str] = field(default_factory=list)  # supplier-owned files, by the rule above
    unreadable: list[str] = field(default_factory=list)  # databases whose tables could not be read

    def __str__(self) -> str:
        return (f"{self.files} files ({self.bytes / 2**20:.1f} MiB), {self.databases} databases "
                f"({self.rows} rows), {len(self.skipped)} supplier-owned files left out")


def is_nhs_number(digits: str) -> bool:
    """Ten digits (spaces allowed) passing Modulus 11, beginning 3 to 9 (see the module doc)."""
    digits = digits.replace(" ", "")
    return len(digits) == 10 and digits[0] >= "3" and is_valid(digits)


def in_text(text: str) -> list[str]:
    """Every NHS number in a piece of text, as ten digits."""
    return [n for n in (m.replace(" ", "") for m in NUMBER_TEXT.findall(text)) if is_nhs_number(n)]


def in_value(value) -> list[str]:
    """Every NHS number in one database value: text, an integer of ten digits, or bytes."""
    if isinstance(value, bool) or value is None or isinstance(value, float):
        return []
    if isinstance(value, int):
        return [str(value)] if is_nhs_number(str(value)) else []
    if isinstance(value, (bytes, bytearray, memoryview)):
        return [m.decode().replace(" ", "") for m in NUMBER.findall(bytes(value))
                if is_nhs_number(m.decode())]
    return in_text(str(value))


def supplier_owned(path: Path) -> bool:
    """The exclusion rule: a file under ``suppliers/<supplier>/`` is that supplier's own GP record."""
    parts = path.parts
    return any(a == "suppliers" and b in SUPPLIERS for a, b in zip(parts, parts[1:-1]))


def _context(data: bytes, start: int, end: int) -> str:
    return data[max(0, start - 40):end + 40].decode("utf-8", "replace").replace("\n", " ")


def in_bytes(data: bytes, name: str) -> Iterator[Hit]:
    """Hits in raw bytes, each named by line when the bytes are text, else by byte offset."""
    for m in (n for run in RUN.finditer(data) for n in NUMBER.finditer(data, run.start(), run.end() + 2)):
        number = m.group().decode().replace(" ", "")
        if not is_nhs_number(number):
            continue
        if b"\x00" in data[max(0, m.start() - 512):m.end() + 512]:  # binary: no lines to count
            where = f"{name} (byte {m.start()})"
        else:
            where = f"{name}:{data[:m.start()].count(NEWLINE) + 1}"
        yield Hit(where, number, _context(data, m.start(), m.end()))


def in_sqlite(path: Path, tally: Tally | None = None) -> Iterator[Hit]:
    """Hits in every row of every table of a SQLite database (integers included), read-only."""
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for table in tables:
            cur = con.execute(f'SELECT rowid, * FROM "{table}"') if _has_rowid(con, table) else \
                con.execute(f'SELECT NULL, * FROM "{table}"')
            columns = [d[0] for d in cur.description][1:]
            for row in cur:
                if tally is not None:
                    tally.rows += 1
                for column, value in zip(columns, row[1:]):
                    for number in in_value(value):
                        yield Hit(f"{path}: table {table}, rowid {row[0]}, column {column}", number,
                                  str(value)[:120])
    finally:
        con.close()


def _has_rowid(con: sqlite3.Connection, table: str) -> bool:
    try:
        con.execute(f'SELECT rowid FROM "{table}" LIMIT 0')
        return True
    except sqlite3.OperationalError:
        return False


def in_rows(name: str, rows: Iterable[tuple[str, str, object]]) -> Iterator[Hit]:
    """Hits in (table, column, value) triples, e.g. a PostgreSQL database read through SQLAlchemy."""
    for table, column, value in rows:
        for number in in_value(value):
            yield Hit(f"{name}: table {table}, column {column}", number, str(value)[:120])


def in_file(path: Path, tally: Tally | None = None) -> Iterator[Hit]:
    """Hits in one file: a SQLite database's rows, table by table (its write-ahead log read with it);
    any other file's bytes. A database's bytes are not read as text: SQLite stores a row's values
    side by side, so two timestamps make digits no value holds (``…04.5931522026-11-30…``)."""
    tally = tally if tally is not None else Tally()
    size = path.stat().st_size
    tally.files += 1
    tally.bytes += size
    if size == 0 or _sqlite_companion(path):
        return
    with path.open("rb") as f:
        sqlite = f.read(16) == SQLITE_MAGIC
    if sqlite:
        tally.databases += 1
        try:
            yield from in_sqlite(path, tally)
        except sqlite3.DatabaseError as exc:
            tally.unreadable.append(f"{path}: {exc}")
        return
    with path.open("rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as data:
        yield from in_bytes(data, str(path))


def _sqlite_companion(path: Path) -> bool:
    """A SQLite database's -wal, -shm or -journal file: read with the database, through SQLite."""
    for suffix in ("-wal", "-shm", "-journal"):
        if path.name.endswith(suffix):
            db = path.with_name(path.name[:-len(suffix)])
            try:
                with db.open("rb") as f:
                    return f.read(16) == SQLITE_MAGIC
            except OSError:
                return False
    return False


def in_tree(roots: Iterable[Path], tally: Tally, since: float | None = None) -> Iterator[Hit]:
    """Hits in every file under ``roots`` (modified at or after ``since``, when given), leaving out
    supplier-owned files (recorded in ``tally.skipped``)."""
    seen: set[Path] = set()
    for root in roots:
        if not root.exists():
            continue
        for path in sorted(p for p in root.rglob("*") if p.is_file() and not p.is_symlink()):
            real = path.resolve()
            if real in seen:
                continue
            seen.add(real)
            if supplier_owned(path.relative_to(root)):
                tally.skipped.append(str(path))
                continue
            try:
                if since is not None and path.stat().st_mtime < since:
                    continue
                yield from in_file(path, tally)
            except (FileNotFoundError, PermissionError, ValueError) as exc:  # gone meanwhile; a socket
                tally.unreadable.append(f"{path}: {exc}")
