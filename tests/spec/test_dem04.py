"""DEM04 — new dementia diagnosis (from 1 April 2012): blood tests from 6 months before to 6 months after.

Rule (rules_2012_13.yaml, ``indicators.DEM04``), first rule that fires decides:
  1. not on the dementia register                                              -> reject
  2. the earliest dementia code is before 1 Apr 2012                          -> reject
  3. ALL of: full blood count, calcium, glucose, renal function (creatinine or
     eGFR), liver function, TSH, B12 and folate, each from 183 days before to 183
     days after the earliest dementia code                                      -> numerator
  4. dementia exception code (DEMEX_COD), 15 months                            -> exception
  5. registered in the last 3 months                                          -> exception
  6. earliest dementia code in the last 3 months                              -> exception
  7. everyone else                                                           -> denominator
"""

from .builders import B12, CALCIUM, CREATININE, DEMENTIA, EGFR, FBC, FOLATE, GLUCOSE, LFT, TSH, dementia_patient, ev, step

SCREEN = (FBC, CALCIUM, GLUCOSE, CREATININE, LFT, TSH, B12, FOLATE)


def bloods(day, skip=None, swap=None):
    return [ev(swap if code == skip and swap else code, day) for code in SCREEN if code != skip or swap]


def test_all_eight_tests_around_diagnosis_is_in_numerator(engine):
    assert engine.outcome("DEM04", dementia_patient(*bloods("2012-08-01"), diagnosed="2012-09-01")) == "numerator"


def test_egfr_stands_for_creatinine(engine):
    p = dementia_patient(*bloods("2012-08-01", skip=CREATININE, swap=EGFR), diagnosed="2012-09-01")
    assert engine.outcome("DEM04", p) == "numerator"


def test_one_test_missing_is_not_enough(engine):
    assert engine.outcome("DEM04", dementia_patient(*bloods("2012-08-01", skip=FOLATE), diagnosed="2012-09-01")) == "denominator"


def test_tests_183_days_before_count_184_days_do_not(engine):
    assert engine.outcomes("DEM04", dementia_patient(*bloods("2012-03-02"), diagnosed="2012-09-01"),
                           dementia_patient(*bloods("2012-03-01"), diagnosed="2012-09-01")) == ["numerator", "denominator"]


def test_tests_183_days_after_count(engine):
    assert engine.outcome("DEM04", dementia_patient(*bloods("2013-03-03"), diagnosed="2012-09-01")) == "numerator"


def test_diagnosed_on_1_april_2012_is_new_the_day_before_is_not(engine):
    assert engine.outcomes("DEM04", dementia_patient(diagnosed="2012-04-01"), dementia_patient(diagnosed="2012-03-31")) == [
        "denominator", "reject"]


def test_an_older_dementia_code_makes_the_diagnosis_old(engine):
    p = dementia_patient(ev(DEMENTIA, "2010-01-01"), *bloods("2012-08-01"), diagnosed="2012-09-01")
    assert step("DEM04", p) == ("reject", 2)


def test_newly_diagnosed_without_bloods_yet_is_excepted(engine):
    p = dementia_patient(diagnosed="2013-01-01")
    assert step("DEM04", p) == ("exception", 6) and engine.outcome("DEM04", p) == "exception"
