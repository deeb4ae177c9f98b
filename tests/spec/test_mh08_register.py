"""MH08 — the mental health register: schizophrenia, bipolar disorder, other psychoses (register id ``MH``).

Rule (rules_2012_13.yaml, ``registers.MH``), for each patient registered on 31 March 2013:
  1. a psychosis code (MH_COD) with no remission/resolved code (MHREM_COD) dated after the
     latest one                                                      -> on the register
  2. lithium issued (LITH_DRUG) from 1 Oct 2012 (6 months)            -> on the register
  3. everyone else                                                   -> not on the register
"""

from .builders import LITHIUM, MH_REMISSION, PSYCHOSIS, ctv3, ev, mh_patient, patient


def test_psychosis_code_puts_patient_on_the_register(engine):
    assert engine.on_register("MH", mh_patient()) is True


def test_remission_after_diagnosis_leaves_the_register(engine):
    assert engine.on_register("MH", mh_patient(ev(MH_REMISSION, "2011-01-01")),
                              mh_patient(ev(MH_REMISSION, "2011-01-01"), ev(PSYCHOSIS, "2012-01-01"))) == [False, True]


def test_lithium_in_6_months_keeps_a_patient_on_the_register(engine):
    assert engine.on_register("MH", mh_patient(ev(MH_REMISSION, "2011-01-01"), ev(LITHIUM, "2012-10-01")),
                              patient(ev(LITHIUM, "2012-10-01")), patient(ev(LITHIUM, "2012-09-30"))) == [True, True, False]


def test_tpp_ctv3_codes_counted(engine):
    assert engine.on_register("MH", patient(ctv3(PSYCHOSIS, "2005-01-01"))) is True
