"""Points from counts: the threshold rule at, below, inside and above the bounds."""

from decimal import Decimal

import pytest

from simulator.cqrs.points import points_2dp, score
from simulator.qof.catalogue import IndicatorDef, default_catalogue

CAT = default_catalogue()


def ratio(points="11", lower="50", upper="90", code="SMOKE07"):
    return IndicatorDef(code, "Clinical", "Smoking", "ratio", Decimal(points), Decimal(lower), Decimal(upper), True, "", "", "C")


def two_dp(d: Decimal) -> str:
    return str(points_2dp(d))


def test_smoke07_worked_example_from_published_practice_data():
    """FACTS.md: SMOKE07 = 11 points, 50-90 %: 1319/1497 -> 10.48 (published 10.5)."""
    assert two_dp(score(CAT.indicators["SMOKE07"], 1319, 1497, 0).points) == "10.48"


def test_smoke08_worked_example_from_published_practice_data():
    """FACTS.md: SMOKE08 = 12 points, 40-90 %: 325/401 -> 9.85 (published 9.9)."""
    assert two_dp(score(CAT.indicators["SMOKE08"], 325, 401, 0).points) == "9.85"


@pytest.mark.parametrize("num, den, expected", [
    (50, 100, "0.00"),    # exactly at the lower threshold: nothing
    (40, 100, "0.00"),    # below the lower threshold
    (51, 100, "0.28"),    # one point above the lower: 11 x 1/40
    (70, 100, "5.50"),    # half way
    (89, 100, "10.73"),   # just under the upper: 10.725, published half up
    (90, 100, "11.00"),   # exactly at the upper threshold: the maximum
    (100, 100, "11.00"),  # above the upper: still the maximum
])
def test_threshold_rule(num, den, expected):
    assert two_dp(score(ratio(), num, den, 0).points) == expected


def test_points_are_kept_unrounded():
    s = score(ratio(), 1, 3, 0, None)  # 33.3 % < 50: zero
    assert s.points == 0
    s = score(ratio(lower="0", upper="100"), 1, 3, 0)
    assert s.points != s.points.quantize(Decimal("0.01"))  # 3.666…: rounding is for display and payment only


def test_zero_denominator_and_no_exceptions_is_not_applicable():
    """HSCIC technical annex §2.1.4.4: dropped from the maximum only when denominator + exceptions = 0."""
    s = score(ratio(), 0, 0, 0)
    assert (s.status, s.points) == ("not_applicable", 0)


def test_zero_denominator_with_exceptions_scores_zero():
    s = score(ratio(), 0, 0, 5)
    assert (s.status, s.points, s.achievement_pct) == ("scored", 0, None)


def test_register_indicator_scores_when_the_register_is_produced():
    dm32 = CAT.indicators["DM32"]
    assert score(dm32, register=412).points == dm32.points
    assert score(dm32, register=0).points == dm32.points
    assert score(dm32).status == "not_supplied"


def test_ratio_not_supplied_scores_nothing():
    s = score(ratio())
    assert (s.status, s.points) == ("not_supplied", 0)


def test_achievement_percentage_is_exact():
    assert score(ratio(), 1, 4, 0).achievement_pct == Decimal(25)
