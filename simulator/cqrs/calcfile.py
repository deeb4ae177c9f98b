"""`qofsim calc`: points (and payments) from a values file in NHS Digital's long layout.

The same scoring and payment functions CQRS uses (the bulk path, simulator.cqrs.bulk), fed from
a file instead of extracts, so real published values and qofsim meet without a converter.

Values file (long layout, one row per practice x indicator x field):

* ratio and manual-percentage indicators: FIELD_NAME Numerator / Denominator / Exceptions;
* register indicators: any other FIELD_NAME (the register's name) is the register count;
* yes/no indicators (organisational, patient experience, some additional services): FIELD_NAME
  'Achieved', VALUE 1 (yes) or 0 (no) — also accepted as Numerator 1/0;
* optional, per practice: IND_CODE LIST, FIELD_NAME 'Target population CS' (CHS, MAT, CON):
  the additional services target populations (without them those services are paid by CPI).

List sizes file (for payments): ORG_CODE, LIST_SIZE and, optional, PREVIOUS_YEAR_POINTS (last
year's QOF points, for the aspiration payments; empty: the national average, tagged [I]).

Outputs: the points file (QUALITY_SERVICE, ORG_CODE, ACH_DATE, IND_CODE, POINTS, one row per
indicator supplied); with list sizes, a payments file (one row per practice) and the same
figures in the long layout (QUALITY_SERVICE, ORG_CODE, ACH_DATE, IND_CODE, FIELD_NAME, VALUE):
IND_CODE PRACTICE (points, payment, aspiration, net), DOMAIN and AREA (points) and PAYMENT
(each component, unrounded).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from simulator.contracts import MAX_COUNT
from simulator.cqrs import bulk, payments
from simulator.cqrs.achievement import summaries
from simulator.cqrs.longformat import (ACHIEVED, DENOMINATOR, EXCEPTIONS, LIST, NUMERATOR, REGISTER, TARGET_PREFIX,
                                       LongFormatError, PracticeValues, read_values, write_points)
from simulator.cqrs.manual import is_yes_no
from simulator.cqrs.parameters import CqrsParameters, default_parameters
from simulator.cqrs.points import points_2dp, to_decimal
from simulator.qof.catalogue import Catalogue

STANDARD = {"numerator": NUMERATOR, "denominator": DENOMINATOR, "exceptions": EXCEPTIONS}
LONG_COLUMNS = ["QUALITY_SERVICE", "ORG_CODE", "ACH_DATE", "IND_CODE", "FIELD_NAME", "VALUE"]
PAYMENT_COLUMNS = ["ORG_CODE", "ACH_DATE", "LIST_SIZE", "POINTS", "PAYMENT_GBP", "ASPIRATION_PAID_GBP", "NET_GBP"]


def _normalise(pv: PracticeValues, catalogue: Catalogue, where: str = "") -> dict[str, dict[str, int]]:
    """Numerator/Denominator/Exceptions by name (any case); 'Achieved' 1/0 for a yes/no indicator;
    for a register indicator, any other field (the register's name) is its register count;
    LIST 'Target population X' rows are kept under LIST."""
    out: dict[str, dict[str, int]] = {}
    for ind, fields in pv.fields.items():
        f: dict[str, int] = {}
        d = catalogue.indicators.get(ind)
        for name, v in fields.items():
            std = STANDARD.get(name.strip().lower())
            if ind == LIST:
                if name.strip().lower().startswith(TARGET_PREFIX.lower()):
                    f[TARGET_PREFIX + name.strip()[len(TARGET_PREFIX):].strip().upper()] = v
                continue
            if std:
                f[std] = v
            elif d is not None and name.strip().lower() == ACHIEVED.lower() and is_yes_no(d):
                if v not in (0, 1):
                    raise LongFormatError(f"{where}practice {pv.org_code}, {ind}: field 'VALUE': '{ACHIEVED}' is "
                                          f"1 (yes) or 0 (no), got {v}")
                f[NUMERATOR] = v
            elif d is not None and d.kind == "register":
                f[REGISTER] = v
        out[ind] = f
    return out


def read_list_sizes(path: Path) -> dict[str, int]:
    return {org: size for org, (size, _) in read_practice_file(path).items()}


def read_practice_file(path: Path) -> dict[str, tuple[int, Decimal | None]]:
    """ORG_CODE -> (LIST_SIZE, PREVIOUS_YEAR_POINTS or None)."""
    out: dict[str, tuple[int, Decimal | None]] = {}
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
            if int(text) > MAX_COUNT:
                raise LongFormatError(f"{Path(path).name}: row {n}: field 'LIST_SIZE': {text} is above the largest "
                                      f"count, {MAX_COUNT}")
            prev = None
            if "PREVIOUS_YEAR_POINTS" in cols and (r[cols["PREVIOUS_YEAR_POINTS"]] or "").strip():
                raw = r[cols["PREVIOUS_YEAR_POINTS"]].strip()
                try:
                    prev = Decimal(raw)
                except InvalidOperation:
                    prev = None
                if prev is None or not prev.is_finite() or prev < 0:
                    raise LongFormatError(f"{Path(path).name}: row {n}: field 'PREVIOUS_YEAR_POINTS': a number >= 0, "
                                          f"got {raw!r}")
            out[r[cols["ORG_CODE"]].strip()] = (int(text), prev)
    return out


@dataclass
class CalcResult:
    points_rows: list[dict]
    payment_rows: list[dict]
    long_rows: list[dict] = field(default_factory=list)


def _money(x: Decimal) -> str:
    return str(x)


def calc(catalogue: Catalogue, values: Path, out: Path, list_sizes: Path | None = None,
         payments_out: Path | None = None, payments_long_out: Path | None = None,
         params: CqrsParameters | None = None) -> CalcResult:
    params = params or default_parameters()
    practices = read_values(values)
    unknown = sorted({ind for pv in practices.values() for ind in pv.fields} - set(catalogue.indicators) - {LIST})
    if unknown:
        raise LongFormatError(f"{Path(values).name}: field 'IND_CODE': {unknown[0]} is not a QOF 2012/13 indicator")
    sheet = read_practice_file(list_sizes) if list_sizes else None
    if sheet is not None:
        missing = sorted({org for org, _ in practices} - sheet.keys())
        if missing:
            raise LongFormatError(f"{Path(list_sizes).name}: no LIST_SIZE for practice {missing[0]}")
    keys = sorted(practices)
    fields = [_normalise(practices[k], catalogue, f"{Path(values).name}: ") for k in keys]
    targets = [{name[len(TARGET_PREFIX):]: v for name, v in f.get(LIST, {}).items()} for f in fields]
    sizes = [sheet[k[0]][0] if sheet else 0 for k in keys]
    counts = bulk.counts_from_fields(bulk.compile_catalogue(catalogue, params), [k[0] for k in keys], sizes, fields,
                                     targets, only_present=True)
    result = bulk.calculate(catalogue, counts, catalogue.parameters.national_prevalence,
                            catalogue.parameters.national_average_target_population, params)
    points_rows, payment_rows, long_rows = [], [], []
    for i, key in enumerate(keys):
        pv = practices[key]
        for s in result.scored(i):
            points_rows.append({"QUALITY_SERVICE": pv.quality_service, "ORG_CODE": key[0], "ACH_DATE": key[1],
                                "IND_CODE": s.ind_code, "POINTS": str(points_2dp(s.points))})
    write_points(out, points_rows)
    if sheet is None:
        return CalcResult(points_rows, payment_rows, long_rows)
    for i, (org, ach) in enumerate(keys):
        qs = practices[(org, ach)].quality_service
        rows = result.area_points(i)
        total = sum((p for _, _, p, _ in rows), 0)
        pay = result.payment(i)
        asp = payments.aspiration(sheet[org][1], sheet[org][0], catalogue, params)
        net = payments.achievement_net(pay.total_gbp, asp.monthly_gbp)
        payment_rows.append({"ORG_CODE": org, "ACH_DATE": ach, "LIST_SIZE": sheet[org][0],
                             "POINTS": str(points_2dp(to_decimal(total))), "PAYMENT_GBP": _money(pay.total_gbp),
                             "ASPIRATION_PAID_GBP": _money(asp.paid_gbp), "NET_GBP": _money(net)})

        def put(ind: str, name: str, value) -> None:
            long_rows.append({"QUALITY_SERVICE": qs, "ORG_CODE": org, "ACH_DATE": ach, "IND_CODE": ind,
                              "FIELD_NAME": name, "VALUE": str(value)})

        put("PRACTICE", "Points", points_2dp(to_decimal(total)))
        put("PRACTICE", "Achievement payment GBP", pay.total_gbp)
        put("PRACTICE", "Previous year points", asp.previous_year_points)
        for m, amount in enumerate(asp.monthly_gbp, start=1):
            put("PRACTICE", f"Aspiration month {m:02d} GBP", amount)
        put("PRACTICE", "Aspiration paid GBP", asp.paid_gbp)
        put("PRACTICE", "Net payment GBP", net)
        areas, domains = summaries(rows)
        for d in domains:
            put("DOMAIN", f"Points: {d.domain}", d.points_2dp)
        for a in areas:
            put("AREA", f"Points: {a.area}", a.points_2dp)
        for name, amount in sorted(pay.components.items()):
            put("PAYMENT", name, amount)
    target = payments_out or out.with_name(out.stem + "-payments.csv")
    with open(target, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=PAYMENT_COLUMNS)
        w.writeheader()
        w.writerows(payment_rows)
    long_target = payments_long_out or out.with_name(out.stem + "-payments-long.csv")
    with open(long_target, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=LONG_COLUMNS)
        w.writeheader()
        w.writerows(long_rows)
    return CalcResult(points_rows, payment_rows, long_rows)
