"""Payments: £133.76 x CPI (list / 5,891) x APDF (practice prevalence / national), settled once."""

from decimal import Decimal

from simulator.cqrs.payments import PracticeFigures, national_prevalence, practice_payment, settle
from simulator.cqrs.points import Scored
from simulator.qof.catalogue import default_catalogue

CAT = default_catalogue()

# FACTS.md worked example: list 6,000 at 1 January; diabetes register 300; national registers
# 2,700,000 over a national list of 55,000,000; 70 diabetes points.
PRACTICE = PracticeFigures("A81001", 6000, {"DM": 300, "HYP": 0, "CHD": 0})
NATIONAL = {"DM": Decimal(2_700_000) / Decimal(55_000_000), "HYP": Decimal("0.137"), "CHD": Decimal("0.034")}


def test_worked_example_diabetes_70_points_pays_9713_05():
    pay = practice_payment(CAT, PRACTICE, [Scored("DM26", "scored", Decimal(70))], NATIONAL)
    assert pay.total_gbp == Decimal("9713.05")


def test_worked_example_10_organisational_points_pay_1362_35():
    pay = practice_payment(CAT, PRACTICE, [Scored("RECORDS15", "scored", Decimal(10))], NATIONAL)
    assert pay.total_gbp == Decimal("1362.35")


def test_components_are_unrounded_and_the_total_is_settled_once():
    scored = [Scored("DM26", "scored", Decimal(70)), Scored("RECORDS15", "scored", Decimal(10))]
    pay = practice_payment(CAT, PRACTICE, scored, NATIONAL)
    assert set(pay.components) == {"Clinical: Diabetes", "Organisational"}
    assert abs(pay.total_unrounded - sum(pay.components.values())) < Decimal("1e-20")
    assert pay.total_gbp == settle(pay.total_unrounded) == Decimal("11075.40")
    assert all(v != v.quantize(Decimal("0.01")) for v in pay.components.values())


def test_settle_rounds_half_up_to_pence():
    assert settle(Decimal("1.005")) == Decimal("1.01")
    assert settle(Decimal("1.00499999")) == Decimal("1.00")


def test_area_without_register_is_paid_without_prevalence_factor():
    """Smoking has no register of its own: APDF 1 (parameters_2012_13.yaml, tagged [I])."""
    pay = practice_payment(CAT, PRACTICE, [Scored("SMOKE07", "scored", Decimal(10))], NATIONAL)
    assert pay.total_gbp == Decimal("1362.35")


def test_zero_list_size_pays_nothing():
    empty = PracticeFigures("A81002", 0, {"DM": 0})
    assert practice_payment(CAT, empty, [Scored("DM26", "scored", Decimal(10))], NATIONAL).total_gbp == 0


def test_national_prevalence_is_total_registers_over_total_list():
    got = national_prevalence([PracticeFigures("A", 1000, {"DM": 50}), PracticeFigures("B", 3000, {"DM": 110})], ["DM"])
    assert got["DM"] == Decimal("0.04")
