"""HF04 — heart failure due to LVD, on an ACE inhibitor or ARB: also on a beta-blocker licensed for heart failure, or beta-blockers not tolerated or contraindicated.

2012/13 wording [S]: "... additionally treated with a beta-blocker licensed for heart failure, or
recorded as intolerant to or having a contraindication to beta-blockers": such a record counts in
the numerator, not as an exception.

Rule (rules_2012_13.yaml, ``indicators.HF04``), first rule that fires decides:
  1. not on the heart failure register                                           -> reject
  2. no left ventricular systolic dysfunction code (LVD_COD)                      -> reject
  3. no ACE inhibitor or ARB issued from 1 Oct 2012 (6 months)                    -> reject
  4. bisoprolol, carvedilol or nebivolol (BBHF_DRUG) issued in the same 6 months   -> numerator
  5. beta-blocker contraindicated or not tolerated (BBEX_COD), 15 months          -> numerator
  6. heart failure exception code (HFEX_COD), 15 months                           -> exception
  7. registered in the last 3 months                                             -> exception
  8. LVD first coded in the last 3 months                                        -> exception
  9. everyone else                                                              -> denominator
"""

from .builders import (ACE_INHIBITOR, BETA_BLOCKER, BETA_BLOCKER_CONTRAINDICATED, BISOPROLOL, LVD, ev, hf_patient,
                       step)

LVSD, ACE = ev(LVD, "2009-01-01"), ev(ACE_INHIBITOR, "2013-02-01")


def test_on_bisoprolol_is_in_numerator(engine):
    assert engine.outcome("HF04", hf_patient(LVSD, ACE, ev(BISOPROLOL, "2013-02-01"))) == "numerator"


def test_a_beta_blocker_not_licensed_for_heart_failure_does_not_count(engine):
    assert engine.outcome("HF04", hf_patient(LVSD, ACE, ev(BETA_BLOCKER, "2013-02-01"))) == "denominator"


def test_not_on_an_ace_inhibitor_not_in_the_population(engine):
    p = hf_patient(LVSD, ev(BISOPROLOL, "2013-02-01"), ev(ACE_INHIBITOR, "2012-09-30"))
    assert step("HF04", p) == ("reject", 3) and engine.outcome("HF04", p) == "reject"


def test_beta_blocker_contraindicated_counts_in_the_numerator(engine):
    p = hf_patient(LVSD, ACE, ev(BETA_BLOCKER_CONTRAINDICATED, "2012-01-01"))
    assert step("HF04", p) == ("numerator", 5) and engine.outcome("HF04", p) == "numerator"
