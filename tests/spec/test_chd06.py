"""CHD06 — CHD: the last blood pressure in the preceding 15 months is 150/90 or less.

Rule (rules_2012_13.yaml, ``indicators.CHD06``), first rule that fires decides:
  1. not on the CHD register                                           -> reject
  2. latest BP reading (BP_COD) from 1 Jan 2012 to 31 Mar 2013 has systolic <= 150 and
     diastolic <= 90; same-day readings: lowest systolic, lowest diastolic -> numerator
  3. CHD exception code (CHDEX_COD) in the same 15 months               -> exception
  4. maximal tolerated antihypertensive therapy (MAXBP_COD), 15 months  -> exception
  5. registered at the practice in the last 9 months (from 1 Jul 2012)   -> exception
  6. earliest CHD code in the last 9 months                            -> exception
  7. everyone else on the register                                    -> denominator
"""

from simulator.qof.engines import IndicatorCounts

from .builders import (BP, BP_CTV3, CHD, CHD_EXCEPTED, DM_EXCEPTED, HYP_EXCEPTED, MAX_BP_THERAPY,
                       chd_patient, ctv3, ev, patient, step)


def test_bp_exactly_150_over_90_is_in_numerator(engine):
    assert engine.outcome("CHD06", chd_patient(ev(BP, "2012-11-01", 150, 90))) == "numerator"


def test_systolic_151_is_not_in_numerator(engine):
    assert engine.outcome("CHD06", chd_patient(ev(BP, "2012-11-01", 151, 60))) == "denominator"


def test_diastolic_91_is_not_in_numerator(engine):
    assert engine.outcome("CHD06", chd_patient(ev(BP, "2012-11-01", 120, 91))) == "denominator"


def test_bp_on_first_day_of_15_month_window_counts(engine):
    assert engine.outcome("CHD06", chd_patient(ev(BP, "2012-01-01", 130, 80))) == "numerator"


def test_bp_one_day_before_15_month_window_does_not_count(engine):
    assert engine.outcome("CHD06", chd_patient(ev(BP, "2011-12-31", 130, 80))) == "denominator"


def test_same_day_readings_lowest_counts(engine):
    p = chd_patient(ev(BP, "2012-06-01", 155, 80), ev(BP, "2012-06-01", 150, 92))  # counts as 150/80
    assert engine.outcome("CHD06", p) == "numerator"


def test_tpp_ctv3_codes_counted(engine):
    assert engine.outcome("CHD06", chd_patient(ctv3(BP_CTV3, "2013-03-31", 130, 80))) == "numerator"


def test_chd_exception_code_excepts(engine):
    p = chd_patient(ev(CHD_EXCEPTED, "2012-01-01"))
    assert step("CHD06", p) == ("exception", 3)
    assert engine.outcome("CHD06", p) == "exception"


def test_exception_code_of_another_area_does_not_except(engine):
    p = chd_patient(ev(DM_EXCEPTED, "2013-01-01"), ev(HYP_EXCEPTED, "2013-01-01"))
    assert engine.outcome("CHD06", p) == "denominator"


def test_exception_code_does_not_except_a_patient_in_numerator(engine):
    p = chd_patient(ev(BP, "2012-11-01", 120, 70), ev(CHD_EXCEPTED, "2012-11-01"))
    assert engine.outcome("CHD06", p) == "numerator"


def test_maximal_therapy_excepts(engine):
    p = chd_patient(ev(BP, "2012-11-01", 160, 70), ev(MAX_BP_THERAPY, "2012-11-01"))
    assert step("CHD06", p) == ("exception", 4)
    assert engine.outcome("CHD06", p) == "exception"


def test_registered_within_9_months_is_excepted(engine):
    assert engine.outcome("CHD06", chd_patient(registered="2012-07-01")) == "exception"


def test_diagnosed_within_9_months_is_excepted(engine):
    p = patient(ev(CHD, "2012-07-01"))
    assert step("CHD06", p) == ("exception", 6)
    assert engine.outcome("CHD06", p) == "exception"


def test_diagnosed_one_day_before_9_month_window_is_not_excepted(engine):
    assert engine.outcome("CHD06", patient(ev(CHD, "2012-06-30"))) == "denominator"


def test_practice_counts(engine):
    pc = engine([
        chd_patient(ev(BP, "2013-01-01", 150, 90)),
        chd_patient(ev(BP, "2013-01-01", 150, 95)),
        chd_patient(ev(CHD_EXCEPTED, "2013-01-01")),
        patient(ev(BP, "2013-01-01", 120, 70)),
    ])
    assert pc.indicators["CHD06"] == IndicatorCounts(numerator=1, denominator=2, exceptions=1)
