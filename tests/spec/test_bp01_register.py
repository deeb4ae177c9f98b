"""BP01 — the hypertension register (register id ``HYP``).

Rule (rules_2012_13.yaml, ``registers.HYP``), for each patient registered on 31 March 2013:
  1. has a hypertension code (HYP_COD) and no "hypertension resolved" code (HYPRES_COD)
     dated after the latest hypertension code          -> on the register
  2. everyone else                                     -> not on the register
There is no age limit. Events dated after the achievement date are ignored.
"""

from .builders import (DM, HYP, HYP_CTV3, HYP_RESOLVED, HYP_SECONDARY, ctv3, ev, hypertensive, patient)


def test_hypertension_code_puts_patient_on_register(engine):
    assert engine.on_register("HYP", hypertensive()) is True


def test_secondary_hypertension_is_in_the_cluster(engine):
    assert engine.on_register("HYP", patient(ev(HYP_SECONDARY, "2005-01-01"))) is True


def test_other_diagnosis_not_on_register(engine):
    assert engine.on_register("HYP", patient(ev(DM, "2005-01-01"))) is False


def test_no_age_limit_child_is_on_register(engine):
    assert engine.on_register("HYP", hypertensive(dob="2008-01-01", diagnosed="2012-01-01")) is True


def test_resolved_after_diagnosis_leaves_register(engine):
    assert engine.on_register("HYP", hypertensive(ev(HYP_RESOLVED, "2005-06-02"), diagnosed="2005-06-01")) is False


def test_resolved_same_day_as_diagnosis_stays_on_register(engine):
    assert engine.on_register("HYP", hypertensive(ev(HYP_RESOLVED, "2005-06-01"), diagnosed="2005-06-01")) is True


def test_later_code_after_resolution_puts_patient_back(engine):
    p = hypertensive(ev(HYP_RESOLVED, "2009-01-01"), ev(HYP, "2011-01-01"), diagnosed="2005-01-01")
    assert engine.on_register("HYP", p) is True


def test_resolution_dated_after_achievement_date_ignored(engine):
    assert engine.on_register("HYP", hypertensive(ev(HYP_RESOLVED, "2013-04-01"))) is True


def test_future_dated_event_ignored(engine):
    assert engine.on_register("HYP", hypertensive(diagnosed="2013-04-01")) is False


def test_tpp_ctv3_codes_counted(engine):
    assert engine.on_register("HYP", patient(ctv3(HYP_CTV3, "2005-01-01"))) is True


def test_tpp_ctv3_resolution_counted(engine):
    p = patient(ctv3(HYP_CTV3, "2005-01-01"), ctv3(HYP_RESOLVED, "2006-01-01"))
    assert engine.on_register("HYP", p) is False


def test_left_practice_before_achievement_date_not_counted(engine):
    assert engine([hypertensive(left="2013-03-30")]).registers["HYP"] == 0


def test_register_counts_a_practice(engine):
    pc = engine([
        hypertensive(),
        hypertensive(ev(HYP_RESOLVED, "2012-01-01")),
        hypertensive(registered="2013-02-01"),
        hypertensive(left="2012-12-31"),
        patient(),
    ])
    assert (pc.list_size, pc.registers["HYP"]) == (3, 2)
