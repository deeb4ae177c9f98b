"""ASTHMA01 — the asthma register (register id ``AST``).

Rule (rules_2012_13.yaml, ``registers.AST``), for each patient registered on 31 March 2013:
  1. an asthma code (AST_COD) with no "asthma resolved" code (ASTRES_COD) dated after the
     latest one, AND an asthma drug issued (ASTTRT_DRUG) from 1 Apr 2012 (12 months)
                                                                      -> on the register
  2. everyone else                                                    -> not on the register
No age limit.
"""

from .builders import ASTHMA, ASTHMA_RESOLVED, SALBUTAMOL, asthmatic, ctv3, ev, patient


def test_asthma_code_and_a_drug_in_12_months_is_on_the_register(engine):
    assert engine.on_register("AST", asthmatic()) is True


def test_asthma_without_a_drug_in_12_months_is_not(engine):
    assert engine.on_register("AST", asthmatic(treated="2012-03-31"), asthmatic(treated="2012-04-01")) == [False, True]


def test_a_drug_without_an_asthma_code_is_not_enough(engine):
    assert engine.on_register("AST", patient(ev(SALBUTAMOL, "2012-12-01"))) is False


def test_resolved_after_diagnosis_leaves_the_register(engine):
    assert engine.on_register("AST", asthmatic(ev(ASTHMA_RESOLVED, "2011-01-01")),
                              asthmatic(ev(ASTHMA_RESOLVED, "2011-01-01"), ev(ASTHMA, "2012-01-01"))) == [False, True]


def test_children_are_on_the_register(engine):
    assert engine.on_register("AST", asthmatic(dob="2009-01-01", diagnosed="2011-06-01")) is True


def test_future_dated_drug_ignored(engine):
    assert engine.on_register("AST", asthmatic(treated="2013-04-01")) is False


def test_tpp_ctv3_codes_counted(engine):
    assert engine.on_register("AST", patient(ctv3(ASTHMA, "2008-01-01"), ctv3(SALBUTAMOL, "2013-01-01"))) is True
