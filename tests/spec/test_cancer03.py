"""CANCER03 — new cancer diagnosis: patient review within 6 months of the diagnosis.

Rule (rules_2012_13.yaml, ``indicators.CANCER03``), first rule that fires decides:
  1. not on the cancer register                                                -> reject
  2. the earliest cancer code is not within the last 18 months (from 1 Oct 2011) -> reject
  3. a cancer care review (CANREV_COD) from the day of that earliest code to 183
     days after it                                                              -> numerator
  4. cancer exception code (CANEX_COD), 15 months                              -> exception
  5. registered in the last 3 months                                          -> exception
  6. earliest cancer code in the last 3 months (no time yet for the review)   -> exception
  7. everyone else                                                           -> denominator
"""

from .builders import CANCER, CANCER_EXCEPTED, CANCER_REVIEW, cancer_patient, ev, step


def test_review_within_6_months_is_in_numerator(engine):
    assert engine.outcome("CANCER03", cancer_patient(ev(CANCER_REVIEW, "2012-09-01"), diagnosed="2012-05-01")) == "numerator"


def test_review_183_days_after_counts_184_days_does_not_nor_a_day_before(engine):
    assert engine.outcomes("CANCER03", cancer_patient(ev(CANCER_REVIEW, "2012-10-31"), diagnosed="2012-05-01"),
                           cancer_patient(ev(CANCER_REVIEW, "2012-11-01"), diagnosed="2012-05-01"),
                           cancer_patient(ev(CANCER_REVIEW, "2012-04-30"), diagnosed="2012-05-01")) == [
        "numerator", "denominator", "denominator"]


def test_diagnosed_on_1_october_2011_is_new_the_day_before_is_not(engine):
    assert engine.outcomes("CANCER03", cancer_patient(diagnosed="2011-10-01"), cancer_patient(diagnosed="2011-09-30")) == [
        "denominator", "reject"]


def test_an_older_cancer_makes_the_diagnosis_old(engine):
    assert step("CANCER03", cancer_patient(ev(CANCER, "2008-01-01"), diagnosed="2012-05-01")) == ("reject", 2)


def test_exceptions(engine):
    assert engine.outcomes("CANCER03", cancer_patient(ev(CANCER_EXCEPTED, "2012-06-01"), diagnosed="2012-05-01"),
                           cancer_patient(diagnosed="2013-01-01")) == ["exception", "exception"]
