"""ASTHMA09 — asthma: review with the Royal College of Physicians 3 questions in the preceding 15 months.

Rule (rules_2012_13.yaml, ``indicators.ASTHMA09``), first rule that fires decides:
  1. not on the asthma register (AST)                                    -> reject
  2. RCP 3-questions assessment (RCP3_COD) from 1 Jan 2012 to 31 Mar 2013 -> numerator
  3. asthma exception code (ASTEX_COD) in the same 15 months             -> exception
  4. registered in the last 3 months                                    -> exception
  5. earliest asthma code in the last 3 months                          -> exception
  6. everyone else on the register                                     -> denominator
"""

from simulator.qof.engines import IndicatorCounts

from .builders import ASTHMA_EXCEPTED, RCP3, asthmatic, ctv3, ev, patient


def test_rcp3_review_in_window_is_in_numerator(engine):
    assert engine.outcome("ASTHMA09", asthmatic(ev(RCP3, "2012-11-01"))) == "numerator"


def test_review_on_first_day_of_window_counts_one_day_earlier_does_not(engine):
    assert engine.outcomes("ASTHMA09", asthmatic(ev(RCP3, "2012-01-01")), asthmatic(ev(RCP3, "2011-12-31"))) == [
        "numerator", "denominator"]


def test_exceptions(engine):
    assert engine.outcomes("ASTHMA09", asthmatic(ev(ASTHMA_EXCEPTED, "2012-01-01")), asthmatic(registered="2013-01-01"),
                           asthmatic(diagnosed="2013-01-01", treated="2013-02-01")) == ["exception"] * 3


def test_asthma_without_treatment_in_12_months_not_on_register_so_not_counted(engine):
    assert engine.outcome("ASTHMA09", asthmatic(ev(RCP3, "2012-11-01"), treated="2012-02-01")) == "reject"


def test_tpp_ctv3_codes_counted(engine):
    assert engine.outcome("ASTHMA09", asthmatic(ctv3(RCP3, "2012-11-01"))) == "numerator"


def test_practice_counts(engine):
    pc = engine([asthmatic(ev(RCP3, "2012-11-01")), asthmatic(), patient(ev(RCP3, "2012-11-01"))])
    assert pc.indicators["ASTHMA09"] == IndicatorCounts(numerator=1, denominator=2, exceptions=0)
