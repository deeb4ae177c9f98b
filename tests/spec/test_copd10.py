"""COPD10 — COPD: FEV1 recorded in the preceding 15 months.

Rule (rules_2012_13.yaml, ``indicators.COPD10``), first rule that fires decides:
  1. not on the COPD register                                         -> reject
  2. FEV1 (FEV1_COD) from 1 Jan 2012 to 31 Mar 2013                    -> numerator
  3. COPD exception code (COPDEX_COD) in the same 15 months           -> exception
  4. registered in the last 3 months                                 -> exception
  5. earliest COPD code in the last 3 months                         -> exception
  6. everyone else on the register                                  -> denominator
"""

from .builders import COPD_EXCEPTED, FEV1, copd_patient, ctv3, ev


def test_fev1_on_first_day_of_window_counts_one_day_earlier_does_not(engine):
    assert engine.outcomes("COPD10", copd_patient(ev(FEV1, "2012-01-01", 1.8)), copd_patient(ev(FEV1, "2011-12-31", 1.8))) == [
        "numerator", "denominator"]


def test_fev1_on_achievement_date_counts(engine):
    assert engine.outcome("COPD10", copd_patient(ev(FEV1, "2013-03-31"))) == "numerator"


def test_exceptions(engine):
    assert engine.outcomes("COPD10", copd_patient(ev(COPD_EXCEPTED, "2012-01-01")), copd_patient(ev(COPD_EXCEPTED, "2011-12-31")),
                           copd_patient(registered="2013-01-01"), copd_patient(diagnosed="2013-01-01")) == [
        "exception", "denominator", "exception", "exception"]


def test_tpp_ctv3_codes_counted(engine):
    assert engine.outcome("COPD10", copd_patient(ctv3(FEV1, "2012-06-01"))) == "numerator"
