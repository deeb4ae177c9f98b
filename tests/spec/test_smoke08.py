"""SMOKE08 — current smokers offered cessation support in the preceding 27 months.

Rule (rules_2012_13.yaml, ``indicators.SMOKE08``), first rule that fires decides:
  1. aged under 15 on the achievement date                            -> reject
  2. the latest smoking status (current/ex/never) from 1 Jan 2011 to 31 Mar 2013 is
     not "current smoker" (SMOK_COD) - or there is none               -> reject
     (several statuses on that latest day: a current-smoker code among them is enough)
  3. cessation support offered (CSSUP_COD) in the same 27 months        -> numerator
  4. everyone else (current smokers without support)                 -> denominator
There are no exceptions.
"""

from simulator.qof.engines import IndicatorCounts

from .builders import CESSATION_SUPPORT, EX_SMOKER, NEVER_SMOKED, SMOKER, ctv3, ev, patient, step


def test_current_smoker_offered_support_is_in_numerator(engine):
    p = patient(ev(SMOKER, "2012-05-01"), ev(CESSATION_SUPPORT, "2012-05-01"))
    assert step("SMOKE08", p) == ("numerator", 3)
    assert engine.outcome("SMOKE08", p) == "numerator"


def test_current_smoker_without_support_is_in_denominator(engine):
    p = patient(ev(SMOKER, "2012-05-01"))
    assert step("SMOKE08", p) == ("denominator", 4)
    assert engine.outcome("SMOKE08", p) == "denominator"


def test_latest_status_ex_smoker_is_not_in_population(engine):
    p = patient(ev(SMOKER, "2012-05-01"), ev(EX_SMOKER, "2013-01-01"), ev(CESSATION_SUPPORT, "2012-05-01"))
    assert step("SMOKE08", p) == ("reject", 2)
    assert engine.outcome("SMOKE08", p) == "reject"


def test_smoking_again_after_quitting_is_in_population(engine):
    p = patient(ev(EX_SMOKER, "2011-05-01"), ev(SMOKER, "2013-01-01"))
    assert engine.outcome("SMOKE08", p) == "denominator"


def test_smoker_and_never_smoked_on_the_same_day_counts_as_smoker(engine):
    p = patient(ev(NEVER_SMOKED, "2013-01-01"), ev(SMOKER, "2013-01-01"), ev(CESSATION_SUPPORT, "2013-01-01"))
    assert engine.outcome("SMOKE08", p) == "numerator"


def test_smoker_status_on_first_day_of_27_month_window_counts(engine):
    assert engine.outcome("SMOKE08", patient(ev(SMOKER, "2011-01-01"))) == "denominator"


def test_smoker_status_one_day_before_27_month_window_is_not_in_population(engine):
    assert engine.outcome("SMOKE08", patient(ev(SMOKER, "2010-12-31"))) == "reject"


def test_ex_smoker_status_before_the_window_does_not_hide_a_later_smoker_code(engine):
    assert engine.outcome("SMOKE08", patient(ev(SMOKER, "2011-02-01"), ev(EX_SMOKER, "2010-12-31"))) == "denominator"


def test_future_dated_event_ignored(engine):
    p = patient(ev(SMOKER, "2012-05-01"), ev(EX_SMOKER, "2013-04-01"), ev(CESSATION_SUPPORT, "2013-04-01"))
    assert engine.outcome("SMOKE08", p) == "denominator"


def test_support_one_day_before_27_month_window_does_not_count(engine):
    assert engine.outcome("SMOKE08", patient(ev(SMOKER, "2012-05-01"), ev(CESSATION_SUPPORT, "2010-12-31"))) == "denominator"


def test_support_on_first_day_of_27_month_window_counts(engine):
    assert engine.outcome("SMOKE08", patient(ev(SMOKER, "2012-05-01"), ev(CESSATION_SUPPORT, "2011-01-01"))) == "numerator"


def test_support_given_to_a_non_smoker_not_counted(engine):
    assert engine.outcome("SMOKE08", patient(ev(NEVER_SMOKED, "2012-05-01"), ev(CESSATION_SUPPORT, "2012-05-01"))) == "reject"


def test_aged_14_on_achievement_date_not_counted(engine):
    assert engine.outcome("SMOKE08", patient(ev(SMOKER, "2012-05-01"), dob="1998-04-01")) == "reject"


def test_15th_birthday_on_achievement_date_is_counted(engine):
    assert engine.outcome("SMOKE08", patient(ev(SMOKER, "2012-05-01"), dob="1998-03-31")) == "denominator"


def test_tpp_ctv3_codes_counted(engine):
    p = patient(ctv3(SMOKER, "2012-05-01"), ctv3(CESSATION_SUPPORT, "2012-06-01"))
    assert engine.outcome("SMOKE08", p) == "numerator"


def test_practice_counts(engine):
    pc = engine([
        patient(ev(SMOKER, "2012-05-01"), ev(CESSATION_SUPPORT, "2012-05-01")),
        patient(ev(SMOKER, "2012-05-01")),
        patient(ev(EX_SMOKER, "2012-05-01")),
        patient(),
    ])
    assert pc.indicators["SMOKE08"] == IndicatorCounts(numerator=1, denominator=2, exceptions=0)
