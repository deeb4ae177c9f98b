"""BP04 — hypertension: a blood pressure recorded in the preceding 9 months (a process indicator).

Rule (rules_2012_13.yaml, ``indicators.BP04``), first rule that fires decides:
  1. not on the hypertension register (HYP)                           -> reject
  2. any BP reading (BP_COD) from 1 Jul 2012 to 31 Mar 2013, whatever its value
                                                                     -> numerator
  3. hypertension exception code (HYPEX_COD) in the same 9 months      -> exception
  4. BP procedure refused (BPDEC_COD) in the same 9 months             -> exception
  5. registered at the practice in the last 3 months (from 1 Jan 2013)  -> exception
  6. earliest hypertension code in the last 3 months                  -> exception
  7. everyone else on the register                                   -> denominator
"""

from simulator.qof.engines import IndicatorCounts

from .builders import (BP, BP_CTV3, BP_REFUSED, HYP, HYP_EXCEPTED, HYP_RESOLVED, ctv3, ev,
                       hypertensive, patient, step)


def test_any_bp_reading_is_in_numerator_whatever_its_value(engine):
    assert engine.outcome("BP04", hypertensive(ev(BP, "2012-11-01", 190, 115))) == "numerator"


def test_bp_code_without_a_value_is_in_numerator(engine):
    assert engine.outcome("BP04", hypertensive(ev(BP, "2012-11-01"))) == "numerator"


def test_bp_on_first_day_of_9_month_window_counts(engine):
    assert engine.outcome("BP04", hypertensive(ev(BP, "2012-07-01", 130, 80))) == "numerator"


def test_bp_one_day_before_9_month_window_does_not_count(engine):
    assert engine.outcome("BP04", hypertensive(ev(BP, "2012-06-30", 130, 80))) == "denominator"


def test_bp_taken_on_achievement_date_counts(engine):
    assert engine.outcome("BP04", hypertensive(ev(BP, "2013-03-31", 130, 80))) == "numerator"


def test_future_dated_event_ignored(engine):
    assert engine.outcome("BP04", hypertensive(ev(BP, "2013-04-01", 130, 80))) == "denominator"


def test_tpp_ctv3_codes_counted(engine):
    assert engine.outcome("BP04", hypertensive(ctv3(BP_CTV3, "2012-09-01", 130, 80))) == "numerator"


def test_exception_code_does_not_except_a_patient_in_numerator(engine):
    p = hypertensive(ev(BP, "2012-09-01", 130, 80), ev(HYP_EXCEPTED, "2012-09-01"))
    assert step("BP04", p) == ("numerator", 2)
    assert engine.outcome("BP04", p) == "numerator"


def test_exception_code_in_window_excepts(engine):
    p = hypertensive(ev(HYP_EXCEPTED, "2012-07-01"))
    assert step("BP04", p) == ("exception", 3)
    assert engine.outcome("BP04", p) == "exception"


def test_exception_code_before_window_does_not_except(engine):
    assert engine.outcome("BP04", hypertensive(ev(HYP_EXCEPTED, "2012-06-30"))) == "denominator"


def test_bp_refused_excepts(engine):
    p = hypertensive(ev(BP_REFUSED, "2013-02-01"))
    assert step("BP04", p) == ("exception", 4)
    assert engine.outcome("BP04", p) == "exception"


def test_registered_within_3_months_is_excepted(engine):
    p = hypertensive(registered="2013-01-01")
    assert step("BP04", p) == ("exception", 5)
    assert engine.outcome("BP04", p) == "exception"


def test_registered_one_day_before_3_month_window_is_not_excepted(engine):
    assert engine.outcome("BP04", hypertensive(registered="2012-12-31")) == "denominator"


def test_diagnosed_within_3_months_is_excepted(engine):
    p = hypertensive(diagnosed="2013-01-01")
    assert step("BP04", p) == ("exception", 6)
    assert engine.outcome("BP04", p) == "exception"


def test_diagnosed_one_day_before_3_month_window_is_not_excepted(engine):
    assert engine.outcome("BP04", hypertensive(diagnosed="2012-12-31")) == "denominator"


def test_later_hypertension_code_does_not_make_an_old_diagnosis_new(engine):
    assert engine.outcome("BP04", hypertensive(ev(HYP, "2013-02-01"), diagnosed="2009-01-01")) == "denominator"


def test_resolved_hypertension_is_not_in_the_indicator(engine):
    assert engine.outcome("BP04", hypertensive(ev(BP, "2013-02-01"), ev(HYP_RESOLVED, "2012-01-01"))) == "reject"


def test_left_practice_before_achievement_date_not_counted(engine):
    assert engine.outcome("BP04", hypertensive(ev(BP, "2013-02-01"), left="2013-02-02")) == "reject"


def test_practice_counts(engine):
    pc = engine([
        hypertensive(ev(BP, "2013-02-01", 170, 100)),   # numerator
        hypertensive(ev(BP, "2012-07-01")),             # numerator
        hypertensive(ev(BP, "2012-06-30")),             # denominator
        hypertensive(ev(BP_REFUSED, "2012-08-01")),     # exception
        hypertensive(registered="2013-03-31"),          # exception
        patient(ev(BP, "2013-02-01", 120, 70)),         # not hypertensive
    ])
    assert pc.indicators["BP04"] == IndicatorCounts(numerator=2, denominator=3, exceptions=2)
