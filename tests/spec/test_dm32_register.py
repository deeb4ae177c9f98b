"""DM32 — the diabetes register (register id ``DM``).

Rule (rules_2012_13.yaml, ``registers.DM``), for each patient registered on 31 March 2013:
  1. aged under 17 on the achievement date            -> not on the register
  2. has a diabetes code (DM_COD) and no "diabetes resolved" code (DMRES_COD)
     dated after the latest diabetes code              -> on the register
  3. everyone else                                     -> not on the register
Events dated after the achievement date are ignored.
"""

from .builders import (DM, DM_RESOLVED, DM_T2, DM_T2_CTV3, HYP, ctv3, diabetic, ev, patient)


def test_diabetes_code_puts_patient_on_register(engine):
    assert engine.on_register("DM", diabetic()) is True


def test_no_diabetes_code_not_on_register(engine):
    assert engine.on_register("DM", patient(ev(HYP, "2005-01-01"))) is False


def test_type_2_diabetes_code_is_in_the_cluster(engine):
    assert engine.on_register("DM", patient(ev(DM_T2, "2005-01-01"))) is True


def test_17th_birthday_on_achievement_date_is_on_register(engine):
    assert engine.on_register("DM", diabetic(dob="1996-03-31")) is True


def test_aged_16_on_achievement_date_not_on_dm_register(engine):
    assert engine.on_register("DM", diabetic(dob="1996-04-01")) is False


def test_resolved_after_diagnosis_leaves_register(engine):
    assert engine.on_register("DM", diabetic(ev(DM_RESOLVED, "2010-01-01"), diagnosed="2005-01-01")) is False


def test_resolved_same_day_as_diagnosis_stays_on_register(engine):
    assert engine.on_register("DM", diabetic(ev(DM_RESOLVED, "2010-01-01"), diagnosed="2010-01-01")) is True


def test_diagnosed_again_after_resolution_is_back_on_register(engine):
    p = diabetic(ev(DM_RESOLVED, "2008-01-01"), ev(DM, "2012-05-01"), diagnosed="2005-01-01")
    assert engine.on_register("DM", p) is True


def test_resolved_code_without_diagnosis_not_on_register(engine):
    assert engine.on_register("DM", patient(ev(DM_RESOLVED, "2010-01-01"))) is False


def test_diagnosis_on_achievement_date_counts(engine):
    assert engine.on_register("DM", diabetic(diagnosed="2013-03-31")) is True


def test_future_dated_event_ignored(engine):
    assert engine.on_register("DM", diabetic(diagnosed="2013-04-01")) is False


def test_future_dated_resolution_ignored(engine):
    assert engine.on_register("DM", diabetic(ev(DM_RESOLVED, "2013-04-01"))) is True


def test_tpp_ctv3_codes_counted(engine):
    assert engine.on_register("DM", patient(ctv3(DM_T2_CTV3, "2005-01-01"))) is True


def test_read_v2_only_code_recorded_as_ctv3_not_counted(engine):
    # C10F. is in the cluster for Read v2 only; codes are matched within their own system
    assert engine.on_register("DM", patient(ctv3(DM_T2, "2005-01-01"))) is False


def test_left_practice_before_achievement_date_not_counted(engine):
    pc = engine([diabetic(left="2013-03-01")])
    assert (pc.list_size, pc.registers["DM"]) == (1, 0)  # on the list on 1 January, gone by 31 March


def test_leaving_on_achievement_date_not_counted(engine):
    assert engine([diabetic(left="2013-03-31")]).registers["DM"] == 0


def test_joined_on_achievement_date_counted(engine):
    pc = engine([diabetic(registered="2013-03-31")])
    assert (pc.list_size, pc.registers["DM"]) == (0, 1)  # not on the 1 January list, on the register


def test_joined_after_achievement_date_not_counted(engine):
    assert engine([diabetic(registered="2013-04-01")]).registers["DM"] == 0


def test_register_counts_a_practice(engine):
    pc = engine([
        diabetic(),                                  # on
        diabetic(ctv3(DM_T2_CTV3, "2009-01-01")),    # on (two codes, counted once)
        diabetic(ev(DM_RESOLVED, "2012-01-01")),     # resolved
        diabetic(dob="2000-01-01"),                  # too young
        patient(),                                   # no diabetes
    ])
    assert (pc.list_size, pc.registers["DM"]) == (5, 2)
