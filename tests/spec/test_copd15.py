"""COPD15 — COPD diagnosed from 1 April 2011: confirmed by post-bronchodilator spirometry.

Rule (rules_2012_13.yaml, ``indicators.COPD15``), first rule that fires decides:
  1. not on the COPD register                                                   -> reject
  2. the earliest COPD code is before 1 Apr 2011                               -> reject
  3. post-bronchodilator spirometry (SPIRO_COD) from 91 days before to 365 days after
     the earliest COPD code (entering the register)                             -> numerator
  4. COPD exception code (COPDEX_COD) in the last 15 months                     -> exception
  5. registered in the last 3 months                                           -> exception
  6. earliest COPD code in the last 3 months                                   -> exception
  7. everyone else                                                            -> denominator
"""

from .builders import COPD, COPD_EXCEPTED, POST_BD_SPIROMETRY, copd_patient, ev, step

SPIRO = POST_BD_SPIROMETRY


def test_spirometry_at_diagnosis_is_in_numerator(engine):
    assert engine.outcome("COPD15", copd_patient(ev(SPIRO, "2012-05-01"), diagnosed="2012-05-01")) == "numerator"


def test_spirometry_91_days_before_counts_92_days_before_does_not(engine):
    assert engine.outcomes("COPD15", copd_patient(ev(SPIRO, "2012-01-31"), diagnosed="2012-05-01"),
                           copd_patient(ev(SPIRO, "2012-01-30"), diagnosed="2012-05-01")) == ["numerator", "denominator"]


def test_spirometry_365_days_after_counts_366_days_after_does_not(engine):
    assert engine.outcomes("COPD15", copd_patient(ev(SPIRO, "2012-04-01"), diagnosed="2011-04-02"),
                           copd_patient(ev(SPIRO, "2012-04-02"), diagnosed="2011-04-01")) == ["numerator", "denominator"]


def test_diagnosed_on_1_april_2011_is_in_the_population_the_day_before_is_not(engine):
    assert engine.outcomes("COPD15", copd_patient(diagnosed="2011-04-01"), copd_patient(diagnosed="2011-03-31")) == [
        "denominator", "reject"]


def test_an_older_copd_code_makes_the_diagnosis_old(engine):
    p = copd_patient(ev(COPD, "2009-01-01"), ev(SPIRO, "2012-05-01"), diagnosed="2012-05-01")
    assert engine.outcome("COPD15", p) == "reject" and step("COPD15", p) == ("reject", 2)


def test_exceptions(engine):
    assert engine.outcomes("COPD15", copd_patient(ev(COPD_EXCEPTED, "2012-06-01"), diagnosed="2012-01-01"),
                           copd_patient(diagnosed="2012-01-01", registered="2013-01-01"),
                           copd_patient(diagnosed="2013-01-01")) == ["exception"] * 3
