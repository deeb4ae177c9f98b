"""CKD01 — the chronic kidney disease register, stage 3 to 5, aged 18+ (register id ``CKD``).

Rule (rules_2012_13.yaml, ``registers.CKD``), for each patient registered on 31 March 2013:
  1. aged under 18 on the achievement date                                 -> not on the register
  2. the latest code among CKD stage 3-5 (CKD35_COD), stage 1-2 (CKD12_COD) and
     "CKD resolved" (CKDRES_COD) is a stage 3-5 code (same day: any)         -> on the register
  3. everyone else                                                         -> not on the register
"""

from .builders import CKD1, CKD3, CKD4, CKD_RESOLVED, ckd_patient, ctv3, ev, patient


def test_stage_3_or_4_puts_patient_on_the_register(engine):
    assert engine.on_register("CKD", ckd_patient(), patient(ev(CKD4, "2010-01-01"))) == [True, True]


def test_a_later_stage_1_or_2_code_takes_the_patient_off(engine):
    assert engine.on_register("CKD", ckd_patient(ev(CKD1, "2012-01-01"), diagnosed="2010-01-01")) is False


def test_a_later_resolved_code_takes_the_patient_off_a_later_stage_3_puts_back(engine):
    assert engine.on_register("CKD", ckd_patient(ev(CKD_RESOLVED, "2012-01-01"), diagnosed="2010-01-01"),
                              ckd_patient(ev(CKD_RESOLVED, "2011-01-01"), ev(CKD4, "2012-01-01"), diagnosed="2010-01-01")) == [
        False, True]


def test_stage_3_and_stage_1_on_the_same_day_counts(engine):
    assert engine.on_register("CKD", ckd_patient(ev(CKD1, "2010-01-01"), diagnosed="2010-01-01")) is True


def test_18th_birthday_on_achievement_date_is_on_a_day_younger_is_not(engine):
    assert engine.on_register("CKD", ckd_patient(dob="1995-03-31"), ckd_patient(dob="1995-04-01")) == [True, False]


def test_stage_1_alone_is_not_on_the_register(engine):
    assert engine.on_register("CKD", patient(ev(CKD1, "2010-01-01"))) is False


def test_tpp_ctv3_codes_counted(engine):
    assert engine.on_register("CKD", patient(ctv3(CKD3, "2010-01-01"))) is True
