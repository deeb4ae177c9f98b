"""STROKE06 — stroke/TIA: last blood pressure (preceding 15 months) 150/90 or less (an outcome).

Rule (rules_2012_13.yaml, ``indicators.STROKE06``), first rule that fires decides:
  1. not on the stroke/TIA register                                          -> reject
  2. the latest BP from 1 Jan 2012 is <= 150/90 (same day: the lowest of each) -> numerator
  3. stroke exception code (STIAEX_COD) in the same 15 months                -> exception
  4. maximal tolerated antihypertensive therapy (MAXBP_COD), 15 months       -> exception
  5. registered in the last 9 months                                        -> exception
  6. earliest stroke/TIA code in the last 9 months                          -> exception
  7. everyone else on the register                                         -> denominator
"""

from .builders import BP, MAX_BP_THERAPY, STROKE_EXCEPTED, ev, stroke_patient, step


def test_150_over_90_is_in_numerator_151_or_91_is_not(engine):
    assert engine.outcomes("STROKE06", stroke_patient(ev(BP, "2012-10-01", 150, 90)),
                           stroke_patient(ev(BP, "2012-10-01", 151, 90)), stroke_patient(ev(BP, "2012-10-01", 150, 91))) == [
        "numerator", "denominator", "denominator"]


def test_reading_one_day_before_window_does_not_count(engine):
    assert engine.outcome("STROKE06", stroke_patient(ev(BP, "2011-12-31", 120, 70))) == "denominator"


def test_exceptions_in_order(engine):
    assert step("STROKE06", stroke_patient(ev(STROKE_EXCEPTED, "2012-02-01"))) == ("exception", 3)
    assert step("STROKE06", stroke_patient(ev(MAX_BP_THERAPY, "2012-02-01"))) == ("exception", 4)
    assert engine.outcomes("STROKE06", stroke_patient(registered="2012-07-01"), stroke_patient(diagnosed="2012-07-01"),
                           stroke_patient(diagnosed="2012-06-30")) == ["exception", "exception", "denominator"]
