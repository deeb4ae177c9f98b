"""DM17 — diabetes: last total cholesterol (preceding 15 months) 5 mmol/l or less (an outcome).

Rule (rules_2012_13.yaml, ``indicators.DM17``), first rule that fires decides:
  1. not on the diabetes register (DM)                                       -> reject
  2. the latest cholesterol (CHOL_COD) from 1 Jan 2012 to 31 Mar 2013 is <= 5;
     several readings that day: the lowest counts                             -> numerator
  3. diabetes exception code (DMEX_COD) in the same 15 months                 -> exception
  4. registered in the last 9 months (from 1 Jul 2012)                        -> exception
  5. earliest diabetes code in the last 9 months                            -> exception
  6. everyone else on the register                                          -> denominator
"""

from .builders import CHOL, DM_EXCEPTED, TOTAL_CHOL, TOTAL_CHOL_CTV3, ctv3, diabetic, ev, step


def test_cholesterol_exactly_5_is_in_numerator_5_point_1_is_not(engine):
    assert engine.outcomes("DM17", diabetic(ev(TOTAL_CHOL, "2012-10-01", 5.0)),
                           diabetic(ev(TOTAL_CHOL, "2012-10-01", 5.1))) == ["numerator", "denominator"]


def test_latest_reading_decides(engine):
    assert engine.outcomes("DM17", diabetic(ev(CHOL, "2012-03-01", 4.0), ev(CHOL, "2013-01-10", 6.2)),
                           diabetic(ev(CHOL, "2012-03-01", 6.2), ev(CHOL, "2013-01-10", 4.0))) == [
        "denominator", "numerator"]


def test_same_day_readings_lowest_counts(engine):
    assert engine.outcome("DM17", diabetic(ev(CHOL, "2013-01-10", 6.2), ev(CHOL, "2013-01-10", 4.9))) == "numerator"


def test_reading_on_first_day_of_window_counts_one_day_earlier_does_not(engine):
    assert engine.outcomes("DM17", diabetic(ev(CHOL, "2012-01-01", 4.0)), diabetic(ev(CHOL, "2011-12-31", 4.0))) == [
        "numerator", "denominator"]


def test_reading_without_a_value_does_not_count(engine):
    assert engine.outcome("DM17", diabetic(ev(CHOL, "2012-10-01"))) == "denominator"


def test_registered_within_9_months_excepted_one_day_earlier_not(engine):
    assert engine.outcomes("DM17", diabetic(registered="2012-07-01"), diabetic(registered="2012-06-30")) == [
        "exception", "denominator"]


def test_diagnosed_within_9_months_excepted(engine):
    p = diabetic(diagnosed="2012-07-01")
    assert step("DM17", p) == ("exception", 5) and engine.outcome("DM17", p) == "exception"


def test_exception_code_does_not_except_a_controlled_patient(engine):
    p = diabetic(ev(DM_EXCEPTED, "2012-05-01"), ev(CHOL, "2012-10-01", 4.5))
    assert engine.outcome("DM17", p) == "numerator"


def test_tpp_ctv3_codes_counted(engine):
    assert engine.outcome("DM17", diabetic(ctv3(TOTAL_CHOL_CTV3, "2012-10-01", 4.5))) == "numerator"
