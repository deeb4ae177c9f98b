"""MH17 — patients on lithium: serum creatinine and TSH recorded in the preceding 9 months.

Rule (rules_2012_13.yaml, ``indicators.MH17``), first rule that fires decides:
  1. not on the mental health register                                            -> reject
  2. no lithium issued from 1 Oct 2012 (6 months)                                 -> reject
  3. BOTH a creatinine or eGFR (CRE_COD, EGFR_COD) and a TSH (TSH_COD) from
     1 Jul 2012 (9 months)                                                        -> numerator
  4. mental health exception code (MHEX_COD), 15 months                          -> exception
  5. registered in the last 3 months                                            -> exception
  6. everyone else                                                             -> denominator
"""

from .builders import CREATININE, EGFR, LITHIUM, MH_EXCEPTED, TSH, ev, mh_patient, step

LI = ev(LITHIUM, "2013-01-10")


def test_creatinine_and_tsh_in_9_months_is_in_numerator(engine):
    assert engine.outcomes("MH17", mh_patient(LI, ev(CREATININE, "2012-09-01"), ev(TSH, "2012-09-01")),
                           mh_patient(LI, ev(EGFR, "2012-09-01"), ev(TSH, "2012-12-01"))) == ["numerator", "numerator"]


def test_one_test_alone_is_not_enough(engine):
    assert engine.outcomes("MH17", mh_patient(LI, ev(CREATININE, "2012-09-01")), mh_patient(LI, ev(TSH, "2012-09-01"))) == [
        "denominator", "denominator"]


def test_test_on_first_day_of_9_month_window_counts_one_day_earlier_does_not(engine):
    assert engine.outcomes("MH17", mh_patient(LI, ev(CREATININE, "2012-07-01"), ev(TSH, "2012-09-01")),
                           mh_patient(LI, ev(CREATININE, "2012-06-30"), ev(TSH, "2012-09-01"))) == ["numerator", "denominator"]


def test_not_on_lithium_not_in_the_population(engine):
    p = mh_patient(ev(LITHIUM, "2012-09-30"), ev(CREATININE, "2012-09-01"), ev(TSH, "2012-09-01"))
    assert step("MH17", p) == ("reject", 2) and engine.outcome("MH17", p) == "reject"


def test_exceptions(engine):
    assert engine.outcomes("MH17", mh_patient(LI, ev(MH_EXCEPTED, "2012-06-01")), mh_patient(LI, registered="2013-01-01")) == [
        "exception", "exception"]
