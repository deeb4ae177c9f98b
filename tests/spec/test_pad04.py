"""PAD04 — PAD: last total cholesterol (preceding 15 months) 5 mmol/l or less (an outcome).

Rule (rules_2012_13.yaml, ``indicators.PAD04``), first rule that fires decides:
  1. not on the PAD register                                          -> reject
  2. the latest cholesterol from 1 Jan 2012 is <= 5 (same day: lowest)  -> numerator
  3. PAD exception code (PADEX_COD), 15 months                        -> exception
  4. registered in the last 9 months                                 -> exception
  5. earliest PAD code in the last 9 months                          -> exception
  6. everyone else                                                  -> denominator
"""

from .builders import TOTAL_CHOL, ev, pad_patient


def test_5_is_in_numerator_5_point_1_is_not(engine):
    assert engine.outcomes("PAD04", pad_patient(ev(TOTAL_CHOL, "2012-06-01", 5)), pad_patient(ev(TOTAL_CHOL, "2012-06-01", 5.1))) == [
        "numerator", "denominator"]


def test_the_latest_reading_decides(engine):
    assert engine.outcome("PAD04", pad_patient(ev(TOTAL_CHOL, "2012-02-01", 4), ev(TOTAL_CHOL, "2013-01-01", 5.5))) == "denominator"


def test_9_month_exceptions(engine):
    assert engine.outcomes("PAD04", pad_patient(registered="2012-07-01"), pad_patient(registered="2012-06-30")) == [
        "exception", "denominator"]
