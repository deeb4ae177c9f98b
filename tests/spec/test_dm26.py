"""DM26 — diabetes: the last IFCC HbA1c in the preceding 15 months is 59 mmol/mol or less.

Rule (rules_2012_13.yaml, ``indicators.DM26``), first rule that fires decides:
  1. not on the diabetes register (DM)                               -> reject
  2. latest HbA1c (IFCCHBAM_COD) from 1 Jan 2012 to 31 Mar 2013 is <= 59;
     several readings on that latest day: the lowest counts          -> numerator
  3. diabetes exception code (DMEX_COD) in the same 15 months         -> exception
  4. registered at the practice in the last 9 months (from 1 Jul 2012) -> exception
  5. earliest diabetes code in the last 9 months (newly diagnosed)    -> exception
  6. everyone else on the register                                  -> denominator
A patient in the numerator is never excepted (rule 2 comes before rules 3-5).
"""

from simulator.qof.engines import IndicatorCounts

from .builders import (DM, DM_EXCEPTED, HBA1C, HBA1C_CTV3, ctv3, diabetic, ev, patient, step)


def test_value_exactly_59_is_in_numerator(engine):
    assert engine.outcome("DM26", diabetic(ev(HBA1C, "2012-11-01", 59))) == "numerator"


def test_value_59_point_1_is_not(engine):
    assert engine.outcome("DM26", diabetic(ev(HBA1C, "2012-11-01", 59.1))) == "denominator"


def test_hba1c_taken_on_achievement_date_counts(engine):
    assert engine.outcome("DM26", diabetic(ev(HBA1C, "2013-03-31", 48))) == "numerator"


def test_hba1c_on_first_day_of_15_month_window_counts(engine):
    assert engine.outcome("DM26", diabetic(ev(HBA1C, "2012-01-01", 48))) == "numerator"


def test_hba1c_one_day_before_15_month_window_does_not_count(engine):
    assert engine.outcome("DM26", diabetic(ev(HBA1C, "2011-12-31", 48))) == "denominator"


def test_future_dated_event_ignored(engine):
    p = diabetic(ev(HBA1C, "2012-10-01", 80), ev(HBA1C, "2013-04-01", 48))
    assert engine.outcome("DM26", p) == "denominator"


def test_latest_reading_decides_not_the_best(engine):
    p = diabetic(ev(HBA1C, "2012-05-01", 48), ev(HBA1C, "2013-02-01", 70))
    assert engine.outcome("DM26", p) == "denominator"


def test_good_latest_reading_after_a_bad_one_counts(engine):
    p = diabetic(ev(HBA1C, "2012-05-01", 70), ev(HBA1C, "2013-02-01", 52))
    assert engine.outcome("DM26", p) == "numerator"


def test_same_day_readings_lowest_counts(engine):
    p = diabetic(ev(HBA1C, "2013-02-01", 70), ev(HBA1C, "2013-02-01", 58))
    assert engine.outcome("DM26", p) == "numerator"


def test_hba1c_without_a_value_does_not_count(engine):
    assert engine.outcome("DM26", diabetic(ev(HBA1C, "2013-02-01"))) == "denominator"


def test_tpp_ctv3_codes_counted(engine):
    assert engine.outcome("DM26", diabetic(ctv3(HBA1C_CTV3, "2013-02-01", 50))) == "numerator"


def test_exception_code_does_not_except_a_patient_in_numerator(engine):
    p = diabetic(ev(DM_EXCEPTED, "2013-01-01"), ev(HBA1C, "2013-02-01", 50))
    assert engine.outcome("DM26", p) == "numerator"
    assert step("DM26", p) == ("numerator", 2)


def test_exception_code_in_window_excepts(engine):
    p = diabetic(ev(DM_EXCEPTED, "2012-01-01"), ev(HBA1C, "2013-02-01", 75))
    assert engine.outcome("DM26", p) == "exception"
    assert step("DM26", p) == ("exception", 3)


def test_exception_code_before_window_does_not_except(engine):
    assert engine.outcome("DM26", diabetic(ev(DM_EXCEPTED, "2011-12-31"))) == "denominator"


def test_registered_within_9_months_is_excepted(engine):
    p = diabetic(registered="2012-07-01")
    assert engine.outcome("DM26", p) == "exception"
    assert step("DM26", p) == ("exception", 4)


def test_registered_one_day_before_9_month_window_is_not_excepted(engine):
    assert engine.outcome("DM26", diabetic(registered="2012-06-30")) == "denominator"


def test_newly_registered_patient_with_good_hba1c_is_in_numerator(engine):
    p = diabetic(ev(HBA1C, "2013-03-01", 50), registered="2013-01-15")
    assert engine.outcome("DM26", p) == "numerator"


def test_diagnosed_within_9_months_is_excepted(engine):
    p = diabetic(diagnosed="2012-07-01")
    assert engine.outcome("DM26", p) == "exception"
    assert step("DM26", p) == ("exception", 5)


def test_diagnosed_one_day_before_9_month_window_is_not_excepted(engine):
    assert engine.outcome("DM26", diabetic(diagnosed="2012-06-30")) == "denominator"


def test_only_the_earliest_diagnosis_code_makes_a_patient_new(engine):
    p = diabetic(ev(DM, "2012-09-01"), diagnosed="2008-01-01")
    assert engine.outcome("DM26", p) == "denominator"
    assert step("DM26", p) == ("denominator", 6)


def test_not_on_register_not_in_indicator(engine):
    assert engine.outcome("DM26", patient(ev(HBA1C, "2013-02-01", 50))) == "reject"
    assert engine.outcome("DM26", diabetic(ev(HBA1C, "2013-02-01", 50), dob="1996-04-01")) == "reject"


def test_left_practice_before_achievement_date_not_counted(engine):
    assert engine.outcome("DM26", diabetic(ev(HBA1C, "2013-02-01", 50), left="2013-03-31")) == "reject"


def test_practice_counts_denominator_excludes_exceptions(engine):
    pc = engine([
        diabetic(ev(HBA1C, "2013-02-01", 59)),                  # numerator
        diabetic(ev(HBA1C, "2013-02-01", 48), ev(DM_EXCEPTED, "2013-01-01")),  # numerator
        diabetic(ev(HBA1C, "2013-02-01", 60)),                  # denominator
        diabetic(ev(DM_EXCEPTED, "2012-06-01")),                # exception
        diabetic(registered="2013-01-01"),                      # exception
        patient(ev(HBA1C, "2013-02-01", 50)),                   # not diabetic
    ])
    assert pc.indicators["DM26"] == IndicatorCounts(numerator=2, denominator=3, exceptions=2)
