"""PAD01 — the peripheral arterial disease register (register id ``PAD``).

Rule (rules_2012_13.yaml, ``registers.PAD``), for each patient registered on 31 March 2013:
  1. any PAD code (PAD_COD), ever                          -> on the register
  2. everyone else                                         -> not on the register
"""

from .builders import PAD, ctv3, pad_patient, patient


def test_pad_code_puts_patient_on_the_register(engine):
    assert engine.on_register("PAD", pad_patient(), patient()) == [True, False]


def test_diagnosis_on_achievement_date_counts_after_it_does_not(engine):
    assert engine.on_register("PAD", pad_patient(diagnosed="2013-03-31"), pad_patient(diagnosed="2013-04-01")) == [True, False]


def test_tpp_ctv3_codes_counted(engine):
    assert engine.on_register("PAD", patient(ctv3(PAD, "2008-01-01"))) is True
