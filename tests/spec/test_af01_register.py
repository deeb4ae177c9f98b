"""AF01 — the atrial fibrillation register (register id ``AF``).

Rule (rules_2012_13.yaml, ``registers.AF``), for each patient registered on 31 March 2013:
  1. an AF code (AF_COD) with no "AF resolved" code (AFRES_COD) dated after the latest one
                                                                     -> on the register
  2. everyone else                                                   -> not on the register
"""

from .builders import AF, AF_RESOLVED, af_patient, ctv3, ev, patient


def test_af_code_puts_patient_on_the_register(engine):
    assert engine.on_register("AF", af_patient()) is True


def test_resolved_after_the_latest_af_code_leaves(engine):
    assert engine.on_register("AF", af_patient(ev(AF_RESOLVED, "2011-01-01")),
                              af_patient(ev(AF_RESOLVED, "2011-01-01"), ev(AF, "2012-06-01"))) == [False, True]


def test_resolved_alone_is_not_on_the_register(engine):
    assert engine.on_register("AF", patient(ev(AF_RESOLVED, "2011-01-01"))) is False


def test_tpp_ctv3_codes_counted(engine):
    assert engine.on_register("AF", patient(ctv3(AF, "2008-01-01"))) is True
