"""Payments from points: £ per point x CPI, and for clinical areas x APDF (prevalence factor).

Formulas (trust tags of ../shared/qof/FACTS.md; the figures are in parameters_2012_13.yaml):

* **CPI** = list size at 1 January / 5,891 (2012/13).                                        [S]
* **Clinical area** a: points_a x £133.76 x CPI x APDF_a, APDF_a = practice raw prevalence /
  national prevalence, raw prevalence = register_a / whole list. National prevalence = total
  registers / total list over the run (or fixed figures in the parameters file).  [S] formula,
  [I] national figure. An area without a register of its own (or listed in ``apdf_one_areas``)
  is paid with APDF = 1.                                                                       [I]
* **Organisational, patient experience**: points x £133.76 x CPI.                             [I]
* **Additional services** (per service area s, with its target group g: CS women 25-64, CHS
  children under 5, MAT women 16-45, CON women 16-45):                     [S] principle, [I] groups

      payment_s = points_s x £133.76 x TP_g(practice) / NATP_g
      NATP_g    = 5,891 x sum TP_g / sum list   (over the run's practices that supplied g)   [I]

  i.e. "like CPI but with the target population": the practice's target population over the
  national average target population per practice. NATP is put on the CPI divisor's basis
  (5,891 patients) so that a practice whose target share equals the national share is paid
  exactly its CPI, the same as a practice that sent no target population. Fixed NATP figures
  in the parameters file override the run's. A practice that did not supply group g (or a run
  with no NATP for g) is paid by CPI, and the component's name says so:
  ``"Additional services: Maternity (CPI: no target population MAT)"``.                        [I]

Exactness and rounding. Points and factors are exact rationals (``fractions.Fraction``); the
components are reported as 40-digit Decimals, unrounded, so a reader can follow the sum.
:func:`settle` is the one step that rounds a practice's year-end achievement payment to pence
(half up), from the exact total. Aspiration payments (below) have their own named step,
:func:`settle_monthly`, once per monthly amount. Nothing else rounds money.

Aspiration, "70 % method" ([S] method, [I] mechanics):

      expected   = previous year's points x £133.76 x CPI         (no prevalence factor)     [I]
      monthly    = settle_monthly(expected x 70 % / 12)            paid in each of 12 months [S]
      net        = achievement payment - sum(monthly paid)         at year end; may be < 0   [S]

A practice without a previous year's score is given the national average, 960.8 points [I].
The CPI of the aspiration is the extract's list (1 January), the only list CQRS holds [I].
All 12 months are taken as paid by the time of the year-end calculation.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, localcontext
from fractions import Fraction
from typing import Callable, Iterable, Mapping, Sequence

from simulator.cqrs.parameters import CqrsParameters, default_parameters
from simulator.cqrs.points import PRECISION, Scored, to_decimal
from simulator.qof.catalogue import Catalogue, IndicatorDef

PENNY = Decimal("0.01")
SUM_PRECISION = 80  # digits kept while adding 40-digit components: the additions are exact
# A total whose distance (in pence) from a half penny is below this is re-derived exactly; the
# 40-digit components are each within 1e-40 relative, far inside it (see _settle_total).
TIE_BAND = Decimal("1e-20")


@dataclass(frozen=True)
class PracticeFigures:
    """What payment needs of one practice, all taken from its extract."""

    practice_code: str
    list_size: int
    registers: Mapping[str, int]
    target_populations: Mapping[str, int] = field(default_factory=dict)  # group (CS, CHS, MAT, CON) -> patients


@dataclass(frozen=True)
class Payment:
    components: dict[str, Decimal]  # component name -> unrounded £ (40 significant digits)
    total_unrounded: Decimal
    total_gbp: Decimal  # settled: pence exact


def _round_half_up_pence(x: Fraction) -> Decimal:
    pence = x * 100
    whole = (abs(pence.numerator) * 2 + pence.denominator) // (2 * pence.denominator)  # half up, away from 0
    return (Decimal(-whole if pence < 0 else whole) / 100).quantize(PENNY)


def settle(amount: Decimal | Fraction) -> Decimal:
    """THE rounding step of the year-end achievement payment: rounded half up to pence, once.

    Takes the exact total (a Fraction) or a Decimal; -1.005 rounds to -1.01 (half away from zero)."""
    if isinstance(amount, Fraction):
        return _round_half_up_pence(amount)
    return amount.quantize(PENNY, rounding=ROUND_HALF_UP)


def settle_monthly(amount: Fraction) -> Decimal:
    """The rounding step of ONE monthly aspiration payment (half up to pence). Kept apart from
    :func:`settle` so each rounding of money in qofsim has its own name."""
    return _round_half_up_pence(amount)


def exact(x: Decimal | Fraction | int) -> Fraction:
    return x if isinstance(x, Fraction) else Fraction(x)


# ---------------------------------------------------------------- national figures


def national_prevalence_exact(practices: Iterable[PracticeFigures], register_ids: Iterable[str]) -> dict[str, Fraction]:
    """Total register over total list for every register, across the practices of the run (exact)."""
    practices = list(practices)
    total_list = sum(p.list_size for p in practices)
    return {rid: Fraction(sum(p.registers.get(rid, 0) for p in practices), total_list) if total_list else Fraction(0)
            for rid in register_ids}


def national_prevalence(practices: Iterable[PracticeFigures], register_ids: Iterable[str]) -> dict[str, Decimal]:
    """Total register over total list for every register, as 40-digit Decimals."""
    return {k: to_decimal(v) for k, v in national_prevalence_exact(practices, register_ids).items()}


def national_target_average(practices: Iterable[PracticeFigures], groups: Iterable[str],
                            cpi_divisor: Decimal) -> dict[str, Fraction]:
    """NATP_g = cpi_divisor x sum TP_g / sum list, over the practices that supplied group g. [I]

    A group nobody supplied is left out: its practices are paid by CPI."""
    practices = list(practices)
    out: dict[str, Fraction] = {}
    for g in groups:
        having = [p for p in practices if g in p.target_populations]
        total_list = sum(p.list_size for p in having)
        if having and total_list:
            out[g] = Fraction(cpi_divisor) * Fraction(sum(p.target_populations[g] for p in having), total_list)
    return out


# ---------------------------------------------------------------- factors


def cpi(catalogue: Catalogue, list_size: int) -> Decimal:
    return to_decimal(cpi_exact(catalogue, list_size))


def cpi_exact(catalogue: Catalogue, list_size: int) -> Fraction:
    return Fraction(list_size) / Fraction(catalogue.parameters.cpi_divisor)


def apdf(catalogue: Catalogue, area: str, practice: PracticeFigures, national: Mapping[str, Decimal | Fraction]) -> Decimal:
    return to_decimal(apdf_exact(catalogue, area, practice, national))


def apdf_exact(catalogue: Catalogue, area: str, practice: PracticeFigures,
               national: Mapping[str, Decimal | Fraction]) -> Fraction:
    rid = catalogue.register_for_area.get(area)
    if rid is None or area in catalogue.parameters.apdf_one_areas:
        return Fraction(1)
    nat = exact(national.get(rid, Fraction(0)))
    if nat == 0 or practice.list_size == 0:
        return Fraction(0)
    return Fraction(practice.registers.get(rid, 0), practice.list_size) / nat


@dataclass(frozen=True)
class ComponentRule:
    """How one payment component is paid: by CPI x APDF (clinical area), CPI, or target population."""

    base: str  # "Clinical: Diabetes", "Organisational", "Additional services: Maternity"
    kind: str  # apdf | cpi | target
    area: str
    group: str | None = None  # target group of an additional service


def component_rule(defn: IndicatorDef, params: CqrsParameters) -> ComponentRule:
    if defn.domain == "Clinical":
        return ComponentRule(f"Clinical: {defn.area}", "apdf", defn.area)
    if defn.domain == "Additional services":
        g = params.target_groups.get(defn.area)
        return ComponentRule(f"Additional services: {defn.area}", "target", defn.area, g.group if g else None)
    return ComponentRule(defn.domain, "cpi", defn.area)


def component_factor(catalogue: Catalogue, rule: ComponentRule, practice: PracticeFigures,
                     national: Mapping[str, Decimal | Fraction],
                     target_average: Mapping[str, Decimal | Fraction]) -> tuple[str, Fraction]:
    """(component name, W) with component = points x £/point x W."""
    if rule.kind == "apdf":
        return rule.base, cpi_exact(catalogue, practice.list_size) * apdf_exact(catalogue, rule.area, practice, national)
    if rule.kind == "target":
        g = rule.group
        if g is None:
            return f"{rule.base} (CPI)", cpi_exact(catalogue, practice.list_size)
        avg = target_average.get(g)
        if g not in practice.target_populations or avg is None:
            return f"{rule.base} (CPI: no target population {g})", cpi_exact(catalogue, practice.list_size)
        avg = exact(avg)
        w = Fraction(practice.target_populations[g]) / avg if avg else Fraction(0)
        return f"{rule.base} (target population {g})", w
    return rule.base, cpi_exact(catalogue, practice.list_size)


# ---------------------------------------------------------------- one practice


def sum_components(components: Iterable[Decimal]) -> Decimal:
    """The unrounded total shown beside the components: their exact sum, kept to 40 digits."""
    with localcontext() as ctx:
        ctx.prec = SUM_PRECISION
        total = sum(components, Decimal(0))
        ctx.prec = PRECISION
        return +total


def _settle_total(components: Sequence[Decimal], exact_total: Callable[[], Fraction]) -> Decimal:
    """settle(exact total), without building the exact total unless it is needed.

    The components are the exact ones correctly rounded to 40 significant digits (relative error
    <= 5e-40 each), added at 80 digits, so for components below £1bn the sum is within 1e-28 £
    of the exact total. Rounding to pence can only differ when the total lies that close to a
    half penny; inside TIE_BAND (1e-20 pence, far wider) the exact rational total decides."""
    with localcontext() as ctx:
        ctx.prec = SUM_PRECISION
        approx = sum(components, Decimal(0))
        pence = approx * 100
        frac = pence - pence.to_integral_value(rounding="ROUND_FLOOR")
    if abs(frac - Decimal("0.5")) < TIE_BAND:
        return settle(exact_total())
    return settle(approx)


def practice_payment(catalogue: Catalogue, practice: PracticeFigures, scored: Iterable[Scored],
                     national: Mapping[str, Decimal | Fraction],
                     target_average: Mapping[str, Decimal | Fraction] | None = None,
                     params: CqrsParameters | None = None) -> Payment:
    """Sum points by component (clinical area with its APDF, domain, additional service with its
    target population), x £/point x the component's factor; exact, then settled once.

    This is the readable per-practice definition; :mod:`simulator.cqrs.bulk` computes the same
    for a whole run and is proved equal to it."""
    params = params or default_parameters()
    target_average = target_average or {}
    ppp = Fraction(catalogue.parameters.pounds_per_point)
    points: dict[str, Fraction] = defaultdict(Fraction)
    factor: dict[str, Fraction] = {}
    rules: dict[str, ComponentRule] = {}
    for s in scored:
        d = catalogue.indicators[s.ind_code]
        rule = rules.get(s.ind_code)
        if rule is None:
            rule = rules[s.ind_code] = component_rule(d, params)
        name, w = component_factor(catalogue, rule, practice, national, target_average)
        factor[name] = w
        points[name] += s.exact_points
    exact_components = {name: points[name] * ppp * factor[name] for name in points}
    components = {name: to_decimal(v) for name, v in exact_components.items()}
    exact_total = sum(exact_components.values(), Fraction(0))
    return Payment(components, sum_components(components.values()), settle(exact_total))


# ---------------------------------------------------------------- aspiration and year end


@dataclass(frozen=True)
class Aspiration:
    previous_year_points: Decimal
    points_source: str  # "practice" | "national average [I]"
    expected_gbp: Decimal  # unrounded: previous points x £/point x CPI
    monthly_gbp: tuple[Decimal, ...]  # each settled to pence (settle_monthly)

    @property
    def paid_gbp(self) -> Decimal:
        return sum(self.monthly_gbp, Decimal("0.00"))


def expected_achievement(catalogue: Catalogue, previous_year_points: Decimal | Fraction, list_size: int) -> Fraction:
    """Expected achievement payment for aspiration: points x £/point x CPI (no APDF). [I]"""
    return exact(previous_year_points) * Fraction(catalogue.parameters.pounds_per_point) * cpi_exact(catalogue, list_size)


def aspiration(previous_year_points: Decimal | None, list_size: int, catalogue: Catalogue,
               params: CqrsParameters | None = None) -> Aspiration:
    """Twelve monthly aspiration payments by the 70 % method, each settled to pence once.

    ``previous_year_points`` None: the national average score (960.8, parameters file) [I]."""
    params = params or default_parameters()
    source = "practice"
    if previous_year_points is None:
        previous_year_points, source = params.aspiration_default_points, "national average [I]"
    expected = expected_achievement(catalogue, previous_year_points, list_size)
    monthly = settle_monthly(expected * Fraction(params.aspiration_share) / params.aspiration_months)
    return Aspiration(Decimal(previous_year_points), source, to_decimal(expected),
                      tuple(monthly for _ in range(params.aspiration_months)))


def achievement_net(achievement_payment: Decimal, aspiration_paid: Iterable[Decimal]) -> Decimal:
    """Year-end payment net of aspiration: achievement payment (settled) - sum of the monthly
    aspiration payments (each settled). Pence minus pence: no rounding here. Negative = the
    practice repays the difference."""
    paid = list(aspiration_paid)
    for amount in (achievement_payment, *paid):
        if amount != amount.quantize(PENNY):
            raise ValueError(f"achievement_net takes settled amounts (pence), got {amount}")
    return achievement_payment - sum(paid, Decimal("0.00"))
