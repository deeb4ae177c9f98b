"""CKD02 — CKD: blood pressure recorded in the preceding 15 months.

Rule (rules_2012_13.yaml, ``indicators.CKD02``), first rule that fires decides:
  1. not on the CKD register                                          -> reject
  2. any BP reading (BP_COD) from 1 Jan 2012, whatever its value        -> numerator
  3. CKD exception code (CKDEX_COD) in the same 15 months             -> exception
  4. BP procedure refused (BPDEC_COD) in the same 15 months            -> exception
  5. registered in the last 3 months                                 -> exception
  6. earliest stage 3-5 code in the last 3 months                    -> exception
  7. everyone else on the register                                  -> denominator
"""

from .builders import BP, BP_REFUSED, CKD_EXCEPTED, ckd_patient, ev, step


def test_any_reading_in_15_months_counts_one_day_earlier_does_not(engine):
    assert engine.outcomes("CKD02", ckd_patient(ev(BP, "2012-01-01", 180, 100)), ckd_patient(ev(BP, "2011-12-31", 120, 70))) == [
        "numerator", "denominator"]


def test_bp_refused_excepts(engine):
    p = ckd_patient(ev(BP_REFUSED, "2012-02-01"))
    assert engine.outcome("CKD02", p) == "exception" and step("CKD02", p) == ("exception", 4)


def test_exceptions(engine):
    assert engine.outcomes("CKD02", ckd_patient(ev(CKD_EXCEPTED, "2012-02-01")), ckd_patient(registered="2013-01-01"),
                           ckd_patient(diagnosed="2013-01-01")) == ["exception"] * 3
