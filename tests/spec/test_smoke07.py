"""SMOKE07 — smoking status recorded in the preceding 27 months, for every patient aged 15+.

Rule (rules_2012_13.yaml, ``indicators.SMOKE07``), first rule that fires decides:
  1. aged under 15 on the achievement date                            -> reject
  2. any smoking status (SMOK_COD current, EXSMOK_COD ex, NSMOK_COD never) from
     1 Jan 2011 to 31 Mar 2013                                          -> numerator
  3. everyone else                                                   -> denominator
The population is the whole list (no register); there are no exceptions.
"""

from simulator.qof.engines import IndicatorCounts

from .builders import EX_SMOKER, NEVER_SMOKED, SMOKER, ctv3, ev, patient, step


def test_current_smoker_status_is_in_numerator(engine):
    assert engine.outcome("SMOKE07", patient(ev(SMOKER, "2012-06-01"))) == "numerator"


def test_ex_smoker_status_is_in_numerator(engine):
    assert engine.outcome("SMOKE07", patient(ev(EX_SMOKER, "2012-06-01"))) == "numerator"


def test_never_smoked_status_is_in_numerator(engine):
    assert engine.outcome("SMOKE07", patient(ev(NEVER_SMOKED, "2012-06-01"))) == "numerator"


def test_no_status_is_in_denominator(engine):
    p = patient()
    assert step("SMOKE07", p) == ("denominator", 3)
    assert engine.outcome("SMOKE07", p) == "denominator"


def test_status_on_first_day_of_27_month_window_counts(engine):
    assert engine.outcome("SMOKE07", patient(ev(NEVER_SMOKED, "2011-01-01"))) == "numerator"


def test_status_one_day_before_27_month_window_does_not_count(engine):
    assert engine.outcome("SMOKE07", patient(ev(NEVER_SMOKED, "2010-12-31"))) == "denominator"


def test_status_on_achievement_date_counts(engine):
    assert engine.outcome("SMOKE07", patient(ev(SMOKER, "2013-03-31"))) == "numerator"


def test_future_dated_event_ignored(engine):
    assert engine.outcome("SMOKE07", patient(ev(SMOKER, "2013-04-01"))) == "denominator"


def test_15th_birthday_on_achievement_date_is_counted(engine):
    assert engine.outcome("SMOKE07", patient(dob="1998-03-31")) == "denominator"


def test_aged_14_on_achievement_date_not_counted(engine):
    p = patient(ev(SMOKER, "2013-01-01"), dob="1998-04-01")
    assert step("SMOKE07", p) == ("reject", 1)
    assert engine.outcome("SMOKE07", p) == "reject"


def test_tpp_ctv3_codes_counted(engine):
    assert engine.outcome("SMOKE07", patient(ctv3(EX_SMOKER, "2012-01-01"))) == "numerator"


def test_left_practice_before_achievement_date_not_counted(engine):
    assert engine.outcome("SMOKE07", patient(ev(SMOKER, "2013-01-01"), left="2013-03-31")) == "reject"


def test_whole_list_is_the_population_and_nobody_is_excepted(engine):
    pc = engine([
        patient(ev(SMOKER, "2012-01-01")),
        patient(ev(NEVER_SMOKED, "2011-01-01"), ev(SMOKER, "2013-03-30")),  # counted once
        patient(ev(EX_SMOKER, "2010-06-01")),
        patient(),
        patient(dob="2005-01-01"),
    ])
    assert pc.indicators["SMOKE07"] == IndicatorCounts(numerator=2, denominator=4, exceptions=0)
