"""MH16 — women aged 25 to 64 on the mental health register: cervical screening in the preceding 5 years.

Rule (rules_2012_13.yaml, ``indicators.MH16``), first rule that fires decides:
  1. not on the mental health register                                     -> reject
  2. not a woman                                                           -> reject
  3. aged under 25 on the achievement date                                 -> reject
  4. aged 65 or over                                                       -> reject
  5. a hysterectomy (HYST_COD) ever: no cervix                             -> reject
  6. a cervical screening test (CYT_COD) from 1 Apr 2008 (60 months)        -> numerator
  7. mental health or cervical screening exception code, 15 months         -> exception
  8. registered in the last 3 months                                      -> exception
  9. everyone else                                                       -> denominator
"""

from .builders import HYSTERECTOMY, MH_EXCEPTED, SMEAR, SMEAR_EXCEPTED, ev, mh_patient, step

WOMAN = dict(sex="F", dob="1970-01-01")


def test_woman_screened_in_5_years_is_in_numerator(engine):
    assert engine.outcome("MH16", mh_patient(ev(SMEAR, "2010-06-01"), **WOMAN)) == "numerator"


def test_smear_on_first_day_of_60_month_window_counts_one_day_earlier_does_not(engine):
    assert engine.outcomes("MH16", mh_patient(ev(SMEAR, "2008-04-01"), **WOMAN), mh_patient(ev(SMEAR, "2008-03-31"), **WOMAN)) == [
        "numerator", "denominator"]


def test_men_are_not_in_the_population(engine):
    assert engine.outcome("MH16", mh_patient(ev(SMEAR, "2010-06-01"), sex="M", dob="1970-01-01")) == "reject"


def test_25th_birthday_on_achievement_date_is_in_65th_is_out(engine):
    assert engine.outcomes("MH16", mh_patient(sex="F", dob="1988-03-31"), mh_patient(sex="F", dob="1988-04-01"),
                           mh_patient(sex="F", dob="1948-04-01"), mh_patient(sex="F", dob="1948-03-31")) == [
        "denominator", "reject", "denominator", "reject"]


def test_after_a_hysterectomy_not_in_the_population(engine):
    p = mh_patient(ev(HYSTERECTOMY, "2001-01-01"), ev(SMEAR, "2010-06-01"), **WOMAN)
    assert step("MH16", p) == ("reject", 5) and engine.outcome("MH16", p) == "reject"


def test_either_exception_code_excepts(engine):
    assert engine.outcomes("MH16", mh_patient(ev(MH_EXCEPTED, "2012-06-01"), **WOMAN),
                           mh_patient(ev(SMEAR_EXCEPTED, "2012-06-01"), **WOMAN)) == ["exception", "exception"]
