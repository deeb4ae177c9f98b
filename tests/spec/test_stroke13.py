"""STROKE13 — new stroke or TIA (from 1 April 2012): referred for further investigation.

Rule (rules_2012_13.yaml, ``indicators.STROKE13``), first rule that fires decides:
  1. not on the stroke/TIA register                                              -> reject
  2. the earliest stroke/TIA code (any kind) is before 1 Apr 2012                -> reject
  3. a referral for investigation (STRKREF_COD: stroke/TIA clinic, CT, MRI) from
     91 days before to 31 days after that earliest code                          -> numerator
  4. stroke exception code (STIAEX_COD) in the last 15 months                   -> exception
  5. registered in the last 3 months                                           -> exception
  6. everyone else                                                            -> denominator
"""

from .builders import (STROKE, STROKE_EXCEPTED, STROKE_REFERRAL, STROKE_REFERRAL_CTV3, TIA, ctv3, ev, patient, step,
                       stroke_patient)

REF = STROKE_REFERRAL


def test_referral_on_the_day_of_a_new_stroke_is_in_numerator(engine):
    assert engine.outcome("STROKE13", stroke_patient(ev(REF, "2012-09-01"), diagnosed="2012-09-01")) == "numerator"


def test_referral_31_days_after_counts_32_days_after_does_not(engine):
    assert engine.outcomes("STROKE13", stroke_patient(ev(REF, "2012-10-02"), diagnosed="2012-09-01"),
                           stroke_patient(ev(REF, "2012-10-03"), diagnosed="2012-09-01")) == ["numerator", "denominator"]


def test_referral_91_days_before_counts_92_days_before_does_not(engine):
    assert engine.outcomes("STROKE13", stroke_patient(ev(REF, "2012-06-02"), diagnosed="2012-09-01"),
                           stroke_patient(ev(REF, "2012-06-01"), diagnosed="2012-09-01")) == ["numerator", "denominator"]


def test_first_stroke_on_1_april_2012_is_new_the_day_before_is_not(engine):
    assert engine.outcomes("STROKE13", stroke_patient(diagnosed="2012-04-01"), stroke_patient(diagnosed="2012-03-31")) == [
        "denominator", "reject"]


def test_a_new_stroke_after_an_old_tia_is_not_new(engine):
    p = patient(ev(TIA, "2010-01-01"), ev(STROKE, "2012-09-01"), ev(REF, "2012-09-01"))
    assert engine.outcome("STROKE13", p) == "reject" and step("STROKE13", p) == ("reject", 2)


def test_exceptions(engine):
    assert engine.outcomes("STROKE13", stroke_patient(ev(STROKE_EXCEPTED, "2012-10-01"), diagnosed="2012-09-01"),
                           stroke_patient(diagnosed="2012-09-01", registered="2013-01-01")) == ["exception", "exception"]


def test_tpp_ctv3_referral_counted(engine):
    assert engine.outcome("STROKE13", patient(ctv3(STROKE, "2012-09-01"), ctv3(STROKE_REFERRAL_CTV3, "2012-09-03"))) == "numerator"
