"""Payments from points: £ per point x CPI, and for clinical areas x APDF (prevalence factor).

CPI  = list size at 1 January / 5,891 (2012/13).
APDF = practice raw prevalence / national prevalence, raw prevalence = register / whole list.
Everything is exact Decimal until :func:`settle`, the one named step that rounds a practice's
total to pence (half up). Components are reported unrounded so a reader can follow the sum.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, localcontext
from typing import Iterable, Mapping

from simulator.cqrs.points import PRECISION, Scored
from simulator.qof.catalogue import Catalogue

PENNY = Decimal("0.01")


@dataclass(frozen=True)
class PracticeFigures:
    """What payment needs of one practice, all taken from its extract."""

    practice_code: str
    list_size: int
    registers: Mapping[str, int]


@dataclass(frozen=True)
class Payment:
    components: dict[str, Decimal]  # component name -> unrounded £
    total_unrounded: Decimal
    total_gbp: Decimal  # settled: pence exact


def settle(amount: Decimal) -> Decimal:
    """THE rounding step: a practice's payment, rounded half up to pence, once."""
    return amount.quantize(PENNY, rounding=ROUND_HALF_UP)


def national_prevalence(practices: Iterable[PracticeFigures], register_ids: Iterable[str]) -> dict[str, Decimal]:
    """Total register over total list for every register, across the practices of the run."""
    practices = list(practices)
    total_list = sum(p.list_size for p in practices)
    out: dict[str, Decimal] = {}
    with localcontext() as ctx:
        ctx.prec = PRECISION
        for rid in register_ids:
            total = sum(p.registers.get(rid, 0) for p in practices)
            out[rid] = Decimal(total) / Decimal(total_list) if total_list else Decimal(0)
    return out


def cpi(catalogue: Catalogue, list_size: int) -> Decimal:
    with localcontext() as ctx:
        ctx.prec = PRECISION
        return Decimal(list_size) / catalogue.parameters.cpi_divisor


def apdf(catalogue: Catalogue, area: str, practice: PracticeFigures, national: Mapping[str, Decimal]) -> Decimal:
    rid = catalogue.register_for_area.get(area)
    if rid is None or area in catalogue.parameters.apdf_one_areas:
        return Decimal(1)
    nat = national.get(rid, Decimal(0))
    if nat == 0 or practice.list_size == 0:
        return Decimal(0)
    with localcontext() as ctx:
        ctx.prec = PRECISION
        return (Decimal(practice.registers.get(rid, 0)) / Decimal(practice.list_size)) / nat


def practice_payment(catalogue: Catalogue, practice: PracticeFigures, scored: Iterable[Scored],
                     national: Mapping[str, Decimal]) -> Payment:
    """Sum points by clinical area (each with its APDF) and by domain, x £/point x CPI; settle once."""
    by_component: dict[str, Decimal] = defaultdict(Decimal)
    factor_cache: dict[str, Decimal] = {}
    ppp = catalogue.parameters.pounds_per_point
    the_cpi = cpi(catalogue, practice.list_size)
    with localcontext() as ctx:
        ctx.prec = PRECISION
        for s in scored:
            d = catalogue.indicators[s.ind_code]
            if d.domain == "Clinical":
                name = f"Clinical: {d.area}"
                if d.area not in factor_cache:
                    factor_cache[d.area] = apdf(catalogue, d.area, practice, national)
                by_component[name] += s.points * ppp * the_cpi * factor_cache[d.area]
            else:
                # Organisational, patient experience: x CPI (FACTS.md [I]); additional services use
                # CPI here too until their target populations are modelled (FACTS.md [I]).
                by_component[d.domain] += s.points * ppp * the_cpi
        total = sum(by_component.values(), Decimal(0))
    return Payment(dict(by_component), total, settle(total))
