"""Aspiration payments by the 70 % method, and the year-end payment net of them.

    expected = previous year's points x £133.76 x CPI                      [I] (no APDF)
    monthly  = settle_monthly(expected x 70 % / 12), paid in 12 months     [S] method
    net      = achievement payment (settled) - sum of the 12 monthly       [S] reconciled at year end
"""

import csv
from decimal import Decimal

import pytest

from simulator.contracts import canonical_json
from simulator.cqrs.payments import achievement_net, aspiration, settle
from simulator.cqrs.service import Cqrs
from simulator.db import CqrsPaymentInstruction, sessions
from simulator.gpes.spec import build_spec
from simulator.qof.catalogue import default_catalogue

CAT = default_catalogue()
SPEC = build_spec(CAT)


def test_default_is_the_national_average_score():
    """No previous score: 960.8 points [I]. List 5,891 (CPI 1): expected 960.8 x 133.76 =
    £128,516.608; 70 % / 12 = £7,496.8021… -> £7,496.80 a month, £89,961.60 in the year."""
    a = aspiration(None, 5891, CAT)
    assert (a.previous_year_points, a.points_source) == (Decimal("960.8"), "national average [I]")
    assert a.expected_gbp == Decimal("128516.608")
    assert a.monthly_gbp == (Decimal("7496.80"),) * 12
    assert a.paid_gbp == Decimal("89961.60")


def test_practice_previous_points():
    """1,000 points last year, list 6,000: expected 1,000 x 133.76 x 6,000 / 5,891 = £136,234.9346…;
    70 % / 12 = £7,947.0378… -> £7,947.04 a month; £95,364.48 paid in the year."""
    a = aspiration(Decimal(1000), 6000, CAT)
    assert a.points_source == "practice"
    assert a.monthly_gbp == (Decimal("7947.04"),) * 12
    assert a.paid_gbp == Decimal("95364.48")


def test_each_month_is_settled_and_the_year_end_absorbs_the_pennies():
    """70 % of the expected payment settled once would be £95,364.45; twelve settled months pay
    £95,364.48. The 3p are part of what the year-end net reconciles."""
    a = aspiration(Decimal(1000), 6000, CAT)
    assert settle(a.expected_gbp * Decimal("0.7")) == Decimal("95364.45")
    assert all(m == m.quantize(Decimal("0.01")) for m in a.monthly_gbp)


@pytest.mark.parametrize("achieved, net", [("100000.00", "4635.52"), ("90000.00", "-5364.48"), ("95364.48", "0.00")])
def test_net_is_achievement_less_aspiration_paid_and_may_be_negative(achieved, net):
    a = aspiration(Decimal(1000), 6000, CAT)
    assert achievement_net(Decimal(achieved), a.monthly_gbp) == Decimal(net)
    assert str(achievement_net(Decimal(achieved), a.monthly_gbp)) == net


def test_net_refuses_unsettled_amounts():
    with pytest.raises(ValueError, match="pence"):
        achievement_net(Decimal("100.001"), [Decimal("1.00")])


def test_zero_list_pays_no_aspiration():
    assert aspiration(Decimal(900), 0, CAT).paid_gbp == 0


# ---------------------------------------------------------------- in CQRS


def body(extract_id="x-1", practice="A81001", list_size=5891) -> bytes:
    return canonical_json({
        "schema_version": "1", "extract_id": extract_id, "request_id": "r", "spec_id": SPEC.spec_id, "supplier": "TPP",
        "practice_code": practice, "achievement_date": "2013-03-31", "list_size": list_size,
        "registers": {r.id: 300 for r in SPEC.registers},
        "indicators": [{"id": i.id, "numerator": 30, "denominator": 40, "exceptions": 1} for i in SPEC.indicators]})


@pytest.fixture
def cqrs(tmp_path):
    c = Cqrs(sessions(f"sqlite:///{tmp_path / 'c.db'}"), CAT, {"A81001": "05X", "B82005": "06Y"}, tmp_path / "pay",
             previous_year_points={"B82005": Decimal(1000)})
    c.ingest(body(), None)
    c.ingest(body("x-2", "B82005", 6000), None)
    c.calculate()
    return c


def test_achievement_shows_aspiration_and_net(cqrs):
    a = cqrs.achievement("A81001")
    assert a.aspiration.points_source == "national average [I]"
    assert a.aspiration.monthly_gbp == ("7496.80",) * 12 and a.aspiration.paid_gbp == "89961.60"
    assert Decimal(a.net_gbp) == Decimal(a.payment_gbp) - Decimal("89961.60")
    b = cqrs.achievement("B82005")
    assert (b.aspiration.previous_year_points, b.aspiration.paid_gbp) == ("1000", "95364.48")
    assert Decimal(b.net_gbp) == Decimal(b.payment_gbp) - Decimal("95364.48")


def test_payment_instruction_carries_aspiration_paid_and_net(cqrs):
    for code, ccg in (("A81001", "05X"), ("B82005", "06Y")):
        cqrs.declare(code, "pm")
        cqrs.decide(code, ccg, "approve")
    run = cqrs.payment_run()
    by = {i.practice_code: i for i in run.instructions}
    a = cqrs.achievement("A81001")
    assert by["A81001"].amount_gbp == a.payment_gbp  # the achievement payment, as calculated
    assert (by["A81001"].aspiration_paid_gbp, by["A81001"].net_gbp) == ("89961.60", a.net_gbp)
    with open(run.file) as f:
        rows = {r["practice_code"]: r for r in csv.DictReader(f)}
    assert list(rows["A81001"])[-2:] == ["aspiration_paid_gbp", "net_gbp"]
    assert (rows["B82005"]["aspiration_paid_gbp"], rows["B82005"]["net_gbp"]) == ("95364.48", by["B82005"].net_gbp)
    with cqrs.sessions() as s:
        stored = {i.practice_code: i for i in s.query(CqrsPaymentInstruction)}
    assert stored["B82005"].net_gbp == by["B82005"].net_gbp
