"""SMOKE05 — patients with CHD, PAD, stroke/TIA, hypertension, diabetes, COPD, CKD, asthma or psychoses:
smoking status recorded in the preceding 15 months (never-smokers: once since diagnosis).

Rule (rules_2012_13.yaml, ``indicators.SMOKE05``), first rule that fires decides:
  1. on none of those nine registers                                             -> reject
  2. any smoking status (current, ex, never) from 1 Jan 2012 (15 months)          -> numerator
  3. the latest status on record is never-smoked and a never-smoked code is dated on
     or after the earliest diagnosis of those conditions                           -> numerator
  4. smoking exception code (SMOKEX_COD), 15 months                              -> exception
  5. registered in the last 3 months                                            -> exception
  6. everyone else                                                             -> denominator
"""

from simulator.qof.engines import IndicatorCounts

from .builders import (EX_SMOKER, NEVER_SMOKED, SMOKER, SMOKING_EXCEPTED, af_patient, asthmatic, chd_patient, copd_patient,
                       diabetic, ev, hypertensive, patient, step)


def test_each_register_brings_patients_in(engine):
    assert engine.outcomes("SMOKE05", chd_patient(), hypertensive(), diabetic(), copd_patient(), asthmatic()) == [
        "denominator"] * 5


def test_other_registers_do_not(engine):
    assert engine.outcomes("SMOKE05", af_patient(), patient()) == ["reject", "reject"]


def test_status_on_first_day_of_15_month_window_counts_one_day_earlier_does_not(engine):
    assert engine.outcomes("SMOKE05", diabetic(ev(SMOKER, "2012-01-01")), diabetic(ev(SMOKER, "2011-12-31"))) == [
        "numerator", "denominator"]


def test_never_smoker_recorded_once_since_diagnosis_counts(engine):
    p = diabetic(ev(NEVER_SMOKED, "2006-01-01"), diagnosed="2005-06-01")
    assert engine.outcome("SMOKE05", p) == "numerator" and step("SMOKE05", p) == ("numerator", 3)


def test_never_smoked_recorded_on_the_day_of_diagnosis_counts_the_day_before_does_not(engine):
    assert engine.outcomes("SMOKE05", diabetic(ev(NEVER_SMOKED, "2005-06-01")), diabetic(ev(NEVER_SMOKED, "2005-05-31"))) == [
        "numerator", "denominator"]


def test_an_old_never_smoked_code_does_not_count_once_a_later_status_says_otherwise(engine):
    assert engine.outcome("SMOKE05", diabetic(ev(NEVER_SMOKED, "2006-01-01"), ev(EX_SMOKER, "2009-01-01"))) == "denominator"


def test_exceptions(engine):
    assert engine.outcomes("SMOKE05", diabetic(ev(SMOKING_EXCEPTED, "2012-06-01")), diabetic(registered="2013-01-01")) == [
        "exception", "exception"]


def test_a_patient_on_several_registers_counts_once(engine):
    pc = engine([diabetic(ev("G20..", "2001-01-01"), ev(SMOKER, "2012-06-01")), hypertensive()])
    assert pc.indicators["SMOKE05"] == IndicatorCounts(numerator=1, denominator=2, exceptions=0)
