"""Steps for features/points.feature: CQRS's points and payment arithmetic, fed as CQRS feeds it."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pytest_bdd import given, parsers, then, when

from simulator.cqrs.achievement import score_practice
from simulator.cqrs.longformat import DENOMINATOR, NUMERATOR
from simulator.cqrs.payments import PracticeFigures, practice_payment
from simulator.cqrs.points import Scored, points_2dp
from simulator.qof.catalogue import default_catalogue

CAT = default_catalogue()


def _int(text: str) -> int:
    return int(text.replace(",", ""))


@pytest.fixture
def calc():
    return {"fields": {}, "points": {}}


@given(parsers.parse('practice "{practice}" reported {ind} numerator {num:d} and denominator {den:d}'))
def _reported(calc, practice, ind, num, den):
    calc["fields"].setdefault(practice, {})[ind] = {NUMERATOR: num, DENOMINATOR: den}


@when("CQRS calculates achievement")
def _calculate(calc):
    for practice, fields in calc["fields"].items():
        calc["points"][practice] = {s.ind_code: s.points for s in score_practice(CAT, fields)}


@then(parsers.parse('"{practice}" earns {points} points for {ind}'))
def _earns(calc, practice, points, ind):
    assert str(points_2dp(calc["points"][practice][ind])) == points


@given(parsers.parse("a practice with {size} patients at 1 January and a diabetes register of {register}"))
def _practice(calc, size, register):
    calc["practice"] = PracticeFigures("A81001", _int(size), {"DM": _int(register)})


@given(parsers.parse("a national diabetes prevalence of {registers} in {patients}"))
def _national(calc, registers, patients):
    calc["national"] = {"DM": Decimal(_int(registers)) / Decimal(_int(patients))}


@when(parsers.parse("the practice achieves {points:d} diabetes points"))
def _achieves(calc, points):
    calc["payment"] = practice_payment(CAT, calc["practice"], [Scored("DM26", "scored", Decimal(points))], calc["national"])


@then(parsers.parse("CQRS pays £{amount} for them"))
def _pays(calc, amount):
    assert calc["payment"].total_gbp == Decimal(amount.replace(",", ""))
