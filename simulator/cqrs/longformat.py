"""NHS Digital's long layout for QOF values and points, beside qofsim's JSON contract.

Values: QUALITY_SERVICE, NAME, ORG_CODE, ACH_DATE, IND_CODE, FIELD_NAME, VALUE, DEFAULT_VALUES_USED,
SUBMIT_USER_ID, SUBMIT_DATE, SUBMIT_TIME, LAST_SUBMISSION (one row per practice x indicator x
field; extracted data has SUBMIT_USER_ID = AUTOMATED). Points: QUALITY_SERVICE, ORG_CODE,
ACH_DATE, IND_CODE, POINTS. See ../shared/qof/FACTS.md, "What CQRS receives today".
"""

from __future__ import annotations

import csv
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Iterable, Iterator

from simulator.contracts import MAX_COUNT, Extract

VALUE_COLUMNS = ["QUALITY_SERVICE", "NAME", "ORG_CODE", "ACH_DATE", "IND_CODE", "FIELD_NAME", "VALUE",
                 "DEFAULT_VALUES_USED", "SUBMIT_USER_ID", "SUBMIT_DATE", "SUBMIT_TIME", "LAST_SUBMISSION"]
POINTS_COLUMNS = ["QUALITY_SERVICE", "ORG_CODE", "ACH_DATE", "IND_CODE", "POINTS"]
REQUIRED = ["QUALITY_SERVICE", "ORG_CODE", "ACH_DATE", "IND_CODE", "FIELD_NAME", "VALUE"]
NUMERATOR, DENOMINATOR, EXCEPTIONS, REGISTER, LIST_SIZE = "Numerator", "Denominator", "Exceptions", "Register", "List size"
ACHIEVED = "Achieved"  # a yes/no indicator: VALUE 1 (yes) or 0 (no)
LIST = "LIST"  # IND_CODE of practice-level fields: list size, target populations
TARGET_PREFIX = "Target population "  # FIELD_NAME 'Target population CS' under IND_CODE LIST


class LongFormatError(ValueError):
    pass


def extract_to_rows(x: Extract, register_indicator: dict[str, str] | None = None) -> Iterator[tuple[str, str, int]]:
    """(IND_CODE, FIELD_NAME, VALUE) rows of one extract. Registers are keyed by register id
    (DM) unless ``register_indicator`` maps them to their indicator code (DM32). Target
    populations (optional) are practice-level rows: LIST / 'Target population CS'."""
    yield LIST, LIST_SIZE, x.list_size
    for group, n in sorted(x.target_populations.items()):
        yield LIST, TARGET_PREFIX + group, n
    for rid, n in x.registers.items():
        yield (register_indicator or {}).get(rid, rid), REGISTER, n
    for i in x.indicators:
        if isinstance(i, dict):  # an ExtractRead (what CQRS reads on receipt)
            yield i["id"], NUMERATOR, i["numerator"]
            yield i["id"], DENOMINATOR, i["denominator"]
            yield i["id"], EXCEPTIONS, i["exceptions"]
        else:
            yield i.id, NUMERATOR, i.numerator
            yield i.id, DENOMINATOR, i.denominator
            yield i.id, EXCEPTIONS, i.exceptions


@dataclass
class PracticeValues:
    """One practice's fields as supplied; an absent field is 'not supplied', not zero."""

    org_code: str
    ach_date: str
    quality_service: str
    fields: dict[str, dict[str, int]] = field(default_factory=lambda: defaultdict(dict))  # ind -> field -> value


def _parse_date(text: str, where: str) -> str:
    for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%Y%m%d", "%d-%b-%y", "%d-%b-%Y"):
        try:
            return dt.datetime.strptime(text.strip(), fmt).date().isoformat()
        except ValueError:
            continue
    raise LongFormatError(f"{where}: field 'ACH_DATE': not a date: {text!r}")


def read_values(path: Path) -> dict[tuple[str, str], PracticeValues]:
    """Read a long-layout values file. Keyed by (ORG_CODE, ACH_DATE as ISO date)."""
    out: dict[tuple[str, str], PracticeValues] = {}
    with open(path, newline="", encoding="utf-8-sig") as f:
        reader = csv.DictReader(f)
        cols = [c.strip().upper() for c in reader.fieldnames or []]
        missing = [c for c in REQUIRED if c not in cols]
        if missing:
            raise LongFormatError(f"{Path(path).name}: header lacks column {missing[0]!r}")
        for n, raw in enumerate(reader, start=2):
            r = {k.strip().upper(): (v or "").strip() for k, v in raw.items() if k}
            where = f"{Path(path).name}: row {n}"
            for c in REQUIRED:
                if r.get(c, "") == "":
                    raise LongFormatError(f"{where}: field {c!r} is empty")
            try:
                value = Decimal(r["VALUE"])  # exact: a float would round a count above 2**53
            except InvalidOperation:
                raise LongFormatError(f"{where}: field 'VALUE': not a number: {r['VALUE']!r}") from None
            if not value.is_finite() or value < 0 or value != value.to_integral_value():
                raise LongFormatError(f"{where}: field 'VALUE': counts are whole numbers >= 0, got {r['VALUE']}")
            if value > MAX_COUNT:
                raise LongFormatError(f"{where}: field 'VALUE': {r['VALUE']} is above the largest count, {MAX_COUNT}")
            key = (r["ORG_CODE"], _parse_date(r["ACH_DATE"], where))
            pv = out.setdefault(key, PracticeValues(r["ORG_CODE"], key[1], r["QUALITY_SERVICE"]))
            pv.fields[r["IND_CODE"]][r["FIELD_NAME"]] = int(value)
    return out


def target_populations_of(fields: dict[str, dict[str, int]]) -> dict[str, int]:
    """Target populations among a practice's fields (IND_CODE LIST, FIELD_NAME 'Target population CS')."""
    return {name[len(TARGET_PREFIX):].strip(): v for name, v in fields.get(LIST, {}).items()
            if name.startswith(TARGET_PREFIX)}


def write_points(path: Path, rows: Iterable[dict]) -> None:
    rows = list(rows)
    extra = [k for k in (rows[0].keys() if rows else []) if k not in POINTS_COLUMNS]
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=POINTS_COLUMNS + extra)
        w.writeheader()
        w.writerows(rows)


def write_values(path: Path, extracts: Iterable[Extract], register_indicator: dict[str, str], submitted: dt.datetime,
                 quality_service: str = "QOF") -> None:
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(VALUE_COLUMNS)
        for x in extracts:
            for ind, fname, v in extract_to_rows(x, register_indicator):
                w.writerow([quality_service, "", x.practice_code, x.achievement_date.strftime("%d/%m/%Y"), ind, fname, v,
                            "N", "AUTOMATED", submitted.strftime("%d/%m/%Y"), submitted.strftime("%H:%M:%S"), "Y"])
