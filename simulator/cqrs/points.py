"""Achievement points from counts: the QOF threshold rule, exact arithmetic, no rounding here.

D = A / (B - C) x 100 (the extract's denominator is already B - C);
points = 0 at D <= lower, the maximum at D >= upper, G x (D - E) / (F - E) between.
A register indicator scores its points when the practice produces the register.
An indicator whose denominator and exceptions are both zero is dropped from the practice's
maximum ("not_applicable"); FACTS.md: HSCIC 2011/12 technical annex §2.1.4.4.
"""

from __future__ import annotations

from dataclasses import dataclass
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


def to_decimal(x: Fraction) -> Decimal:
    with localcontext() as ctx:
        ctx.prec = PRECISION
        return Decimal(x.numerator) / Decimal(x.denominator)


def ratio_points(max_points: Fraction, lower: Fraction, upper: Fraction, numerator: int, denominator: int) -> Fraction:
    achievement = Fraction(100 * numerator, denominator)
    if achievement <= lower:
        return Fraction(0)
    if achievement >= upper:
        return max_points
    return max_points * (achievement - lower) / (upper - lower)


def score(defn: IndicatorDef, numerator: int | None = None, denominator: int | None = None,
          exceptions: int | None = None, register: int | None = None) -> Scored:
    """Points for one indicator of one practice; None counts mean 'not supplied'."""
    if defn.kind == "register":
        if register is None:
            return Scored(defn.code, "not_supplied", Decimal(0))
        return Scored(defn.code, "scored", defn.points)
    if defn.kind in ("ratio", "manual") and defn.lower is not None:
        if numerator is None or denominator is None:
            return Scored(defn.code, "not_supplied", Decimal(0))
        if denominator == 0:
            status = "not_applicable" if not exceptions else "scored"
            return Scored(defn.code, status, Decimal(0), None)
        pts = ratio_points(Fraction(defn.points), Fraction(defn.lower), Fraction(defn.upper), numerator, denominator)
        return Scored(defn.code, "scored", to_decimal(pts), to_decimal(Fraction(100 * numerator, denominator)))
    # yes/no: an achieved 'yes' arrives as numerator 1 of denominator 1
    if numerator is None:
        return Scored(defn.code, "not_supplied", Decimal(0))
    return Scored(defn.code, "scored", defn.points if numerator >= 1 else Decimal(0))
