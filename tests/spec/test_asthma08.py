"""ASTHMA08 — asthma diagnosed from 1 April 2006, aged 8+: variability or reversibility around diagnosis.

Rule (rules_2012_13.yaml, ``indicators.ASTHMA08``), first rule that fires decides:
  1. not on the asthma register (AST)                                            -> reject
  2. aged under 8 on the achievement date                                        -> reject
  3. the earliest asthma code is before 1 Apr 2006                               -> reject
  4. a peak-flow variability / reversibility / spirometry code (VARREV_COD) from
     91 days before to 365 days after the earliest asthma code ("3 months before
     to 12 months after diagnosis")                                              -> numerator
  5. asthma exception code (ASTEX_COD) in the last 15 months                     -> exception
  6. registered in the last 3 months                                            -> exception
  7. earliest asthma code in the last 3 months                                  -> exception
  8. everyone else                                                             -> denominator
"""

from .builders import ASTHMA, ASTHMA_EXCEPTED, PEAK_FLOW_VARIABILITY, asthmatic, ev, step

PFV = PEAK_FLOW_VARIABILITY


def test_variability_measured_at_diagnosis_is_in_numerator(engine):
    assert engine.outcome("ASTHMA08", asthmatic(ev(PFV, "2008-06-01"), diagnosed="2008-06-01")) == "numerator"


def test_measured_91_days_before_diagnosis_counts_92_days_does_not(engine):
    assert engine.outcomes("ASTHMA08", asthmatic(ev(PFV, "2008-03-02"), diagnosed="2008-06-01"),
                           asthmatic(ev(PFV, "2008-03-01"), diagnosed="2008-06-01")) == ["numerator", "denominator"]


def test_measured_365_days_after_diagnosis_counts_366_days_does_not(engine):
    assert engine.outcomes("ASTHMA08", asthmatic(ev(PFV, "2009-06-01"), diagnosed="2008-06-01"),
                           asthmatic(ev(PFV, "2009-06-02"), diagnosed="2008-06-01")) == ["numerator", "denominator"]


def test_diagnosed_on_1_april_2006_is_in_the_population_the_day_before_is_not(engine):
    assert engine.outcomes("ASTHMA08", asthmatic(diagnosed="2006-04-01"), asthmatic(diagnosed="2006-03-31")) == [
        "denominator", "reject"]


def test_the_earliest_asthma_code_is_the_diagnosis(engine):
    p = asthmatic(ev(ASTHMA, "2004-01-01"), ev(PFV, "2008-06-01"), diagnosed="2008-06-01")
    assert engine.outcome("ASTHMA08", p) == "reject" and step("ASTHMA08", p) == ("reject", 3)


def test_eighth_birthday_on_achievement_date_counts_a_day_younger_does_not(engine):
    assert engine.outcomes("ASTHMA08", asthmatic(dob="2005-03-31", diagnosed="2010-01-01"),
                           asthmatic(dob="2005-04-01", diagnosed="2010-01-01")) == ["denominator", "reject"]


def test_exceptions(engine):
    assert engine.outcomes("ASTHMA08", asthmatic(ev(ASTHMA_EXCEPTED, "2012-06-01")), asthmatic(registered="2013-01-01"),
                           asthmatic(diagnosed="2013-01-01", treated="2013-01-01")) == ["exception"] * 3


def test_newly_diagnosed_patient_already_measured_is_in_numerator(engine):
    p = asthmatic(ev(PFV, "2013-02-01"), diagnosed="2013-01-15", treated="2013-01-15")
    assert engine.outcome("ASTHMA08", p) == "numerator"
