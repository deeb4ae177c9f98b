"""PP02 — hypertension diagnosed from 1 April 2009: lifestyle advice in the preceding 15 months.

Rule (rules_2012_13.yaml, ``indicators.PP02``), first rule that fires decides:
  1. not on the hypertension register                                          -> reject
  2. the earliest hypertension code is before 1 Apr 2009                       -> reject
  3. lifestyle advice (LIFEADV_COD: physical activity, smoking, alcohol or diet)
     from 1 Jan 2012 (15 months)                                                -> numerator
  4. hypertension exception code (HYPEX_COD), 15 months                        -> exception
  5. registered in the last 3 months                                          -> exception
  6. earliest hypertension code in the last 3 months                          -> exception
  7. everyone else                                                           -> denominator
No age limit and no exclusion for CVD (unlike PP01).
"""

from .builders import CHD, LIFESTYLE_ADVICE, ev, hypertensive


def test_advice_in_15_months_counts_one_day_earlier_does_not(engine):
    assert engine.outcomes("PP02", hypertensive(ev(LIFESTYLE_ADVICE, "2012-01-01"), diagnosed="2010-01-01"),
                           hypertensive(ev(LIFESTYLE_ADVICE, "2011-12-31"), diagnosed="2010-01-01")) == ["numerator", "denominator"]


def test_diagnosed_before_april_2009_not_in_the_population(engine):
    assert engine.outcomes("PP02", hypertensive(diagnosed="2009-04-01"), hypertensive(diagnosed="2009-03-31")) == [
        "denominator", "reject"]


def test_patients_with_chd_are_counted(engine):
    assert engine.outcome("PP02", hypertensive(ev(CHD, "2011-01-01"), ev(LIFESTYLE_ADVICE, "2012-06-01"),
                                               diagnosed="2010-01-01")) == "numerator"


def test_new_patients_excepted(engine):
    assert engine.outcomes("PP02", hypertensive(diagnosed="2010-01-01", registered="2013-01-01"),
                           hypertensive(diagnosed="2013-01-01")) == ["exception", "exception"]
