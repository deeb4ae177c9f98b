"""COPD08 — COPD: influenza immunisation from 1 September 2012 to 31 March 2013.

Rule (rules_2012_13.yaml, ``indicators.COPD08``), first rule that fires decides:
  1. not on the COPD register                                               -> reject
  2. influenza immunisation (FLU_COD) since 1 Sep 2012                       -> numerator
  3. immunisation declined or contraindicated (FLUEX_COD) since 1 Sep 2012   -> exception
  4. COPD exception code (COPDEX_COD) in the last 15 months                 -> exception
  5. registered in the last 3 months                                       -> exception
  6. earliest COPD code in the last 3 months                               -> exception
  7. everyone else on the register                                        -> denominator
"""

from .builders import COPD_EXCEPTED, FLU, FLU_DECLINED, copd_patient, ev, step


def test_flu_jab_on_1_september_counts_on_31_august_does_not(engine):
    assert engine.outcomes("COPD08", copd_patient(ev(FLU, "2012-09-01")), copd_patient(ev(FLU, "2012-08-31"))) == [
        "numerator", "denominator"]


def test_declined_this_season_excepts(engine):
    p = copd_patient(ev(FLU_DECLINED, "2013-01-01"))
    assert engine.outcome("COPD08", p) == "exception" and step("COPD08", p) == ("exception", 3)


def test_copd_exception_and_new_patients_except(engine):
    assert engine.outcomes("COPD08", copd_patient(ev(COPD_EXCEPTED, "2012-05-01")), copd_patient(registered="2013-01-01"),
                           copd_patient(diagnosed="2013-01-01")) == ["exception"] * 3


def test_vaccinated_patient_is_never_excepted(engine):
    assert engine.outcome("COPD08", copd_patient(ev(COPD_EXCEPTED, "2012-05-01"), ev(FLU, "2012-10-01"),
                                                 registered="2013-01-01")) == "numerator"
