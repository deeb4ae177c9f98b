"""HF02 — heart failure diagnosed from 1 April 2006: confirmed by echocardiogram or specialist assessment.

Rule (rules_2012_13.yaml, ``indicators.HF02``), first rule that fires decides:
  1. not on the heart failure register                                         -> reject
  2. the earliest heart failure code is before 1 Apr 2006                      -> reject
  3. an echocardiogram or specialist assessment (ECHO_COD) from 91 days before to
     365 days after that earliest code                                          -> numerator
  4. heart failure exception code (HFEX_COD), 15 months                         -> exception
  5. registered in the last 3 months                                           -> exception
  6. earliest heart failure code in the last 3 months                          -> exception
  7. everyone else                                                            -> denominator
"""

from .builders import ECHO, HF, HF_EXCEPTED, ev, hf_patient, step


def test_echo_at_diagnosis_is_in_numerator(engine):
    assert engine.outcome("HF02", hf_patient(ev(ECHO, "2010-02-01"), diagnosed="2010-02-01")) == "numerator"


def test_echo_91_days_before_counts_92_does_not(engine):
    assert engine.outcomes("HF02", hf_patient(ev(ECHO, "2009-11-02"), diagnosed="2010-02-01"),
                           hf_patient(ev(ECHO, "2009-11-01"), diagnosed="2010-02-01")) == ["numerator", "denominator"]


def test_echo_365_days_after_counts_366_does_not(engine):
    assert engine.outcomes("HF02", hf_patient(ev(ECHO, "2011-02-01"), diagnosed="2010-02-01"),
                           hf_patient(ev(ECHO, "2011-02-02"), diagnosed="2010-02-01")) == ["numerator", "denominator"]


def test_diagnosed_on_1_april_2006_is_in_the_day_before_is_not(engine):
    assert engine.outcomes("HF02", hf_patient(diagnosed="2006-04-01"), hf_patient(diagnosed="2006-03-31")) == [
        "denominator", "reject"]


def test_an_older_heart_failure_code_is_the_diagnosis(engine):
    p = hf_patient(ev(HF, "2001-01-01"), ev(ECHO, "2010-02-01"), diagnosed="2010-02-01")
    assert step("HF02", p) == ("reject", 2) and engine.outcome("HF02", p) == "reject"


def test_exceptions(engine):
    assert engine.outcomes("HF02", hf_patient(ev(HF_EXCEPTED, "2012-06-01"), diagnosed="2010-02-01"),
                           hf_patient(diagnosed="2013-01-01")) == ["exception", "exception"]
