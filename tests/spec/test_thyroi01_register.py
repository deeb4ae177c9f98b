"""THYROI01 — the hypothyroidism register (register id ``THY``).

Rule (rules_2012_13.yaml, ``registers.THY``), for each patient registered on 31 March 2013:
  1. a hypothyroidism code (THY_COD) with no resolved code (THYRES_COD) dated after the
     latest one                                                       -> on the register
  2. everyone else                                                    -> not on the register
"""

from .builders import HYPOTHYROID, HYPOTHYROID_RESOLVED, ctv3, ev, hypothyroid, patient


def test_hypothyroidism_puts_patient_on_the_register_resolved_takes_off(engine):
    assert engine.on_register("THY", hypothyroid(), hypothyroid(ev(HYPOTHYROID_RESOLVED, "2012-01-01"))) == [True, False]


def test_tpp_ctv3_codes_counted(engine):
    assert engine.on_register("THY", patient(ctv3(HYPOTHYROID, "2001-01-01"))) is True
