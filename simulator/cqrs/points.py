"""Achievement points from counts: the QOF threshold rule, exact arithmetic, no rounding here.

D = A / (B - C) x 100 (the extract's denominator is already B - C);
points = 0 at D <= lower, the maximum at D >= upper, G x (D - E) / (F - E) between.
A register indicator scores its points when the practice produces the register.
An indicator whose denominator and exceptions are both zero is dropped from the practice's
maximum ("not_applicable"); FACTS.md: HSCIC 2011/12 technical annex §2.1.4.4.

Single-threshold rows (lower == upper, e.g. RECORDS09 80/80, entered by the practice): at or
above the threshold the maximum, below it nothing; the "between" branch (and its division by
upper - lower) is never reached for them.

Yes/no indicators (organisational, patient experience, some additional services): an achieved
'yes' arrives as numerator 1 (denominator 1), a 'no' as numerator 0.

:func:`score` is the readable per-indicator definition; :mod:`simulator.cqrs.bulk` computes the
same exact rationals for a whole run at once and is proved equal to it (tests/cqrs/test_bulk.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, localcontext
from fractions import Fraction

from simulator.qof.catalogue import IndicatorDef

PRECISION = 40  # significant digits kept in Decimal results; rounding happens only in payments.settle


def points_2dp(points: Decimal) -> Decimal:
    """Points as published (2 dp, half up). For display and files only: payments use full precision."""
    return points.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Scored:
    ind_code: str
    status: str  # scored | not_applicable | not_supplied
    points: Decimal
    achievement_pct: Decimal | None = None
    exact: Fraction | None = field(default=None, compare=False)  # the points as an exact rational (payments use it)

    @property
    def exact_points(self) -> Fraction:
        return self.exact if self.exact is not None else Fraction(self.points)


def to_decimal(x: Fraction) -> Decimal:
    with localcontext() as ctx:
        ctx.prec = PRECISION
        return Decimal(x.numerator) / Decimal(x.denominator)


def ratio_points(max_points: Fraction, lower: Fraction, upper: Fraction, numerator: int, denominator: int) -> Fraction:
    """G x (D - E) / (F - E) between the thresholds; the maximum at or above the upper one (checked
    first, so that a single-threshold row, lower == upper, scores its maximum at the threshold)."""
    achievement = Fraction(100 * numerator, denominator)
    if achievement >= upper:
        return max_points
    if achievement <= lower:
        return Fraction(0)
    return max_points * (achievement - lower) / (upper - lower)


def score(defn: IndicatorDef, numerator: int | None = None, denominator: int | None = None,
          exceptions: int | None = None, register: int | None = None) -> Scored:
    """Points for one indicator of one practice; None counts mean 'not supplied'."""
    if defn.kind == "register":
        if register is None:
            return Scored(defn.code, "not_supplied", Decimal(0), exact=Fraction(0))
        return Scored(defn.code, "scored", defn.points, exact=Fraction(defn.points))
    if defn.kind in ("ratio", "manual") and defn.lower is not None:
        if numerator is None or denominator is None:
            return Scored(defn.code, "not_supplied", Decimal(0), exact=Fraction(0))
        if denominator == 0:
            status = "not_applicable" if not exceptions else "scored"
            return Scored(defn.code, status, Decimal(0), None, exact=Fraction(0))
        pts = ratio_points(Fraction(defn.points), Fraction(defn.lower), Fraction(defn.upper), numerator, denominator)
        return Scored(defn.code, "scored", to_decimal(pts), to_decimal(Fraction(100 * numerator, denominator)), exact=pts)
    # yes/no: an achieved 'yes' arrives as numerator 1 of denominator 1
    if numerator is None:
        return Scored(defn.code, "not_supplied", Decimal(0), exact=Fraction(0))
    if numerator >= 1:
        return Scored(defn.code, "scored", defn.points, exact=Fraction(defn.points))
    return Scored(defn.code, "scored", Decimal(0), exact=Fraction(0))
