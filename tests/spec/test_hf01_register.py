"""HF01 — the heart failure register (register id ``HF``).

Rule (rules_2012_13.yaml, ``registers.HF``), for each patient registered on 31 March 2013:
  1. a heart failure code (HF_COD) with no "heart failure resolved" code (HFRES_COD)
     dated after the latest one                                      -> on the register
  2. everyone else                                                   -> not on the register
"""

from .builders import HF, HF_RESOLVED, LVD, ctv3, ev, hf_patient, patient


def test_heart_failure_code_puts_patient_on_the_register(engine):
    assert engine.on_register("HF", hf_patient()) is True


def test_resolved_after_diagnosis_leaves_same_day_stays(engine):
    assert engine.on_register("HF", hf_patient(ev(HF_RESOLVED, "2011-01-01")),
                              hf_patient(ev(HF_RESOLVED, "2005-06-01"))) == [False, True]


def test_lvd_alone_is_not_heart_failure(engine):
    assert engine.on_register("HF", patient(ev(LVD, "2010-01-01"))) is False


def test_tpp_ctv3_codes_counted(engine):
    assert engine.on_register("HF", patient(ctv3(HF, "2010-01-01"))) is True
