"""DEM02 — dementia: care reviewed face to face in the preceding 15 months.

Rule (rules_2012_13.yaml, ``indicators.DEM02``), first rule that fires decides:
  1. not on the dementia register                                    -> reject
  2. dementia review (DEMREV_COD) from 1 Jan 2012 to 31 Mar 2013      -> numerator
  3. dementia exception code (DEMEX_COD) in the same 15 months       -> exception
  4. registered in the last 3 months                                -> exception
  5. earliest dementia code in the last 3 months                    -> exception
  6. everyone else on the register                                 -> denominator
"""

from simulator.qof.engines import IndicatorCounts

from .builders import DEM_EXCEPTED, DEMENTIA_REVIEW, dementia_patient, ev


def test_review_on_first_day_of_window_counts_one_day_earlier_does_not(engine):
    assert engine.outcomes("DEM02", dementia_patient(ev(DEMENTIA_REVIEW, "2012-01-01")),
                           dementia_patient(ev(DEMENTIA_REVIEW, "2011-12-31"))) == ["numerator", "denominator"]


def test_exceptions(engine):
    assert engine.outcomes("DEM02", dementia_patient(ev(DEM_EXCEPTED, "2012-06-01")), dementia_patient(registered="2013-01-01"),
                           dementia_patient(diagnosed="2013-01-01"), dementia_patient(diagnosed="2012-12-31")) == [
        "exception", "exception", "exception", "denominator"]


def test_practice_counts(engine):
    pc = engine([dementia_patient(ev(DEMENTIA_REVIEW, "2012-06-01")), dementia_patient(),
                 dementia_patient(ev(DEM_EXCEPTED, "2012-06-01"))])
    assert pc.indicators["DEM02"] == IndicatorCounts(numerator=1, denominator=2, exceptions=1)
