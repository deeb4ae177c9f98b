"""DM22 — diabetes: eGFR or serum creatinine recorded in the preceding 15 months.

Rule (rules_2012_13.yaml, ``indicators.DM22``), first rule that fires decides:
  1. not on the diabetes register (DM)                                      -> reject
  2. an eGFR (EGFR_COD) or a serum creatinine (CRE_COD) from 1 Jan 2012     -> numerator
  3. diabetes exception code (DMEX_COD) in the same 15 months               -> exception
  4. registered in the last 3 months                                       -> exception
  5. earliest diabetes code in the last 3 months                           -> exception
  6. everyone else on the register                                        -> denominator
"""

from .builders import CREATININE, DM_EXCEPTED, EGFR, ctv3, diabetic, ev


def test_egfr_or_creatinine_in_window_is_in_numerator(engine):
    assert engine.outcomes("DM22", diabetic(ev(EGFR, "2012-06-01", 72)), diabetic(ev(CREATININE, "2012-06-01", 88))) == [
        "numerator", "numerator"]


def test_test_on_first_day_of_window_counts_one_day_earlier_does_not(engine):
    assert engine.outcomes("DM22", diabetic(ev(EGFR, "2012-01-01")), diabetic(ev(CREATININE, "2011-12-31"))) == [
        "numerator", "denominator"]


def test_exception_code_excepts_only_without_a_test(engine):
    assert engine.outcomes("DM22", diabetic(ev(DM_EXCEPTED, "2012-03-01")),
                           diabetic(ev(DM_EXCEPTED, "2012-03-01"), ev(EGFR, "2012-04-01"))) == ["exception", "numerator"]


def test_newly_registered_or_diagnosed_excepted(engine):
    assert engine.outcomes("DM22", diabetic(registered="2013-03-31"), diabetic(diagnosed="2013-03-31")) == [
        "exception", "exception"]


def test_tpp_ctv3_codes_counted(engine):
    assert engine.outcome("DM22", diabetic(ctv3(CREATININE, "2012-06-01"))) == "numerator"
