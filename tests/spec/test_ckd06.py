"""CKD06 — CKD: urine albumin:creatinine (or protein:creatinine) ratio in the preceding 15 months.

Rule (rules_2012_13.yaml, ``indicators.CKD06``), first rule that fires decides:
  1. not on the CKD register                                               -> reject
  2. an ACR (ACR_COD) or PCR (PCR_COD) from 1 Jan 2012 to 31 Mar 2013       -> numerator
  3. CKD exception code (CKDEX_COD) in the same 15 months                  -> exception
  4. registered in the last 3 months                                      -> exception
  5. earliest stage 3-5 code in the last 3 months                         -> exception
  6. everyone else on the register                                       -> denominator
"""

from .builders import ACR, CKD_EXCEPTED, PCR, ckd_patient, ctv3, ev


def test_acr_or_pcr_counts(engine):
    assert engine.outcomes("CKD06", ckd_patient(ev(ACR, "2012-06-01")), ckd_patient(ev(PCR, "2012-06-01"))) == [
        "numerator", "numerator"]


def test_test_on_first_day_of_window_counts_one_day_earlier_does_not(engine):
    assert engine.outcomes("CKD06", ckd_patient(ev(ACR, "2012-01-01")), ckd_patient(ev(ACR, "2011-12-31"))) == [
        "numerator", "denominator"]


def test_exceptions(engine):
    assert engine.outcomes("CKD06", ckd_patient(ev(CKD_EXCEPTED, "2012-06-01")), ckd_patient(registered="2013-02-01"),
                           ckd_patient(diagnosed="2013-02-01")) == ["exception"] * 3


def test_tpp_ctv3_codes_counted(engine):
    assert engine.outcome("CKD06", ckd_patient(ctv3(PCR, "2012-06-01"))) == "numerator"
