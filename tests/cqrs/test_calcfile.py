"""`qofsim calc`: long-layout values in, points (2 dp) and payments out."""


import pytest
from typer.testing import CliRunner

from simulator.cli import app
from simulator.cqrs.calcfile import calc
from tests.cqrs.longlayout import HEADER, read, row, write
from simulator.cqrs.longformat import LongFormatError
from simulator.qof.catalogue import default_catalogue






def test_reproduces_the_published_smoke_examples(tmp_path):
    values = write(tmp_path, HEADER + row("P00002", "SMOKE07", "Numerator", 1319) + row("P00002", "SMOKE07", "Denominator", 1497)
                   + row("P00002", "SMOKE08", "Numerator", 325) + row("P00002", "SMOKE08", "Denominator", 401))
    out = tmp_path / "points.csv"
    calc(default_catalogue(), values, out)
    got = {(r["ORG_CODE"], r["IND_CODE"]): r["POINTS"] for r in read(out)}
    assert got == {("P00002", "SMOKE07"): "10.48", ("P00002", "SMOKE08"): "9.85"}
    assert list(read(out)[0].keys()) == ["QUALITY_SERVICE", "ORG_CODE", "ACH_DATE", "IND_CODE", "POINTS"]
    assert read(out)[0]["ACH_DATE"] == "2013-03-31"


def test_absent_field_means_not_supplied_not_an_error(tmp_path):
    values = write(tmp_path, HEADER + row("P00001", "SMOKE07", "Numerator", 50))  # no denominator
    out = tmp_path / "points.csv"
    calc(default_catalogue(), values, out)
    assert read(out) == [{"QUALITY_SERVICE": "QOF", "ORG_CODE": "P00001", "ACH_DATE": "2013-03-31",
                          "IND_CODE": "SMOKE07", "POINTS": "0.00"}]


def test_payments_with_list_sizes_reproduce_the_worked_example(tmp_path):
    """FACTS.md: list 6,000, DM register 300, national DM prevalence 2.7 M / 55 M, 70 DM points -> £9,713.05.

    A second practice supplies the national prevalence: 2.7 M / 55 M = 0.0490909… exactly."""
    text = HEADER + row("A81001", "DM32", "Diabetes register", 300)
    text += row("B82001", "DM32", "Diabetes register", 2_699_700)
    # 70 diabetes points at A81001, every one at 100 %: DM26 17 + DM27 8 + DM28 10 + DM30 8 + DM31 10
    # + DM21 5 + DM17 6 = 64, and the register DM32 6 (catalogue values).
    for ind in ("DM26", "DM27", "DM28", "DM30", "DM31", "DM21", "DM17"):
        text += row("A81001", ind, "Numerator", 100) + row("A81001", ind, "Denominator", 100)
    values = write(tmp_path, text)
    sizes = write(tmp_path, "ORG_CODE,LIST_SIZE\nA81001,6000\nB82001,54994000\n", "sizes.csv")
    out = tmp_path / "points.csv"
    result = calc(default_catalogue(), values, out, sizes)
    a = next(r for r in result.payment_rows if r["ORG_CODE"] == "A81001")
    assert a["POINTS"] == "70.00"
    assert a["PAYMENT_GBP"] == "9713.05"
    assert (tmp_path / "points-payments.csv").exists()


def test_bad_value_names_row_and_field(tmp_path):
    values = write(tmp_path, HEADER + row("P00001", "SMOKE07", "Numerator", "12.5"))
    with pytest.raises(LongFormatError, match=r"values.csv: row 2: field 'VALUE'"):
        calc(default_catalogue(), values, tmp_path / "o.csv")


def test_unknown_indicator_is_refused(tmp_path):
    values = write(tmp_path, HEADER + row("P00001", "XYZ01", "Numerator", 1))
    with pytest.raises(LongFormatError, match="XYZ01 is not a QOF 2012/13 indicator"):
        calc(default_catalogue(), values, tmp_path / "o.csv")


def test_missing_column_is_refused(tmp_path):
    values = write(tmp_path, "ORG_CODE,IND_CODE,VALUE\nA,B,1\n")
    with pytest.raises(LongFormatError, match="header lacks column 'QUALITY_SERVICE'"):
        calc(default_catalogue(), values, tmp_path / "o.csv")


def test_cli_reports_a_clear_error_for_a_missing_file(tmp_path):
    r = CliRunner().invoke(app, ["calc", "--values", str(tmp_path / "nope.csv"), "--out", str(tmp_path / "o.csv")])
    assert r.exit_code == 2 and "no such file" in r.output


def test_cli_writes_points(tmp_path):
    values = write(tmp_path, HEADER + row("P00002", "SMOKE07", "Numerator", 1319) + row("P00002", "SMOKE07", "Denominator", 1497))
    r = CliRunner().invoke(app, ["calc", "--values", str(values), "--out", str(tmp_path / "o.csv")])
    assert r.exit_code == 0, r.output
    assert read(tmp_path / "o.csv")[0]["POINTS"] == "10.48"


@pytest.mark.parametrize("value", ["9007199254740993", "1e30", str(2 ** 63), "2147483648"])
def test_a_value_the_store_cannot_hold_is_refused_not_rounded(tmp_path, value):
    """A float read 2**53 + 1 as 2**53 (a count silently changed) and 1e30 crashed the calculation."""
    values = write(tmp_path, HEADER + row("P00001", "SMOKE07", "Denominator", value))
    with pytest.raises(LongFormatError, match=rf"row 2: field 'VALUE': {value} is above the largest count, 2147483647"):
        calc(default_catalogue(), values, tmp_path / "o.csv")


@pytest.mark.parametrize("value", ["nan", "inf", "-0.5"])
def test_a_value_that_is_not_a_count_is_refused(tmp_path, value):
    values = write(tmp_path, HEADER + row("P00001", "SMOKE07", "Denominator", value))
    with pytest.raises(LongFormatError, match="field 'VALUE': counts are whole numbers >= 0"):
        calc(default_catalogue(), values, tmp_path / "o.csv")


def test_the_largest_count_is_read_exactly(tmp_path):
    text = HEADER + row("P00001", "SMOKE07", "Numerator", "2147483646") + row("P00001", "SMOKE07", "Denominator",
                                                                            "2147483647.0")
    out = tmp_path / "o.csv"
    calc(default_catalogue(), write(tmp_path, text), out)
    smoke = next(r for r in read(out) if r["IND_CODE"] == "SMOKE07")
    assert smoke["POINTS"] == "11.00"  # 99.99999995 %: above the 90 % upper threshold


def test_a_list_size_the_store_cannot_hold_is_refused(tmp_path):
    values = write(tmp_path, HEADER + row("P00001", "SMOKE07", "Numerator", 1))
    sizes = write(tmp_path, f"ORG_CODE,LIST_SIZE\nP00001,{2 ** 63}\n", "sizes.csv")
    with pytest.raises(LongFormatError, match=rf"sizes.csv: row 2: field 'LIST_SIZE': {2 ** 63} is above the largest"):
        calc(default_catalogue(), values, tmp_path / "o.csv", sizes)
