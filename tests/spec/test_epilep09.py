"""EPILEP09 — women under 55 on anti-epileptic drugs: contraception and pregnancy information in 15 months.

Rule (rules_2012_13.yaml, ``indicators.EPILEP09``), first rule that fires decides:
  1. not on the epilepsy register (which already means 18+ and on a drug)     -> reject
  2. not a woman                                                             -> reject
  3. aged 55 or over                                                         -> reject
  4. counselling (EPICON_COD) from 1 Jan 2012                                 -> numerator
  5. epilepsy exception code (EPILEX_COD), 15 months                         -> exception
  6. registered in the last 3 months                                        -> exception
  7. earliest epilepsy code in the last 3 months                            -> exception
  8. everyone else                                                         -> denominator
"""

from .builders import EPILEPSY_COUNSELLING, epileptic, ev

WOMAN = dict(sex="F", dob="1980-01-01")


def test_woman_counselled_is_in_numerator(engine):
    assert engine.outcome("EPILEP09", epileptic(ev(EPILEPSY_COUNSELLING, "2012-06-01"), **WOMAN)) == "numerator"


def test_men_are_not_in_the_population(engine):
    assert engine.outcome("EPILEP09", epileptic(sex="M", dob="1980-01-01")) == "reject"


def test_aged_54_is_in_55th_birthday_on_achievement_date_is_out(engine):
    assert engine.outcomes("EPILEP09", epileptic(sex="F", dob="1958-04-01"), epileptic(sex="F", dob="1958-03-31")) == [
        "denominator", "reject"]


def test_counselling_one_day_before_window_does_not_count(engine):
    assert engine.outcome("EPILEP09", epileptic(ev(EPILEPSY_COUNSELLING, "2011-12-31"), **WOMAN)) == "denominator"
