"""CS01 — women aged 25 to 64: a cervical screening test recorded in the preceding 5 years.

Rule (rules_2012_13.yaml, ``indicators.CS01``), first rule that fires decides:
  1. not a woman                                                           -> reject
  2. aged under 25 on the achievement date                                 -> reject
  3. aged 65 or over                                                       -> reject
  4. a hysterectomy (HYST_COD) ever: no cervix                             -> reject
  5. a cervical screening test (CYT_COD) from 1 Apr 2008 (60 months)        -> numerator
  6. cervical screening exception (CSEX_COD: not required, refused), 15 months -> exception
  7. registered in the last 3 months                                      -> exception
  8. everyone else                                                       -> denominator
"""

from simulator.qof.engines import IndicatorCounts

from .builders import HYSTERECTOMY, SMEAR, SMEAR_EXCEPTED, ctv3, ev, patient, step


def woman(*events, dob="1975-06-01", **kw):
    return patient(*events, dob=dob, sex="F", **kw)


def test_screened_in_5_years_is_in_numerator(engine):
    assert engine.outcome("CS01", woman(ev(SMEAR, "2010-06-01"))) == "numerator"


def test_smear_on_first_day_of_60_month_window_counts_one_day_earlier_does_not(engine):
    assert engine.outcomes("CS01", woman(ev(SMEAR, "2008-04-01")), woman(ev(SMEAR, "2008-03-31"))) == [
        "numerator", "denominator"]


def test_men_are_not_in_the_population(engine):
    assert engine.outcome("CS01", patient(ev(SMEAR, "2010-06-01"), dob="1975-06-01", sex="M")) == "reject"


def test_aged_25_to_64_on_the_achievement_date(engine):
    assert engine.outcomes("CS01", woman(dob="1988-03-31"), woman(dob="1988-04-01"), woman(dob="1948-04-01"),
                           woman(dob="1948-03-31")) == ["denominator", "reject", "denominator", "reject"]


def test_after_a_hysterectomy_not_in_the_population(engine):
    p = woman(ev(HYSTERECTOMY, "2005-01-01"))
    assert step("CS01", p) == ("reject", 4) and engine.outcome("CS01", p) == "reject"


def test_exception_and_new_registration_except(engine):
    assert engine.outcomes("CS01", woman(ev(SMEAR_EXCEPTED, "2012-06-01")), woman(registered="2013-01-01")) == [
        "exception", "exception"]


def test_tpp_ctv3_codes_counted(engine):
    assert engine.outcome("CS01", woman(ctv3(SMEAR, "2010-06-01"))) == "numerator"


def test_practice_counts(engine):
    pc = engine([woman(ev(SMEAR, "2010-06-01")), woman(), patient(sex="M"), woman(ev(SMEAR_EXCEPTED, "2012-06-01"))])
    assert pc.indicators["CS01"] == IndicatorCounts(numerator=1, denominator=2, exceptions=1)
