"""HF03 — heart failure due to left ventricular dysfunction: treated with an ACE inhibitor or ARB.

Rule (rules_2012_13.yaml, ``indicators.HF03``), first rule that fires decides:
  1. not on the heart failure register                                        -> reject
  2. no left ventricular systolic dysfunction code (LVD_COD)                   -> reject
  3. an ACE inhibitor or ARB issued from 1 Oct 2012 (6 months)                 -> numerator
  4. ACE/ARB contraindicated, declined or not tolerated (ACEARBEX_COD), 15 months -> exception
  5. heart failure exception code (HFEX_COD), 15 months                        -> exception
  6. registered in the last 3 months                                          -> exception
  7. LVD first coded in the last 3 months                                     -> exception
  8. everyone else                                                           -> denominator
"""

from .builders import ACE_DECLINED, ACE_INHIBITOR, ARB, LVD, ev, hf_patient, step

LVSD = ev(LVD, "2009-01-01")


def test_lvd_on_an_ace_inhibitor_or_arb_is_in_numerator(engine):
    assert engine.outcomes("HF03", hf_patient(LVSD, ev(ACE_INHIBITOR, "2013-03-01")), hf_patient(LVSD, ev(ARB, "2013-03-01"))) == [
        "numerator", "numerator"]


def test_heart_failure_without_lvd_not_in_the_population(engine):
    p = hf_patient(ev(ACE_INHIBITOR, "2013-03-01"))
    assert step("HF03", p) == ("reject", 2) and engine.outcome("HF03", p) == "reject"


def test_issue_on_first_day_of_6_month_window_counts_one_day_earlier_does_not(engine):
    assert engine.outcomes("HF03", hf_patient(LVSD, ev(ACE_INHIBITOR, "2012-10-01")),
                           hf_patient(LVSD, ev(ACE_INHIBITOR, "2012-09-30"))) == ["numerator", "denominator"]


def test_ace_declined_excepts_and_lvd_coded_within_3_months_excepts(engine):
    assert step("HF03", hf_patient(LVSD, ev(ACE_DECLINED, "2012-12-01"))) == ("exception", 4)
    assert step("HF03", hf_patient(ev(LVD, "2013-01-01"))) == ("exception", 7)
    assert engine.outcomes("HF03", hf_patient(LVSD, ev(ACE_DECLINED, "2012-12-01")), hf_patient(ev(LVD, "2013-01-01"))) == [
        "exception", "exception"]
