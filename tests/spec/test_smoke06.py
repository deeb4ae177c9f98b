"""SMOKE06 — patients on the SMOKE05 registers who smoke: cessation support offered in the preceding 15 months.

Rule (rules_2012_13.yaml, ``indicators.SMOKE06``), first rule that fires decides:
  1. on none of the CHD, PAD, stroke/TIA, hypertension, diabetes, COPD, CKD, asthma
     or mental health registers                                                  -> reject
  2. the latest smoking status from 1 Jan 2012 (15 months) is not current smoker   -> reject
  3. cessation support (CSSUP_COD) offered from 1 Jan 2012                        -> numerator
  4. smoking exception code (SMOKEX_COD), 15 months                              -> exception
  5. registered in the last 3 months                                            -> exception
  6. everyone else                                                             -> denominator
"""

from .builders import CESSATION_SUPPORT, EX_SMOKER, SMOKER, SMOKING_EXCEPTED, chd_patient, diabetic, ev, patient, step


def test_smoker_offered_support_is_in_numerator(engine):
    assert engine.outcome("SMOKE06", diabetic(ev(SMOKER, "2012-06-01"), ev(CESSATION_SUPPORT, "2012-06-01"))) == "numerator"


def test_support_one_day_before_the_window_does_not_count(engine):
    assert engine.outcome("SMOKE06", chd_patient(ev(SMOKER, "2012-06-01"), ev(CESSATION_SUPPORT, "2011-12-31"))) == "denominator"


def test_smoker_status_before_the_15_month_window_is_not_in_the_population(engine):
    p = diabetic(ev(SMOKER, "2011-12-31"))
    assert step("SMOKE06", p) == ("reject", 2) and engine.outcome("SMOKE06", p) == "reject"


def test_ex_smokers_and_smokers_off_the_registers_are_not_counted(engine):
    assert engine.outcomes("SMOKE06", diabetic(ev(SMOKER, "2012-03-01"), ev(EX_SMOKER, "2012-09-01")),
                           patient(ev(SMOKER, "2012-06-01"))) == ["reject", "reject"]


def test_exceptions(engine):
    assert engine.outcomes("SMOKE06", diabetic(ev(SMOKER, "2012-06-01"), ev(SMOKING_EXCEPTED, "2012-07-01")),
                           diabetic(ev(SMOKER, "2013-02-01"), registered="2013-01-01")) == ["exception", "exception"]
