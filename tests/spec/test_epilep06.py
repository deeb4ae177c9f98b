"""EPILEP06 — epilepsy (18+, on drugs): seizure frequency recorded in the preceding 15 months.

Rule (rules_2012_13.yaml, ``indicators.EPILEP06``), first rule that fires decides:
  1. not on the epilepsy register                                       -> reject
  2. seizure frequency (SEIZFREQ_COD) from 1 Jan 2012                    -> numerator
  3. epilepsy exception code (EPILEX_COD), 15 months                    -> exception
  4. registered in the last 3 months                                   -> exception
  5. earliest epilepsy code in the last 3 months                       -> exception
  6. everyone else on the register                                    -> denominator
"""

from .builders import EPILEPSY_EXCEPTED, SEIZURE_FREQUENCY, epileptic, ev


def test_frequency_on_first_day_of_window_counts_one_day_earlier_does_not(engine):
    assert engine.outcomes("EPILEP06", epileptic(ev(SEIZURE_FREQUENCY, "2012-01-01")),
                           epileptic(ev(SEIZURE_FREQUENCY, "2011-12-31"))) == ["numerator", "denominator"]


def test_exceptions(engine):
    assert engine.outcomes("EPILEP06", epileptic(ev(EPILEPSY_EXCEPTED, "2012-06-01")), epileptic(registered="2013-01-01"),
                           epileptic(diagnosed="2013-01-01")) == ["exception"] * 3


def test_off_treatment_not_counted(engine):
    assert engine.outcome("EPILEP06", epileptic(ev(SEIZURE_FREQUENCY, "2012-06-01"), treated="2012-01-01")) == "reject"
