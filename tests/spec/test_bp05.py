"""BP05 — hypertension: the last blood pressure in the preceding 9 months is 150/90 or less.

Rule (rules_2012_13.yaml, ``indicators.BP05``), first rule that fires decides:
  1. not on the hypertension register (HYP)                           -> reject
  2. latest BP reading (BP_COD) from 1 Jul 2012 to 31 Mar 2013 has systolic <= 150 and
     diastolic <= 90; same-day readings: lowest systolic, lowest diastolic -> numerator
  3. hypertension exception code (HYPEX_COD) in the same 9 months      -> exception
  4. maximal tolerated antihypertensive therapy (MAXBP_COD), 9 months  -> exception
  5. BP procedure refused (BPDEC_COD) in the same 9 months             -> exception
  6. registered at the practice in the last 9 months (from 1 Jul 2012)  -> exception
  7. earliest hypertension code in the last 9 months                  -> exception
  8. everyone else on the register                                   -> denominator
"""

from simulator.qof.engines import IndicatorCounts

from .builders import (BP, BP_CTV3, BP_REFUSED, HYP_EXCEPTED, MAX_BP_THERAPY, ctv3, ev, hypertensive, step)


def test_bp_exactly_150_over_90_is_in_numerator(engine):
    assert engine.outcome("BP05", hypertensive(ev(BP, "2012-11-01", 150, 90))) == "numerator"


def test_systolic_151_is_not_in_numerator(engine):
    assert engine.outcome("BP05", hypertensive(ev(BP, "2012-11-01", 151, 90))) == "denominator"


def test_diastolic_91_is_not_in_numerator(engine):
    assert engine.outcome("BP05", hypertensive(ev(BP, "2012-11-01", 150, 91))) == "denominator"


def test_bp_on_first_day_of_9_month_window_counts(engine):
    assert engine.outcome("BP05", hypertensive(ev(BP, "2012-07-01", 130, 80))) == "numerator"


def test_bp_one_day_before_9_month_window_does_not_count(engine):
    assert engine.outcome("BP05", hypertensive(ev(BP, "2012-06-30", 130, 80))) == "denominator"


def test_same_day_readings_lowest_counts(engine):
    p = hypertensive(ev(BP, "2013-03-31", 170, 95), ev(BP, "2013-03-31", 148, 88))
    assert engine.outcome("BP05", p) == "numerator"


def test_latest_reading_decides_an_earlier_good_one_does_not_count(engine):
    p = hypertensive(ev(BP, "2012-08-01", 130, 80), ev(BP, "2013-03-01", 160, 80))
    assert engine.outcome("BP05", p) == "denominator"


def test_future_dated_event_ignored(engine):
    p = hypertensive(ev(BP, "2013-03-01", 160, 80), ev(BP, "2013-04-01", 130, 80))
    assert engine.outcome("BP05", p) == "denominator"


def test_tpp_ctv3_codes_counted(engine):
    assert engine.outcome("BP05", hypertensive(ctv3(BP_CTV3, "2013-03-01", 140, 85))) == "numerator"


def test_exception_code_does_not_except_a_patient_in_numerator(engine):
    p = hypertensive(ev(BP, "2013-03-01", 140, 85), ev(HYP_EXCEPTED, "2013-01-01"), registered="2013-01-01")
    assert step("BP05", p) == ("numerator", 2)
    assert engine.outcome("BP05", p) == "numerator"


def test_exception_code_excepts_a_patient_above_target(engine):
    p = hypertensive(ev(BP, "2013-03-01", 160, 85), ev(HYP_EXCEPTED, "2013-01-01"))
    assert step("BP05", p) == ("exception", 3)
    assert engine.outcome("BP05", p) == "exception"


def test_maximal_therapy_excepts(engine):
    p = hypertensive(ev(BP, "2013-03-01", 160, 85), ev(MAX_BP_THERAPY, "2012-07-01"))
    assert step("BP05", p) == ("exception", 4)
    assert engine.outcome("BP05", p) == "exception"


def test_maximal_therapy_before_9_month_window_does_not_except(engine):
    p = hypertensive(ev(BP, "2013-03-01", 160, 85), ev(MAX_BP_THERAPY, "2012-06-30"))
    assert engine.outcome("BP05", p) == "denominator"


def test_bp_refused_excepts(engine):
    p = hypertensive(ev(BP_REFUSED, "2012-10-01"))
    assert step("BP05", p) == ("exception", 5)
    assert engine.outcome("BP05", p) == "exception"


def test_registered_within_9_months_is_excepted(engine):
    p = hypertensive(registered="2012-07-01")
    assert step("BP05", p) == ("exception", 6)
    assert engine.outcome("BP05", p) == "exception"


def test_registered_one_day_before_9_month_window_is_not_excepted(engine):
    assert engine.outcome("BP05", hypertensive(registered="2012-06-30")) == "denominator"


def test_diagnosed_within_9_months_is_excepted(engine):
    p = hypertensive(diagnosed="2012-07-01")
    assert step("BP05", p) == ("exception", 7)
    assert engine.outcome("BP05", p) == "exception"


def test_diagnosed_one_day_before_9_month_window_is_not_excepted(engine):
    assert engine.outcome("BP05", hypertensive(diagnosed="2012-06-30")) == "denominator"


def test_practice_counts(engine):
    pc = engine([
        hypertensive(ev(BP, "2013-02-01", 150, 90)),
        hypertensive(ev(BP, "2013-02-01", 151, 90)),
        hypertensive(ev(BP, "2012-05-01", 120, 70)),
        hypertensive(ev(MAX_BP_THERAPY, "2013-02-01")),
        hypertensive(left="2013-01-31"),
    ])
    assert pc.indicators["BP05"] == IndicatorCounts(numerator=1, denominator=3, exceptions=1)
