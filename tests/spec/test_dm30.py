"""DM30 — diabetes: the last blood pressure in the preceding 15 months is 150/90 or less.

Rule (rules_2012_13.yaml, ``indicators.DM30``), first rule that fires decides:
  1. not on the diabetes register (DM)                                 -> reject
  2. latest BP reading (BP_COD) from 1 Jan 2012 to 31 Mar 2013 has systolic <= 150 and
     diastolic <= 90; several readings on that latest day: the lowest systolic and the
     lowest diastolic count (they may come from different readings)    -> numerator
  3. diabetes exception code (DMEX_COD) in the same 15 months           -> exception
  4. maximal tolerated antihypertensive therapy (MAXBP_COD), 15 months  -> exception
  5. registered at the practice in the last 9 months (from 1 Jul 2012)   -> exception
  6. earliest diabetes code in the last 9 months                       -> exception
  7. everyone else on the register                                    -> denominator
"""

from simulator.qof.engines import IndicatorCounts

from .builders import (BP, BP_CTV3, DM_EXCEPTED, MAX_BP_THERAPY, ctv3, diabetic, ev, step)


def test_bp_exactly_150_over_90_is_in_numerator(engine):
    assert engine.outcome("DM30", diabetic(ev(BP, "2012-11-01", 150, 90))) == "numerator"


def test_systolic_151_is_not_in_numerator(engine):
    assert engine.outcome("DM30", diabetic(ev(BP, "2012-11-01", 151, 70))) == "denominator"


def test_diastolic_91_is_not_in_numerator(engine):
    assert engine.outcome("DM30", diabetic(ev(BP, "2012-11-01", 120, 91))) == "denominator"


def test_bp_without_diastolic_is_not_in_numerator(engine):
    assert engine.outcome("DM30", diabetic(ev(BP, "2012-11-01", 120))) == "denominator"


def test_same_day_readings_lowest_systolic_and_lowest_diastolic_count(engine):
    p = diabetic(ev(BP, "2013-01-10", 160, 85), ev(BP, "2013-01-10", 145, 95))  # counts as 145/85
    assert engine.outcome("DM30", p) == "numerator"


def test_latest_reading_decides(engine):
    p = diabetic(ev(BP, "2012-03-01", 130, 80), ev(BP, "2013-03-01", 155, 80))
    assert engine.outcome("DM30", p) == "denominator"


def test_bp_on_first_day_of_15_month_window_counts(engine):
    assert engine.outcome("DM30", diabetic(ev(BP, "2012-01-01", 130, 80))) == "numerator"


def test_bp_one_day_before_15_month_window_does_not_count(engine):
    assert engine.outcome("DM30", diabetic(ev(BP, "2011-12-31", 130, 80))) == "denominator"


def test_future_dated_event_ignored(engine):
    p = diabetic(ev(BP, "2012-12-01", 130, 80), ev(BP, "2013-04-01", 170, 100))
    assert engine.outcome("DM30", p) == "numerator"


def test_tpp_ctv3_codes_counted(engine):
    assert engine.outcome("DM30", diabetic(ctv3(BP_CTV3, "2012-12-01", 130, 80))) == "numerator"


def test_exception_code_does_not_except_a_patient_in_numerator(engine):
    p = diabetic(ev(BP, "2012-12-01", 130, 80), ev(DM_EXCEPTED, "2012-12-01"), ev(MAX_BP_THERAPY, "2012-12-01"))
    assert engine.outcome("DM30", p) == "numerator"


def test_maximal_therapy_excepts(engine):
    p = diabetic(ev(BP, "2012-12-01", 160, 80), ev(MAX_BP_THERAPY, "2012-01-01"))
    assert step("DM30", p) == ("exception", 4)
    assert engine.outcome("DM30", p) == "exception"


def test_maximal_therapy_before_window_does_not_except(engine):
    p = diabetic(ev(BP, "2012-12-01", 160, 80), ev(MAX_BP_THERAPY, "2011-12-31"))
    assert engine.outcome("DM30", p) == "denominator"


def test_registered_within_9_months_is_excepted(engine):
    p = diabetic(registered="2012-09-01")
    assert step("DM30", p) == ("exception", 5)
    assert engine.outcome("DM30", p) == "exception"


def test_diagnosed_within_9_months_is_excepted(engine):
    p = diabetic(diagnosed="2013-03-31")
    assert step("DM30", p) == ("exception", 6)
    assert engine.outcome("DM30", p) == "exception"


def test_practice_counts(engine):
    pc = engine([
        diabetic(ev(BP, "2013-01-01", 150, 90)),
        diabetic(ev(BP, "2013-01-01", 150, 90.5)),
        diabetic(ev(BP, "2013-01-01", 170, 95), ev(DM_EXCEPTED, "2013-02-01")),
        diabetic(ev(MAX_BP_THERAPY, "2013-02-01")),
    ])
    assert pc.indicators["DM30"] == IndicatorCounts(numerator=1, denominator=2, exceptions=2)
