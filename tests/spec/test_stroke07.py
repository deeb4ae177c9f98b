"""STROKE07 — stroke/TIA: total cholesterol recorded in the preceding 15 months.

Rule (rules_2012_13.yaml, ``indicators.STROKE07``), first rule that fires decides:
  1. not on the stroke/TIA register                                    -> reject
  2. a cholesterol (CHOL_COD) from 1 Jan 2012, whatever its value       -> numerator
  3. stroke exception code (STIAEX_COD) in the same 15 months          -> exception
  4. registered in the last 3 months                                  -> exception
  5. earliest stroke/TIA code in the last 3 months                    -> exception
  6. everyone else on the register                                   -> denominator
"""

from .builders import STROKE_EXCEPTED, TIA, TOTAL_CHOL, ev, patient, stroke_patient


def test_any_cholesterol_in_window_counts_one_day_earlier_does_not(engine):
    assert engine.outcomes("STROKE07", stroke_patient(ev(TOTAL_CHOL, "2012-01-01", 7.2)),
                           stroke_patient(ev(TOTAL_CHOL, "2011-12-31", 4.0))) == ["numerator", "denominator"]


def test_tia_patients_are_in_the_population(engine):
    assert engine.outcome("STROKE07", patient(ev(TIA, "2010-01-01"), ev(TOTAL_CHOL, "2012-06-01", 4.0))) == "numerator"


def test_exceptions(engine):
    assert engine.outcomes("STROKE07", stroke_patient(ev(STROKE_EXCEPTED, "2012-06-01")),
                           stroke_patient(registered="2013-01-01"), stroke_patient(diagnosed="2013-01-01")) == ["exception"] * 3
