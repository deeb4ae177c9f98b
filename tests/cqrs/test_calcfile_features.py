"""`qofsim calc` on the long layout: yes/no rows ('Achieved' 1/0), manual percentages,
target populations (LIST / 'Target population CS'), previous-year points, and the points and
payments written back in the long layout."""

from decimal import Decimal

import pytest

from simulator.cqrs.calcfile import calc
from tests.cqrs.longlayout import HEADER, read, row, write
from simulator.cqrs.longformat import LongFormatError
from simulator.qof.catalogue import default_catalogue

CAT = default_catalogue()
YESNO = next(c for c, d in CAT.indicators.items() if not d.extracted and d.kind == "yesno")
SINGLE = next(c for c, d in CAT.indicators.items() if not d.extracted and d.kind == "manual" and d.lower == d.upper)





def test_yes_no_and_manual_percentage_rows_score(tmp_path):
    """'Achieved' 1 -> the catalogue's points, 0 -> none; SINGLE (threshold T/T) at T % -> full."""
    t = int(CAT.indicators[SINGLE].lower)
    values = write(tmp_path, HEADER + row("A81001", YESNO, "Achieved", 1, "pm01") + row("B82001", YESNO, "Achieved", 0)
                   + row("A81001", SINGLE, "Numerator", t) + row("A81001", SINGLE, "Denominator", 100))
    calc(CAT, values, tmp_path / "points.csv")
    got = {(r["ORG_CODE"], r["IND_CODE"]): r["POINTS"] for r in read(tmp_path / "points.csv")}
    assert Decimal(got[("A81001", YESNO)]) == CAT.indicators[YESNO].points
    assert got[("B82001", YESNO)] == "0.00"
    assert Decimal(got[("A81001", SINGLE)]) == CAT.indicators[SINGLE].points


def test_achieved_must_be_one_or_zero(tmp_path):
    values = write(tmp_path, HEADER + row("A81001", YESNO, "Achieved", 2))
    with pytest.raises(LongFormatError, match=rf"practice A81001, {YESNO}: field 'VALUE': 'Achieved' is 1 \(yes\) or 0"):
        calc(CAT, values, tmp_path / "o.csv")


def cs_file(tmp_path):
    """A: list 6,000, 1,800 women 25-64; B: list 4,000, 800 women; both 36/40 = 90 % on CS01 (its
    upper threshold, so its full points G). NATP = 5,891 x 2,600 / 10,000 = 1,531.66."""
    text = HEADER
    for org, women in (("A81001", 1800), ("B82001", 800)):
        text += row(org, "LIST", "Target population CS", women)
        text += row(org, "CS01", "Numerator", 36) + row(org, "CS01", "Denominator", 40)
    values = write(tmp_path, text)
    sizes = write(tmp_path, "ORG_CODE,LIST_SIZE,PREVIOUS_YEAR_POINTS\nA81001,6000,1000\nB82001,4000,\n", "sizes.csv")
    return values, sizes


def test_target_population_rows_and_previous_points_reach_the_payments(tmp_path):
    values, sizes = cs_file(tmp_path)
    out = tmp_path / "points.csv"
    result = calc(CAT, values, out, sizes)
    g = CAT.indicators["CS01"].points
    pay = {r["ORG_CODE"]: r for r in result.payment_rows}
    # A: G x 133.76 x 1,800 / 1,531.66
    from fractions import Fraction

    from simulator.cqrs.payments import settle
    assert pay["A81001"]["PAYMENT_GBP"] == str(settle(Fraction(g) * Fraction("133.76") * 1800 / Fraction("1531.66")))
    # aspiration: A 1,000 points last year (12 x £7,947.04, test_aspiration.py); B none -> 960.8 [I]
    assert pay["A81001"]["ASPIRATION_PAID_GBP"] == "95364.48"
    assert Decimal(pay["A81001"]["NET_GBP"]) == Decimal(pay["A81001"]["PAYMENT_GBP"]) - Decimal("95364.48")
    b_asp = 12 * settle(Fraction("960.8") * Fraction("133.76") * Fraction(4000, 5891) * Fraction(7, 10) / 12)
    assert pay["B82001"]["ASPIRATION_PAID_GBP"] == str(b_asp)
    assert list(read(tmp_path / "points-payments.csv")[0]) == ["ORG_CODE", "ACH_DATE", "LIST_SIZE", "POINTS",
                                                                "PAYMENT_GBP", "ASPIRATION_PAID_GBP", "NET_GBP"]


def test_payments_are_written_back_in_the_long_layout(tmp_path):
    values, sizes = cs_file(tmp_path)
    calc(CAT, values, tmp_path / "points.csv", sizes)
    rows = read(tmp_path / "points-payments-long.csv")
    assert list(rows[0]) == ["QUALITY_SERVICE", "ORG_CODE", "ACH_DATE", "IND_CODE", "FIELD_NAME", "VALUE"]
    a = {(r["IND_CODE"], r["FIELD_NAME"]): r["VALUE"] for r in rows if r["ORG_CODE"] == "A81001"}
    assert a[("PRACTICE", "Aspiration month 01 GBP")] == "7947.04"
    assert a[("PRACTICE", "Aspiration paid GBP")] == "95364.48"
    assert Decimal(a[("PRACTICE", "Net payment GBP")]) == Decimal(a[("PRACTICE", "Achievement payment GBP")]) - \
        Decimal("95364.48")
    assert Decimal(a[("AREA", "Points: Cervical screening")]) == CAT.indicators["CS01"].points
    assert Decimal(a[("DOMAIN", "Points: Additional services")]) == CAT.indicators["CS01"].points
    component = a[("PAYMENT", "Additional services: Cervical screening (target population CS)")]
    assert Decimal(component).quantize(Decimal("0.01"), "ROUND_HALF_UP") == \
        Decimal(a[("PRACTICE", "Achievement payment GBP")])


def test_without_target_population_the_service_is_paid_by_cpi(tmp_path):
    values = write(tmp_path, HEADER + row("A81001", "CS01", "Numerator", 36) + row("A81001", "CS01", "Denominator", 40))
    sizes = write(tmp_path, "ORG_CODE,LIST_SIZE\nA81001,5891\n", "sizes.csv")
    result = calc(CAT, values, tmp_path / "points.csv", sizes)
    # CPI 1: G x £133.76
    assert Decimal(result.payment_rows[0]["PAYMENT_GBP"]) == CAT.indicators["CS01"].points * Decimal("133.76")
    long = {r["FIELD_NAME"] for r in result.long_rows if r["IND_CODE"] == "PAYMENT"}
    assert long == {"Additional services: Cervical screening (CPI: no target population CS)"}


def test_bad_previous_points_name_row_and_field(tmp_path):
    values = write(tmp_path, HEADER + row("A81001", "SMOKE07", "Numerator", 1))
    sizes = write(tmp_path, "ORG_CODE,LIST_SIZE,PREVIOUS_YEAR_POINTS\nA81001,5891,lots\n", "sizes.csv")
    with pytest.raises(LongFormatError, match=r"sizes.csv: row 2: field 'PREVIOUS_YEAR_POINTS'"):
        calc(CAT, values, tmp_path / "o.csv", sizes)
