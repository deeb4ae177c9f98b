"""COPD14 — the COPD register (register id ``COPD``).

Rule (rules_2012_13.yaml, ``registers.COPD``), for each patient registered on 31 March 2013:
  1. a COPD code (COPD_COD) with no "COPD resolved" code (COPDRES_COD) dated after the
     latest one                                                      -> on the register
  2. everyone else                                                   -> not on the register
"""

from .builders import ASTHMA, COPD, COPD_RESOLVED, copd_patient, ctv3, ev, patient


def test_copd_code_puts_patient_on_the_register(engine):
    assert engine.on_register("COPD", copd_patient()) is True


def test_asthma_is_not_copd(engine):
    assert engine.on_register("COPD", patient(ev(ASTHMA, "2005-01-01"))) is False


def test_resolved_after_diagnosis_leaves_same_day_stays(engine):
    assert engine.on_register("COPD", copd_patient(ev(COPD_RESOLVED, "2010-01-01"), diagnosed="2005-01-01"),
                              copd_patient(ev(COPD_RESOLVED, "2005-01-01"), diagnosed="2005-01-01")) == [False, True]


def test_diagnosis_on_achievement_date_counts_after_it_does_not(engine):
    assert engine.on_register("COPD", copd_patient(diagnosed="2013-03-31"), copd_patient(diagnosed="2013-04-01")) == [
        True, False]


def test_tpp_ctv3_codes_counted(engine):
    assert engine.on_register("COPD", patient(ctv3(COPD, "2005-01-01"))) is True
