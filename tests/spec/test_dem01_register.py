"""DEM01 — the dementia register (register id ``DEM``).

Rule (rules_2012_13.yaml, ``registers.DEM``), for each patient registered on 31 March 2013:
  1. any dementia code (DEM_COD), ever                      -> on the register
  2. everyone else                                          -> not on the register
No resolved code and no age limit.
"""

from .builders import DEMENTIA, DEMENTIA_REVIEW, ctv3, dementia_patient, ev, patient


def test_dementia_code_puts_patient_on_the_register(engine):
    assert engine.on_register("DEM", dementia_patient()) is True


def test_a_review_code_alone_is_not_a_diagnosis(engine):
    assert engine.on_register("DEM", patient(ev(DEMENTIA_REVIEW, "2012-06-01"))) is False


def test_diagnosis_on_achievement_date_counts_after_it_does_not(engine):
    assert engine.on_register("DEM", dementia_patient(diagnosed="2013-03-31"), dementia_patient(diagnosed="2013-04-01")) == [
        True, False]


def test_tpp_ctv3_codes_counted(engine):
    assert engine.on_register("DEM", patient(ctv3(DEMENTIA, "2010-01-01"))) is True
