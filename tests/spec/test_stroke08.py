"""STROKE08 — stroke/TIA: last total cholesterol (preceding 15 months) 5 mmol/l or less (an outcome).

Rule (rules_2012_13.yaml, ``indicators.STROKE08``), first rule that fires decides:
  1. not on the stroke/TIA register                                         -> reject
  2. the latest cholesterol from 1 Jan 2012 is <= 5 (same day: the lowest)    -> numerator
  3. stroke exception code (STIAEX_COD) in the same 15 months               -> exception
  4. registered in the last 9 months                                       -> exception
  5. earliest stroke/TIA code in the last 9 months                         -> exception
  6. everyone else on the register                                        -> denominator
"""

from .builders import TOTAL_CHOL, ev, stroke_patient


def test_5_is_in_numerator_5_point_1_is_not(engine):
    assert engine.outcomes("STROKE08", stroke_patient(ev(TOTAL_CHOL, "2012-06-01", 5)),
                           stroke_patient(ev(TOTAL_CHOL, "2012-06-01", 5.1))) == ["numerator", "denominator"]


def test_latest_reading_decides_and_same_day_lowest_counts(engine):
    assert engine.outcomes("STROKE08", stroke_patient(ev(TOTAL_CHOL, "2012-02-01", 4), ev(TOTAL_CHOL, "2013-02-01", 6)),
                           stroke_patient(ev(TOTAL_CHOL, "2013-02-01", 6), ev(TOTAL_CHOL, "2013-02-01", 4.4))) == [
        "denominator", "numerator"]


def test_9_month_exceptions(engine):
    assert engine.outcomes("STROKE08", stroke_patient(registered="2012-07-01"), stroke_patient(diagnosed="2012-07-01"),
                           stroke_patient(registered="2012-06-30")) == ["exception", "exception", "denominator"]
