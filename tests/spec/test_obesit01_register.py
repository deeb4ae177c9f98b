"""OBESIT01 — the obesity register: aged 16+ with a BMI of 30 or more in the preceding 15 months (``OB``).

Rule (rules_2012_13.yaml, ``registers.OB``), for each patient registered on 31 March 2013:
  1. aged under 16 on the achievement date                                  -> not on the register
  2. the latest BMI (BMI_COD) from 1 Jan 2012 is 30 or more (same day: the lowest) -> on the register
  3. everyone else                                                          -> not on the register
"""

from .builders import BMI, ctv3, ev, patient


def test_bmi_30_is_on_the_register_29_9_is_not(engine):
    assert engine.on_register("OB", patient(ev(BMI, "2012-06-01", 30)), patient(ev(BMI, "2012-06-01", 29.9))) == [True, False]


def test_the_latest_bmi_decides(engine):
    assert engine.on_register("OB", patient(ev(BMI, "2012-02-01", 34), ev(BMI, "2013-01-01", 28)),
                              patient(ev(BMI, "2012-02-01", 28), ev(BMI, "2013-01-01", 34))) == [False, True]


def test_same_day_readings_the_lowest_counts(engine):
    assert engine.on_register("OB", patient(ev(BMI, "2013-01-01", 31), ev(BMI, "2013-01-01", 29))) is False


def test_bmi_one_day_before_the_15_month_window_does_not_count(engine):
    assert engine.on_register("OB", patient(ev(BMI, "2011-12-31", 35)), patient(ev(BMI, "2012-01-01", 35))) == [False, True]


def test_16th_birthday_on_achievement_date_is_on_a_day_younger_is_not(engine):
    assert engine.on_register("OB", patient(ev(BMI, "2012-06-01", 32), dob="1997-03-31"),
                              patient(ev(BMI, "2012-06-01", 32), dob="1997-04-01")) == [True, False]


def test_bmi_without_a_value_does_not_count(engine):
    assert engine.on_register("OB", patient(ev(BMI, "2012-06-01"))) is False


def test_tpp_ctv3_codes_counted(engine):
    assert engine.on_register("OB", patient(ctv3(BMI, "2012-06-01", 33))) is True
