"""CANCER01 — the cancer register: a cancer diagnosed from 1 April 2003 (register id ``CAN``).

Rule (rules_2012_13.yaml, ``registers.CAN``), for each patient registered on 31 March 2013:
  1. a cancer code (CAN_COD, excluding non-melanotic skin cancer) dated on or after
     1 Apr 2003                                                      -> on the register
  2. everyone else                                                   -> not on the register
"""

from .builders import CANCER, cancer_patient, ctv3, ev, patient


def test_cancer_on_1_april_2003_counts_the_day_before_does_not(engine):
    assert engine.on_register("CAN", cancer_patient(diagnosed="2003-04-01"), cancer_patient(diagnosed="2003-03-31")) == [
        True, False]


def test_a_later_cancer_code_counts_even_after_an_old_one(engine):
    assert engine.on_register("CAN", cancer_patient(ev(CANCER, "2010-01-01"), diagnosed="1999-01-01")) is True


def test_tpp_ctv3_codes_counted(engine):
    assert engine.on_register("CAN", patient(ctv3(CANCER, "2010-01-01"))) is True
