"""COPD13 — COPD: review including breathlessness on the MRC dyspnoea scale in the preceding 15 months.

Rule (rules_2012_13.yaml, ``indicators.COPD13``), first rule that fires decides:
  1. not on the COPD register                                          -> reject
  2. an MRC dyspnoea grade (MRC_COD) from 1 Jan 2012 to 31 Mar 2013     -> numerator
  3. COPD exception code (COPDEX_COD) in the same 15 months            -> exception
  4. registered in the last 3 months                                  -> exception
  5. earliest COPD code in the last 3 months                          -> exception
  6. everyone else on the register                                   -> denominator
"""

from simulator.qof.engines import IndicatorCounts

from .builders import COPD_EXCEPTED, MRC, copd_patient, ev, patient


def test_mrc_grade_on_first_day_of_window_counts_one_day_earlier_does_not(engine):
    assert engine.outcomes("COPD13", copd_patient(ev(MRC, "2012-01-01")), copd_patient(ev(MRC, "2011-12-31"))) == [
        "numerator", "denominator"]


def test_exceptions(engine):
    assert engine.outcomes("COPD13", copd_patient(ev(COPD_EXCEPTED, "2013-03-31")),
                           copd_patient(registered="2013-03-31"), copd_patient(diagnosed="2013-03-31")) == ["exception"] * 3


def test_practice_counts(engine):
    pc = engine([copd_patient(ev(MRC, "2012-06-01")), copd_patient(), patient(ev(MRC, "2012-06-01"))])
    assert pc.indicators["COPD13"] == IndicatorCounts(numerator=1, denominator=2, exceptions=0)
