"""EPILEP08 — epilepsy (18+, on drugs): seizure-free for 12 months, recorded in the preceding 15 months.

Rule (rules_2012_13.yaml, ``indicators.EPILEP08``), first rule that fires decides:
  1. not on the epilepsy register                                       -> reject
  2. seizure free 12 months (SEIZFREE_COD) from 1 Jan 2012               -> numerator
  3. epilepsy exception code (EPILEX_COD), 15 months                    -> exception
  4. registered in the last 9 months (an outcome)                      -> exception
  5. earliest epilepsy code in the last 9 months                       -> exception
  6. everyone else on the register                                    -> denominator
"""

from .builders import SEIZURE_FREE, SEIZURE_FREQUENCY, epileptic, ev


def test_seizure_free_in_window_counts_one_day_earlier_does_not(engine):
    assert engine.outcomes("EPILEP08", epileptic(ev(SEIZURE_FREE, "2012-01-01")), epileptic(ev(SEIZURE_FREE, "2011-12-31"))) == [
        "numerator", "denominator"]


def test_a_frequency_record_is_not_seizure_freedom(engine):
    assert engine.outcome("EPILEP08", epileptic(ev(SEIZURE_FREQUENCY, "2012-06-01"))) == "denominator"


def test_9_month_exceptions(engine):
    assert engine.outcomes("EPILEP08", epileptic(registered="2012-07-01"), epileptic(registered="2012-06-30"),
                           epileptic(diagnosed="2012-07-01")) == ["exception", "denominator", "exception"]
