"""CHD08 — CHD: the last total cholesterol in the preceding 15 months is 5 mmol/l or less.

Rule (rules_2012_13.yaml, ``indicators.CHD08``), first rule that fires decides:
  1. not on the CHD register                                           -> reject
  2. latest cholesterol (CHOL_COD) from 1 Jan 2012 to 31 Mar 2013 is <= 5;
     several readings on that latest day: the lowest counts            -> numerator
  3. CHD exception code (CHDEX_COD) in the same 15 months               -> exception
  4. registered at the practice in the last 9 months (from 1 Jul 2012)   -> exception
  5. earliest CHD code in the last 9 months                            -> exception
  6. everyone else on the register                                    -> denominator
Maximal BP therapy plays no part here.
"""

from simulator.qof.engines import IndicatorCounts

from .builders import (CHD_EXCEPTED, CHOL, MAX_BP_THERAPY, TOTAL_CHOL, TOTAL_CHOL_CTV3, chd_patient, ctv3,
                       ev, step)


def test_value_exactly_5_is_in_numerator(engine):
    assert engine.outcome("CHD08", chd_patient(ev(CHOL, "2012-11-01", 5))) == "numerator"


def test_value_5_point_1_is_not_in_numerator(engine):
    assert engine.outcome("CHD08", chd_patient(ev(CHOL, "2012-11-01", 5.1))) == "denominator"


def test_total_cholesterol_code_is_in_the_cluster(engine):
    assert engine.outcome("CHD08", chd_patient(ev(TOTAL_CHOL, "2012-11-01", 4.2))) == "numerator"


def test_cholesterol_on_first_day_of_15_month_window_counts(engine):
    assert engine.outcome("CHD08", chd_patient(ev(CHOL, "2012-01-01", 4.2))) == "numerator"


def test_cholesterol_one_day_before_15_month_window_does_not_count(engine):
    assert engine.outcome("CHD08", chd_patient(ev(CHOL, "2011-12-31", 4.2))) == "denominator"


def test_future_dated_event_ignored(engine):
    p = chd_patient(ev(CHOL, "2012-11-01", 6.0), ev(CHOL, "2013-04-01", 4.0))
    assert engine.outcome("CHD08", p) == "denominator"


def test_same_day_readings_lowest_counts_across_both_codes(engine):
    p = chd_patient(ev(CHOL, "2013-02-01", 5.8), ev(TOTAL_CHOL, "2013-02-01", 4.9))
    assert engine.outcome("CHD08", p) == "numerator"


def test_tpp_ctv3_codes_counted(engine):
    assert engine.outcome("CHD08", chd_patient(ctv3(TOTAL_CHOL_CTV3, "2013-02-01", 4.9))) == "numerator"


def test_exception_code_does_not_except_a_patient_in_numerator(engine):
    p = chd_patient(ev(CHOL, "2013-02-01", 4.0), ev(CHD_EXCEPTED, "2013-02-01"))
    assert step("CHD08", p) == ("numerator", 2)
    assert engine.outcome("CHD08", p) == "numerator"


def test_maximal_bp_therapy_does_not_except(engine):
    assert engine.outcome("CHD08", chd_patient(ev(MAX_BP_THERAPY, "2013-02-01"))) == "denominator"


def test_registered_within_9_months_is_excepted(engine):
    p = chd_patient(registered="2012-12-01")
    assert step("CHD08", p) == ("exception", 4)
    assert engine.outcome("CHD08", p) == "exception"


def test_practice_counts(engine):
    pc = engine([
        chd_patient(ev(CHOL, "2013-01-01", 5)),
        chd_patient(ev(CHOL, "2013-01-01", 5.01)),
        chd_patient(diagnosed="2013-01-01"),
        chd_patient(ev(CHD_EXCEPTED, "2011-12-31")),
    ])
    assert pc.indicators["CHD08"] == IndicatorCounts(numerator=1, denominator=3, exceptions=1)
