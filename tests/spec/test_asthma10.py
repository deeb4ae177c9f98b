"""ASTHMA10 — asthma, aged 14 to 19: smoking status recorded in the preceding 15 months.

Rule (rules_2012_13.yaml, ``indicators.ASTHMA10``), first rule that fires decides:
  1. not on the asthma register (AST)                                       -> reject
  2. aged under 14 on the achievement date                                  -> reject
  3. aged 20 or over                                                        -> reject
  4. any smoking status (current, ex, never) from 1 Jan 2012 (15 months)     -> numerator
  5. asthma exception code (ASTEX_COD) in the same 15 months                -> exception
  6. registered in the last 3 months                                       -> exception
  7. earliest asthma code in the last 3 months                             -> exception
  8. everyone else                                                        -> denominator
"""

from .builders import ASTHMA_EXCEPTED, EX_SMOKER, NEVER_SMOKED, SMOKER, asthmatic, ev

TEEN = "1997-01-01"


def test_teenager_with_a_smoking_status_is_in_numerator(engine):
    assert engine.outcomes("ASTHMA10", asthmatic(ev(NEVER_SMOKED, "2012-06-01"), dob=TEEN),
                           asthmatic(ev(SMOKER, "2012-06-01"), dob=TEEN),
                           asthmatic(ev(EX_SMOKER, "2012-06-01"), dob=TEEN)) == ["numerator"] * 3


def test_status_one_day_before_15_month_window_does_not_count(engine):
    assert engine.outcome("ASTHMA10", asthmatic(ev(NEVER_SMOKED, "2011-12-31"), dob=TEEN)) == "denominator"


def test_14th_birthday_on_achievement_date_is_in_a_day_younger_is_not(engine):
    assert engine.outcomes("ASTHMA10", asthmatic(dob="1999-03-31"), asthmatic(dob="1999-04-01")) == [
        "denominator", "reject"]


def test_aged_19_is_in_20th_birthday_on_achievement_date_is_out(engine):
    assert engine.outcomes("ASTHMA10", asthmatic(dob="1993-04-01"), asthmatic(dob="1993-03-31")) == [
        "denominator", "reject"]


def test_exceptions(engine):
    assert engine.outcomes("ASTHMA10", asthmatic(ev(ASTHMA_EXCEPTED, "2012-06-01"), dob=TEEN),
                           asthmatic(dob=TEEN, registered="2013-03-01")) == ["exception", "exception"]
