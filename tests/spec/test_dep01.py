"""DEP01 — diabetes or CHD: case finding for depression (two questions) in the preceding 15 months.

Rule (rules_2012_13.yaml, ``indicators.DEP01``), first rule that fires decides:
  1. on neither the diabetes (DM) nor the CHD register                     -> reject
  2. a depression diagnosis (DEP_COD) in the last 15 months                -> reject
  3. depression screening questions (DEPSCR_COD) from 1 Jan 2012            -> numerator
  4. depression exception code (DEPEX_COD), 15 months                      -> exception
  5. registered in the last 3 months                                      -> exception
  6. everyone else                                                       -> denominator
"""

from simulator.qof.engines import IndicatorCounts

from .builders import DEP_EXCEPTED, DEP_SCREEN, DEPRESSION, chd_patient, diabetic, ev, hypertensive, step


def test_diabetes_or_chd_screened_is_in_numerator(engine):
    assert engine.outcomes("DEP01", diabetic(ev(DEP_SCREEN, "2012-06-01")), chd_patient(ev(DEP_SCREEN, "2012-06-01"))) == [
        "numerator", "numerator"]


def test_other_registers_are_not_in_the_population(engine):
    assert engine.outcome("DEP01", hypertensive(ev(DEP_SCREEN, "2012-06-01"))) == "reject"


def test_screening_on_first_day_of_window_counts_one_day_earlier_does_not(engine):
    assert engine.outcomes("DEP01", diabetic(ev(DEP_SCREEN, "2012-01-01")), diabetic(ev(DEP_SCREEN, "2011-12-31"))) == [
        "numerator", "denominator"]


def test_a_depression_diagnosis_in_15_months_takes_the_patient_out(engine):
    p = diabetic(ev(DEPRESSION, "2012-05-01"), ev(DEP_SCREEN, "2012-06-01"))
    assert step("DEP01", p) == ("reject", 2) and engine.outcome("DEP01", p) == "reject"
    assert engine.outcome("DEP01", diabetic(ev(DEPRESSION, "2011-12-31"))) == "denominator"


def test_exceptions(engine):
    assert engine.outcomes("DEP01", diabetic(ev(DEP_EXCEPTED, "2012-06-01")), chd_patient(registered="2013-01-01")) == [
        "exception", "exception"]


def test_a_patient_with_both_conditions_counts_once(engine):
    pc = engine([diabetic(ev("G3...", "2001-01-01"), ev(DEP_SCREEN, "2012-06-01")), diabetic()])
    assert pc.indicators["DEP01"] == IndicatorCounts(numerator=1, denominator=2, exceptions=0)
