"""CHD01 — the coronary heart disease register (register id ``CHD``).

Rule (rules_2012_13.yaml, ``registers.CHD``), for each patient registered on 31 March 2013:
  1. has any CHD code (CHD_COD), ever                  -> on the register
  2. everyone else                                     -> not on the register
The 2012/13 CHD rules have no "resolved" code and no age limit. Events dated after the
achievement date are ignored.
"""

from .builders import (CHD, CHD_ANGINA, CHD_MI_CTV3, DM_RESOLVED, HYP, chd_patient, ctv3, ev, patient)


def test_chd_code_puts_patient_on_register(engine):
    assert engine.on_register("CHD", chd_patient()) is True


def test_angina_is_in_the_cluster(engine):
    assert engine.on_register("CHD", patient(ev(CHD_ANGINA, "1999-01-01"))) is True


def test_other_diagnosis_not_on_register(engine):
    assert engine.on_register("CHD", patient(ev(HYP, "2005-01-01"))) is False


def test_diagnosis_on_achievement_date_counts(engine):
    assert engine.on_register("CHD", chd_patient(diagnosed="2013-03-31")) is True


def test_future_dated_event_ignored(engine):
    assert engine.on_register("CHD", chd_patient(diagnosed="2013-04-01")) is False


def test_no_resolved_code_a_resolved_code_of_another_area_changes_nothing(engine):
    assert engine.on_register("CHD", chd_patient(ev(DM_RESOLVED, "2012-01-01"))) is True


def test_no_age_limit(engine):
    assert engine.on_register("CHD", chd_patient(dob="2010-01-01", diagnosed="2011-01-01")) is True


def test_tpp_ctv3_codes_counted(engine):
    assert engine.on_register("CHD", patient(ctv3(CHD_MI_CTV3, "2005-01-01"))) is True


def test_ctv3_only_code_recorded_as_read_v2_not_counted(engine):
    assert engine.on_register("CHD", patient(ev(CHD_MI_CTV3, "2005-01-01"))) is False


def test_left_practice_before_achievement_date_not_counted(engine):
    assert engine([chd_patient(left="2013-01-15")]).registers["CHD"] == 0


def test_register_counts_a_practice(engine):
    pc = engine([
        chd_patient(),
        chd_patient(ev(CHD, "2010-01-01"), ev(CHD_ANGINA, "2011-01-01")),  # three codes, one patient
        chd_patient(registered="2013-04-01"),
        patient(),
    ])
    assert (pc.list_size, pc.registers["CHD"]) == (3, 2)
