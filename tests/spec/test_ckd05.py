"""CKD05 — CKD with hypertension and proteinuria: treated with an ACE inhibitor or ARB.

Rule (rules_2012_13.yaml, ``indicators.CKD05``), first rule that fires decides:
  1. not on the CKD register                                                -> reject
  2. not on the hypertension register (HYP)                                 -> reject
  3. never coded with proteinuria (PRT_COD)                                 -> reject
  4. an ACE inhibitor or ARB issued from 1 Oct 2012 (6 months)               -> numerator
  5. ACE/ARB contraindicated or declined (ACEARBEX_COD), 15 months          -> exception
  6. CKD exception code (CKDEX_COD), 15 months                              -> exception
  7. registered in the last 3 months                                       -> exception
  8. earliest stage 3-5 code in the last 3 months                          -> exception
  9. everyone else                                                        -> denominator
"""

from .builders import ACE_DECLINED, ACE_INHIBITOR, ARB, HYP, MICROALBUMINURIA, PROTEINURIA, ckd_patient, ev, step

HT, PRT = ev(HYP, "2004-01-01"), ev(PROTEINURIA, "2010-01-01")


def test_hypertension_proteinuria_and_an_ace_inhibitor_is_in_numerator(engine):
    assert engine.outcomes("CKD05", ckd_patient(HT, PRT, ev(ACE_INHIBITOR, "2013-01-01")),
                           ckd_patient(HT, PRT, ev(ARB, "2013-01-01"))) == ["numerator", "numerator"]


def test_without_hypertension_not_in_the_population(engine):
    p = ckd_patient(PRT, ev(ACE_INHIBITOR, "2013-01-01"))
    assert engine.outcome("CKD05", p) == "reject" and step("CKD05", p) == ("reject", 2)


def test_without_proteinuria_not_in_the_population_microalbuminuria_is_not_enough(engine):
    assert engine.outcomes("CKD05", ckd_patient(HT), ckd_patient(HT, ev(MICROALBUMINURIA, "2010-01-01"))) == [
        "reject", "reject"]


def test_issue_on_first_day_of_6_month_window_counts_one_day_earlier_does_not(engine):
    assert engine.outcomes("CKD05", ckd_patient(HT, PRT, ev(ACE_INHIBITOR, "2012-10-01")),
                           ckd_patient(HT, PRT, ev(ACE_INHIBITOR, "2012-09-30"))) == ["numerator", "denominator"]


def test_ace_declined_excepts(engine):
    p = ckd_patient(HT, PRT, ev(ACE_DECLINED, "2012-04-01"))
    assert engine.outcome("CKD05", p) == "exception" and step("CKD05", p) == ("exception", 5)
