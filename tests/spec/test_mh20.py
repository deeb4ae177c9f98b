"""MH20 — mental health register, aged 40+: blood glucose or HbA1c in the preceding 15 months.

Rule (rules_2012_13.yaml, ``indicators.MH20``), first rule that fires decides:
  1. not on the mental health register                                  -> reject
  2. aged under 40 on the achievement date                              -> reject
  3. a glucose (GLU_COD) or an HbA1c (IFCCHBAM_COD) from 1 Jan 2012       -> numerator
  4. mental health exception code (MHEX_COD), 15 months                 -> exception
  5. registered in the last 3 months                                   -> exception
  6. earliest psychosis code in the last 3 months                      -> exception
  7. everyone else                                                    -> denominator
"""

from .builders import GLUCOSE, HBA1C, MH_EXCEPTED, ev, mh_patient


def test_glucose_or_hba1c_counts(engine):
    assert engine.outcomes("MH20", mh_patient(ev(GLUCOSE, "2012-06-01", 5.1)), mh_patient(ev(HBA1C, "2012-06-01", 40))) == [
        "numerator", "numerator"]


def test_test_one_day_before_window_does_not_count(engine):
    assert engine.outcome("MH20", mh_patient(ev(GLUCOSE, "2011-12-31", 5.1))) == "denominator"


def test_under_40_not_counted(engine):
    assert engine.outcome("MH20", mh_patient(ev(GLUCOSE, "2012-06-01", 5.1), dob="1990-01-01")) == "reject"


def test_exceptions(engine):
    assert engine.outcomes("MH20", mh_patient(ev(MH_EXCEPTED, "2012-06-01")), mh_patient(diagnosed="2013-03-31")) == [
        "exception", "exception"]
