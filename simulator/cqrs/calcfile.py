"""`qofsim calc`: points (and payments) from a values file in NHS Digital's long layout.

The same scoring and payment functions CQRS uses, fed from a file instead of extracts, so real
published values and qofsim meet without a converter.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from simulator.cqrs import payments
from simulator.cqrs.longformat import (DENOMINATOR, EXCEPTIONS, NUMERATOR, REGISTER, LongFormatError, PracticeValues,
                                       read_values, write_points)
from simulator.cqrs.achievement import score_practice
from simulator.cqrs.points import points_2dp
from simulator.qof.catalogue import Catalogue

STANDARD = {"numerator": NUMERATOR, "denominator": DENOMINATOR, "exceptions": EXCEPTIONS}


def _normalise(pv: PracticeValues, catalogue: Catalogue) -> dict[str, dict[str, int]]:
    """Numerator/Denominator/Exceptions by name (any case); for a register indicator, any other
    field (the register's name) is its register count."""
    out: dict[str, dict[str, int]] = {}
    for ind, fields in pv.fields.items():
        f: dict[str, int] = {}
        for name, v in fields.items():
            std = STANDARD.get(name.strip().lower())
            if std:
                f[std] = v
            elif ind in catalogue.indicators and catalogue.indicators[ind].kind == "register":
                f[REGISTER] = v
        out[ind] = f
    return out


def read_list_sizes(path: Path) -> dict[str, int]:
    out: dict[str, int] = {}
    with open(path, newline="", encoding="utf-8-sig") as f:
        reader = csv.DictReader(f)
        cols = {c.strip().upper(): c for c in reader.fieldnames or []}
        for need in ("ORG_CODE", "LIST_SIZE"):
            if need not in cols:
                raise LongFormatError(f"{Path(path).name}: header lacks column {need!r}")
        for n, r in enumerate(reader, start=2):
            text = (r[cols["LIST_SIZE"]] or "").strip()
            if not text.isdigit():
                raise LongFormatError(f"{Path(path).name}: row {n}: field 'LIST_SIZE': a whole number >= 0, got {text!r}")
            out[r[cols["ORG_CODE"]].strip()] = int(text)
    return out


@dataclass
class CalcResult:
    points_rows: list[dict]
    payment_rows: list[dict]


def calc(catalogue: Catalogue, values: Path, out: Path, list_sizes: Path | None = None,
         payments_out: Path | None = None) -> CalcResult:
    practices = read_values(values)
    unknown = sorted({ind for pv in practices.values() for ind in pv.fields} - set(catalogue.indicators) - {"LIST"})
    if unknown:
        raise LongFormatError(f"{Path(values).name}: field 'IND_CODE': {unknown[0]} is not a QOF 2012/13 indicator")
    sizes = read_list_sizes(list_sizes) if list_sizes else None
    points_rows, payment_rows = [], []
    scored_by = {}
    for (org, ach), pv in sorted(practices.items()):
        fields = _normalise(pv, catalogue)
        scored = [s for s in score_practice(catalogue, fields) if s.ind_code in fields]
        scored_by[(org, ach)] = (fields, scored)
        for s in scored:
            points_rows.append({"QUALITY_SERVICE": pv.quality_service, "ORG_CODE": org, "ACH_DATE": ach,
                                "IND_CODE": s.ind_code, "POINTS": str(points_2dp(s.points))})
    write_points(out, points_rows)
    if sizes is not None:
        missing = sorted({org for org, _ in practices} - sizes.keys())
        if missing:
            raise LongFormatError(f"{Path(list_sizes).name}: no LIST_SIZE for practice {missing[0]}")
        figures = {key: payments.PracticeFigures(key[0], sizes[key[0]], {
            r.id: fields.get(r.indicator, {}).get(REGISTER, 0) for r in catalogue.rules.registers.values()})
            for key, (fields, _) in scored_by.items()}
        national = (catalogue.parameters.national_prevalence
                    or payments.national_prevalence(figures.values(), catalogue.rules.registers))
        for key, (_, scored) in scored_by.items():
            pay = payments.practice_payment(catalogue, figures[key], scored, national)
            payment_rows.append({"ORG_CODE": key[0], "ACH_DATE": key[1], "LIST_SIZE": sizes[key[0]],
                                 "POINTS": str(points_2dp(sum((s.points for s in scored), Decimal(0)))),
                                 "PAYMENT_GBP": str(pay.total_gbp)})
        target = payments_out or out.with_name(out.stem + "-payments.csv")
        with open(target, "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=["ORG_CODE", "ACH_DATE", "LIST_SIZE", "POINTS", "PAYMENT_GBP"])
            w.writeheader()
            w.writerows(payment_rows)
    return CalcResult(points_rows, payment_rows)
