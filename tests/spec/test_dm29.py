"""DM29 — diabetes: foot examination and risk classification in the preceding 15 months.

Rule (rules_2012_13.yaml, ``indicators.DM29``), first rule that fires decides:
  1. not on the diabetes register (DM)                                       -> reject
  2. a foot risk classification (FRC_COD: low, moderate/increased, high risk,
     ulcerated) from 1 Jan 2012 to 31 Mar 2013                                -> numerator
  3. diabetes exception code (DMEX_COD) in the same 15 months                 -> exception
  4. registered in the last 3 months                                         -> exception
  5. earliest diabetes code in the last 3 months                             -> exception
  6. everyone else on the register                                          -> denominator
"""

from simulator.qof.engines import IndicatorCounts

from .builders import DM_EXCEPTED, FOOT_RISK, NEUROPATHY_TEST, ctv3, diabetic, ev


def test_risk_classification_in_window_is_in_numerator(engine):
    assert engine.outcome("DM29", diabetic(ev(FOOT_RISK, "2012-09-01"))) == "numerator"


def test_a_neuropathy_test_alone_is_not_a_risk_classification(engine):
    assert engine.outcome("DM29", diabetic(ev(NEUROPATHY_TEST, "2012-09-01"))) == "denominator"


def test_classification_on_first_day_of_window_counts_one_day_earlier_does_not(engine):
    assert engine.outcomes("DM29", diabetic(ev(FOOT_RISK, "2012-01-01")), diabetic(ev(FOOT_RISK, "2011-12-31"))) == [
        "numerator", "denominator"]


def test_exceptions(engine):
    assert engine.outcomes("DM29", diabetic(ev(DM_EXCEPTED, "2013-03-31")), diabetic(registered="2013-01-01"),
                           diabetic(diagnosed="2013-01-01")) == ["exception"] * 3


def test_tpp_ctv3_codes_counted(engine):
    assert engine.outcome("DM29", diabetic(ctv3(FOOT_RISK, "2012-09-01"))) == "numerator"


def test_practice_counts(engine):
    pc = engine([diabetic(ev(FOOT_RISK, "2012-09-01")), diabetic(ev(FOOT_RISK, "2011-09-01")),
                 diabetic(registered="2013-02-01")])
    assert pc.indicators["DM29"] == IndicatorCounts(numerator=1, denominator=2, exceptions=1)
