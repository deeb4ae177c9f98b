"""PC03 — the palliative care register, any age (register id ``PC``).

Rule (rules_2012_13.yaml, ``registers.PC``), for each patient registered on 31 March 2013:
  1. any palliative care code (PALCARE_COD), ever               -> on the register
  2. everyone else                                             -> not on the register
(PC02, the multidisciplinary meetings, is a yes/no indicator: no rules.)
"""

from .builders import PALLIATIVE, ctv3, ev, patient


def test_palliative_code_puts_patient_on_the_register_at_any_age(engine):
    assert engine.on_register("PC", patient(ev(PALLIATIVE, "2012-11-01")), patient(ev(PALLIATIVE, "2012-11-01"), dob="2010-01-01")) == [
        True, True]


def test_no_code_or_a_future_code_not_on_the_register(engine):
    assert engine.on_register("PC", patient(), patient(ev(PALLIATIVE, "2013-04-01"))) == [False, False]


def test_tpp_ctv3_codes_counted(engine):
    assert engine.on_register("PC", patient(ctv3(PALLIATIVE, "2012-11-01"))) is True
