"""CQRS calculation: stored counts + manual entries -> points per indicator, area, domain and
practice -> payment per practice, aspiration paid and the year-end net.

National prevalence (and the national average target population of each additional service)
is taken over every practice's current extract in the run, or from the parameters file when it
names figures. A practice already declared or approved keeps its figures; one whose extract or
manual entries changed is recalculated and must be declared again.

The whole run is computed at once by :mod:`simulator.cqrs.bulk` (the same numbers as
``score_practice`` + ``payments.practice_payment``, proved in tests/cqrs/test_bulk.py).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from fractions import Fraction
from typing import Iterable, Mapping, NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import defer, sessionmaker

from simulator.contracts import (AreaPoints, AspirationPayments, DomainPoints, IndicatorAchievement,
                                 PracticeAchievement)
from simulator.cqrs import bulk, payments
from simulator.cqrs.longformat import DENOMINATOR, EXCEPTIONS, NUMERATOR, REGISTER, target_populations_of
from simulator.cqrs.manual import entries_for_run
from simulator.cqrs.parameters import CqrsParameters, default_parameters
from simulator.cqrs.points import Scored, points_2dp, score, to_decimal
from simulator.cqrs.store import rows_of_body
from simulator.db import CqrsExtract, CqrsWorkflow, utcnow, writing
from simulator.qof.catalogue import Catalogue

AWAITING_SP = "Awaiting Service Provider Approval"

AreaRow = tuple[str, str, Fraction, Fraction]  # area, domain, points, maximum (exact)


def score_practice(catalogue: Catalogue, fields: Mapping[str, Mapping[str, int]]) -> list[Scored]:
    """Every catalogue indicator scored from one practice's fields (IND_CODE -> FIELD_NAME -> value)."""
    out = []
    for code, d in catalogue.indicators.items():
        f = fields.get(code, {})
        out.append(score(d, f.get(NUMERATOR), f.get(DENOMINATOR), f.get(EXCEPTIONS), f.get(REGISTER)))
    return out


def registers_by_id(catalogue: Catalogue, fields: Mapping[str, Mapping[str, int]]) -> dict[str, int]:
    return {r.id: fields.get(r.indicator, {}).get(REGISTER, 0) for r in catalogue.rules.registers.values()}


def area_rows(catalogue: Catalogue, scored: Iterable[Scored]) -> list[AreaRow]:
    """Exact points and maximum per area (catalogue order) from scored indicators; an indicator
    dropped as not applicable leaves the maximum (FACTS.md: technical annex §2.1.4.4)."""
    pts: dict[str, Fraction] = defaultdict(Fraction)
    mx: dict[str, Fraction] = defaultdict(Fraction)
    for s in scored:
        d = catalogue.indicators[s.ind_code]
        pts[d.area] += s.exact_points
        mx[d.area] += Fraction(d.points) if s.status != "not_applicable" else 0
    domain_of = {d.area: d.domain for d in catalogue.indicators.values()}
    return [(a, domain_of[a], pts[a], mx[a]) for a in pts]


def summaries(rows: Iterable[AreaRow]) -> tuple[tuple[AreaPoints, ...], tuple[DomainPoints, ...]]:
    rows = list(rows)
    areas = tuple(AreaPoints(area=a, domain=dom, points=str(to_decimal(p)), points_2dp=str(points_2dp(to_decimal(p))),
                             max_points=str(to_decimal(m))) for a, dom, p, m in rows)
    dom_pts: dict[str, Fraction] = {}
    dom_max: dict[str, Fraction] = {}
    for _, dom, p, m in rows:
        dom_pts[dom] = dom_pts.get(dom, Fraction(0)) + p
        dom_max[dom] = dom_max.get(dom, Fraction(0)) + m
    domains = tuple(DomainPoints(domain=d, points=str(to_decimal(p)), points_2dp=str(points_2dp(to_decimal(p))),
                                 max_points=str(to_decimal(dom_max[d]))) for d, p in dom_pts.items())
    return areas, domains


def aspiration_of(asp: payments.Aspiration) -> AspirationPayments:
    return AspirationPayments(previous_year_points=str(asp.previous_year_points), points_source=asp.points_source,
                              expected_gbp=str(asp.expected_gbp), monthly_gbp=tuple(str(m) for m in asp.monthly_gbp),
                              paid_gbp=str(asp.paid_gbp))


def achievement_of(catalogue: Catalogue, practice_code: str, extract_id: str, state: str, list_size: int,
                   scored: list[Scored], payment: payments.Payment, *, rows: list[AreaRow] | None = None,
                   aspiration: payments.Aspiration | None = None, manual_entries: int = 0) -> PracticeAchievement:
    rows = area_rows(catalogue, scored) if rows is None else rows
    areas, domains = summaries(rows)
    total = sum((p for _, _, p, _ in rows), Fraction(0))
    return PracticeAchievement(
        practice_code=practice_code, achievement_date=catalogue.parameters.achievement_date, extract_id=extract_id,
        state=state, list_size=list_size, total_points=str(to_decimal(total)), payment_gbp=str(payment.total_gbp),
        components_gbp={k: str(v) for k, v in sorted(payment.components.items())},
        indicators=tuple(IndicatorAchievement(
            ind_code=s.ind_code, status=s.status,
            achievement_pct=None if s.achievement_pct is None else str(s.achievement_pct),
            points=str(s.points), points_2dp=str(points_2dp(s.points))) for s in scored),
        areas=areas, domains=domains,
        aspiration=None if aspiration is None else aspiration_of(aspiration),
        net_gbp=None if aspiration is None else str(payments.achievement_net(payment.total_gbp, aspiration.monthly_gbp)),
        manual_entries=manual_entries)


def run_fields(s, catalogue: Catalogue, service: str) -> tuple[list, dict[str, dict], dict[str, dict]]:
    """The run's current extracts (practice_code, extract_id, achievement_date, list_size: the
    columns the calculation reads, not the stored bodies), each practice's fields (long layout
    names) and manual entries."""
    p = catalogue.parameters
    register_indicator = {r.id: r.indicator for r in catalogue.rules.registers.values()}
    extracts, fields = [], {}
    for code, extract_id, day, list_size, body in s.execute(  # a body at a time: its rows, then let it go
            select(CqrsExtract.practice_code, CqrsExtract.extract_id, CqrsExtract.achievement_date,
                   CqrsExtract.list_size, CqrsExtract.body)
            .where(CqrsExtract.current.is_(True), CqrsExtract.spec_id == p.spec_id)
            .order_by(CqrsExtract.practice_code)).yield_per(500):
        extracts.append(_Current(code, extract_id, day, list_size))
        mine = fields.setdefault(code, {})
        for ind, name, v in rows_of_body(body, register_indicator):
            mine.setdefault(ind, {})[name] = v
    manual = entries_for_run(s, service, p.achievement_date)
    return extracts, fields, manual


class _Current(NamedTuple):
    practice_code: str
    extract_id: str
    achievement_date: dt.date
    list_size: int


def _flush_and_forget(s, written: list[CqrsWorkflow]) -> None:
    s.flush()
    for wf in written:
        s.expire(wf, ["calculated"])
    written.clear()


def calculate(catalogue: Catalogue, sessions: sessionmaker, previous_points: Mapping[str, Decimal] | None = None,
              params: CqrsParameters | None = None) -> dict:
    """Calculate every practice with a current extract; store the results of those that need it.

    ``previous_points``: practice -> last year's QOF points, for aspiration (missing: national average)."""
    params = params or default_parameters()
    p = catalogue.parameters
    previous_points = previous_points or {}
    with sessions() as s:
        extracts, fields, manual = run_fields(s, catalogue, p.quality_service)
    for code, entries in manual.items():  # manual entries of practices with an extract join their fields
        if code in fields:
            fields[code].update(entries)
    codes = [x.practice_code for x in extracts]
    counts = bulk.counts_from_fields(bulk.compile_catalogue(catalogue, params), codes, [x.list_size for x in extracts],
                                     [fields[c] for c in codes], [target_populations_of(fields[c]) for c in codes])
    del fields  # the counts are in ``counts`` now
    result = bulk.calculate(catalogue, counts, p.national_prevalence, p.national_average_target_population, params)
    calculated, kept = 0, 0
    stale = CqrsWorkflow.calculated["stale"].as_boolean()
    written: list[CqrsWorkflow] = []
    with writing(sessions) as s:
        # the stored calculations are not read (a national run's would take gigabytes): their stale flag is
        records = {(w.practice_code, w.achievement_date): (w, bool(st)) for w, st in s.execute(
            select(CqrsWorkflow, stale).options(defer(CqrsWorkflow.calculated))
            .where(CqrsWorkflow.quality_service == p.quality_service))}
        for i, x in enumerate(extracts):
            wf, was_stale = records.get((x.practice_code, x.achievement_date), (None, False))
            if wf is not None and wf.state != AWAITING_SP and not was_stale:
                kept += 1
                continue
            n_manual = len(manual.get(x.practice_code, {}))
            asp = payments.aspiration(previous_points.get(x.practice_code), x.list_size, catalogue, params)
            ach = achievement_of(catalogue, x.practice_code, x.extract_id, AWAITING_SP, x.list_size, result.scored(i),
                                 result.payment(i), rows=result.area_points(i), aspiration=asp, manual_entries=n_manual)
            if wf is None:
                wf = CqrsWorkflow(practice_code=x.practice_code, quality_service=p.quality_service,
                                  achievement_date=x.achievement_date, extract_id=x.extract_id, state=AWAITING_SP,
                                  calculated={}, history=[])
                s.add(wf)
            wf.extract_id = x.extract_id
            wf.calculated = ach.model_dump(mode="json")
            why = f"calculated from extract {x.extract_id}" + (f" and {n_manual} manual entries" if n_manual else "")
            wf.history = [*(wf.history or []), {"at": utcnow().isoformat(), "from": None, "to": AWAITING_SP, "why": why}]
            wf.state = AWAITING_SP
            wf.updated_at = utcnow()
            calculated += 1
            written.append(wf)
            if len(written) >= 250:  # written, then let go: memory stays bounded in one transaction
                _flush_and_forget(s, written)
        _flush_and_forget(s, written)
    return {"practices": len(extracts), "calculated": calculated, "kept": kept,
            "national_prevalence": {k: str(to_decimal(payments.exact(v))) for k, v in result.national.items()},
            "national_average_target_population": {k: str(to_decimal(payments.exact(v)))
                                                   for k, v in result.target_average.items()}}
