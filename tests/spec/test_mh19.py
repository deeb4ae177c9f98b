"""MH19 — mental health register, aged 40+: total cholesterol:HDL ratio in the preceding 15 months.

Rule (rules_2012_13.yaml, ``indicators.MH19``), first rule that fires decides:
  1. not on the mental health register                                  -> reject
  2. aged under 40 on the achievement date                              -> reject
  3. a TC:HDL ratio (TCHDL_COD) from 1 Jan 2012                          -> numerator
  4. mental health exception code (MHEX_COD), 15 months                 -> exception
  5. registered in the last 3 months                                   -> exception
  6. earliest psychosis code in the last 3 months                      -> exception
  7. everyone else                                                    -> denominator
"""

from .builders import TC_HDL, TOTAL_CHOL, ev, mh_patient


def test_ratio_in_window_counts_one_day_earlier_does_not(engine):
    assert engine.outcomes("MH19", mh_patient(ev(TC_HDL, "2012-01-01", 3.9)), mh_patient(ev(TC_HDL, "2011-12-31", 3.9))) == [
        "numerator", "denominator"]


def test_a_total_cholesterol_alone_is_not_a_ratio(engine):
    assert engine.outcome("MH19", mh_patient(ev(TOTAL_CHOL, "2012-06-01", 5.2))) == "denominator"


def test_40th_birthday_on_achievement_date_is_in_a_day_younger_is_not(engine):
    assert engine.outcomes("MH19", mh_patient(dob="1973-03-31"), mh_patient(dob="1973-04-01")) == ["denominator", "reject"]


def test_new_patients_excepted(engine):
    assert engine.outcomes("MH19", mh_patient(registered="2013-01-01"), mh_patient(diagnosed="2013-01-01")) == [
        "exception", "exception"]
