"""CKD03 — CKD: last blood pressure (preceding 15 months) 140/85 or less (an outcome).

Rule (rules_2012_13.yaml, ``indicators.CKD03``), first rule that fires decides:
  1. not on the CKD register                                                -> reject
  2. the latest BP (BP_COD) from 1 Jan 2012 has systolic <= 140 and diastolic <= 85;
     several readings that day: the lowest of each                           -> numerator
  3. CKD exception code (CKDEX_COD) in the same 15 months                   -> exception
  4. maximal tolerated antihypertensive therapy (MAXBP_COD), 15 months      -> exception
  5. registered in the last 9 months                                       -> exception
  6. earliest stage 3-5 code in the last 9 months                          -> exception
  7. everyone else on the register                                        -> denominator
"""

from .builders import BP, MAX_BP_THERAPY, ckd_patient, ev, step


def test_140_over_85_is_in_numerator(engine):
    assert engine.outcome("CKD03", ckd_patient(ev(BP, "2012-11-01", 140, 85))) == "numerator"


def test_141_or_86_is_not(engine):
    assert engine.outcomes("CKD03", ckd_patient(ev(BP, "2012-11-01", 141, 80)), ckd_patient(ev(BP, "2012-11-01", 130, 86))) == [
        "denominator", "denominator"]


def test_same_day_lowest_systolic_and_lowest_diastolic_count(engine):
    p = ckd_patient(ev(BP, "2012-11-01", 150, 80), ev(BP, "2012-11-01", 138, 90))
    assert engine.outcome("CKD03", p) == "numerator"


def test_latest_reading_decides(engine):
    assert engine.outcome("CKD03", ckd_patient(ev(BP, "2012-05-01", 120, 70), ev(BP, "2013-02-01", 160, 95))) == "denominator"


def test_reading_before_the_15_month_window_does_not_count(engine):
    assert engine.outcome("CKD03", ckd_patient(ev(BP, "2011-12-31", 120, 70))) == "denominator"


def test_maximal_therapy_excepts(engine):
    p = ckd_patient(ev(BP, "2013-02-01", 160, 95), ev(MAX_BP_THERAPY, "2012-06-01"))
    assert engine.outcome("CKD03", p) == "exception" and step("CKD03", p) == ("exception", 4)


def test_9_month_registration_and_diagnosis_exceptions(engine):
    assert engine.outcomes("CKD03", ckd_patient(registered="2012-07-01"), ckd_patient(registered="2012-06-30"),
                           ckd_patient(diagnosed="2012-07-01")) == ["exception", "denominator", "exception"]
