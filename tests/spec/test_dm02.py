"""DM02 — diabetes: BMI recorded in the preceding 15 months (a process indicator).

Rule (rules_2012_13.yaml, ``indicators.DM02``), first rule that fires decides:
  1. not on the diabetes register (DM)                                 -> reject
  2. a BMI (BMI_COD) from 1 Jan 2012 to 31 Mar 2013, whatever its value -> numerator
  3. diabetes exception code (DMEX_COD) in the same 15 months          -> exception
  4. registered at the practice in the last 3 months (from 1 Jan 2013)  -> exception
  5. earliest diabetes code in the last 3 months                      -> exception
  6. everyone else on the register                                   -> denominator
"""

from simulator.qof.engines import IndicatorCounts

from .builders import BMI, DM_EXCEPTED, ctv3, diabetic, ev, patient, step


def test_bmi_in_window_is_in_numerator_whatever_its_value(engine):
    assert engine.outcome("DM02", diabetic(ev(BMI, "2012-11-01", 41.5))) == "numerator"


def test_bmi_without_a_value_counts(engine):
    assert engine.outcome("DM02", diabetic(ev(BMI, "2012-11-01"))) == "numerator"


def test_bmi_on_first_day_of_15_month_window_counts(engine):
    assert engine.outcome("DM02", diabetic(ev(BMI, "2012-01-01", 27))) == "numerator"


def test_bmi_one_day_before_15_month_window_does_not_count(engine):
    assert engine.outcome("DM02", diabetic(ev(BMI, "2011-12-31", 27))) == "denominator"


def test_bmi_on_achievement_date_counts_and_the_day_after_does_not(engine):
    assert engine.outcomes("DM02", diabetic(ev(BMI, "2013-03-31", 27)), diabetic(ev(BMI, "2013-04-01", 27))) == [
        "numerator", "denominator"]


def test_exception_does_not_except_a_patient_with_a_bmi(engine):
    p = diabetic(ev(DM_EXCEPTED, "2013-01-01"), ev(BMI, "2012-05-01", 30))
    assert engine.outcome("DM02", p) == "numerator" and step("DM02", p) == ("numerator", 2)


def test_exception_code_in_window_excepts(engine):
    p = diabetic(ev(DM_EXCEPTED, "2012-01-01"))
    assert engine.outcome("DM02", p) == "exception" and step("DM02", p) == ("exception", 3)


def test_registered_within_3_months_is_excepted_one_day_earlier_is_not(engine):
    assert engine.outcomes("DM02", diabetic(registered="2013-01-01"), diabetic(registered="2012-12-31")) == [
        "exception", "denominator"]


def test_diagnosed_within_3_months_is_excepted_one_day_earlier_is_not(engine):
    new, older = diabetic(diagnosed="2013-01-01"), diabetic(diagnosed="2012-12-31")
    assert engine.outcomes("DM02", new, older) == ["exception", "denominator"]
    assert step("DM02", new) == ("exception", 5)


def test_not_on_the_register_not_counted(engine):
    assert engine.outcome("DM02", patient(ev(BMI, "2012-11-01", 27))) == "reject"


def test_tpp_ctv3_codes_counted(engine):
    assert engine.outcome("DM02", diabetic(ctv3(BMI, "2012-11-01", 27))) == "numerator"


def test_practice_counts(engine):
    pc = engine([diabetic(ev(BMI, "2012-11-01", 27)), diabetic(), diabetic(ev(DM_EXCEPTED, "2012-06-01")),
                 patient(ev(BMI, "2012-11-01", 27))])
    assert pc.indicators["DM02"] == IndicatorCounts(numerator=1, denominator=2, exceptions=1)
