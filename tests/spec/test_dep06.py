"""DEP06 — new depression diagnosis (from 1 April 2012), aged 18+: severity assessed at the outset.

Rule (rules_2012_13.yaml, ``indicators.DEP06``), first rule that fires decides:
  1. aged under 18 on the achievement date                                     -> reject
  2. the earliest depression code (DEP_COD) is before 1 Apr 2012, or none        -> reject
  3. a severity assessment (DEPASS_COD: PHQ-9, HADS, BDI-II) from 14 days before to
     14 days after that earliest code                                           -> numerator
  4. depression exception code (DEPEX_COD), 15 months                           -> exception
  5. registered in the last 3 months                                           -> exception
  6. everyone else                                                            -> denominator
"""

from .builders import DEP_EXCEPTED, DEP_SEVERITY, DEPRESSION, ev, patient, step


def depressed(*events, diagnosed="2012-09-01", **kw):
    return patient(ev(DEPRESSION, diagnosed), *events, **kw)


def test_assessed_on_the_day_of_diagnosis_is_in_numerator(engine):
    assert engine.outcome("DEP06", depressed(ev(DEP_SEVERITY, "2012-09-01", 16))) == "numerator"


def test_assessed_14_days_either_side_counts_15_days_does_not(engine):
    assert engine.outcomes("DEP06", depressed(ev(DEP_SEVERITY, "2012-08-18")), depressed(ev(DEP_SEVERITY, "2012-09-15")),
                           depressed(ev(DEP_SEVERITY, "2012-08-17")), depressed(ev(DEP_SEVERITY, "2012-09-16"))) == [
        "numerator", "numerator", "denominator", "denominator"]


def test_first_diagnosed_on_1_april_2012_is_new_the_day_before_is_not(engine):
    assert engine.outcomes("DEP06", depressed(diagnosed="2012-04-01"), depressed(diagnosed="2012-03-31")) == [
        "denominator", "reject"]


def test_an_earlier_episode_makes_the_diagnosis_old(engine):
    p = depressed(ev(DEPRESSION, "2009-01-01"), ev(DEP_SEVERITY, "2012-09-01"))
    assert step("DEP06", p) == ("reject", 2) and engine.outcome("DEP06", p) == "reject"


def test_18th_birthday_on_achievement_date_is_in_a_day_younger_is_not(engine):
    assert engine.outcomes("DEP06", depressed(dob="1995-03-31"), depressed(dob="1995-04-01")) == ["denominator", "reject"]


def test_exceptions(engine):
    assert engine.outcomes("DEP06", depressed(ev(DEP_EXCEPTED, "2012-09-01")), depressed(registered="2013-01-01")) == [
        "exception", "exception"]
