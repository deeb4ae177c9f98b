"""STROKE10 — stroke/TIA: influenza immunisation from 1 September 2012 to 31 March 2013.

Rule (rules_2012_13.yaml, ``indicators.STROKE10``), first rule that fires decides:
  1. not on the stroke/TIA register                                           -> reject
  2. influenza immunisation (FLU_COD) since 1 Sep 2012                         -> numerator
  3. declined or contraindicated (FLUEX_COD) since 1 Sep 2012                  -> exception
  4. stroke exception code (STIAEX_COD) in the last 15 months                 -> exception
  5. registered in the last 3 months                                         -> exception
  6. earliest stroke/TIA code in the last 3 months                           -> exception
  7. everyone else on the register                                          -> denominator
"""

from .builders import FLU, FLU_DECLINED, ev, stroke_patient


def test_flu_jab_on_1_september_counts_on_31_august_does_not(engine):
    assert engine.outcomes("STROKE10", stroke_patient(ev(FLU, "2012-09-01")), stroke_patient(ev(FLU, "2012-08-31"))) == [
        "numerator", "denominator"]


def test_declined_in_season_excepts(engine):
    assert engine.outcomes("STROKE10", stroke_patient(ev(FLU_DECLINED, "2012-09-01")),
                           stroke_patient(ev(FLU_DECLINED, "2012-08-31"))) == ["exception", "denominator"]


def test_new_patients_except(engine):
    assert engine.outcomes("STROKE10", stroke_patient(registered="2013-01-01"), stroke_patient(diagnosed="2013-01-01")) == [
        "exception", "exception"]
