"""EPILEP05 — the epilepsy register: aged 18+ on drug treatment (register id ``EPIL``).

Rule (rules_2012_13.yaml, ``registers.EPIL``), for each patient registered on 31 March 2013:
  1. aged under 18 on the achievement date                                  -> not on the register
  2. an epilepsy code (EPIL_COD) not resolved (EPILRES_COD) after it, AND an anti-epileptic
     drug (AED_DRUG) issued from 1 Oct 2012 (6 months)                       -> on the register
  3. everyone else                                                          -> not on the register
"""

from .builders import ANTIEPILEPTIC, EPILEPSY, EPILEPSY_RESOLVED, ctv3, epileptic, ev, patient


def test_epilepsy_on_treatment_is_on_the_register(engine):
    assert engine.on_register("EPIL", epileptic()) is True


def test_drug_on_first_day_of_6_month_window_counts_one_day_earlier_does_not(engine):
    assert engine.on_register("EPIL", epileptic(treated="2012-10-01"), epileptic(treated="2012-09-30")) == [True, False]


def test_resolved_epilepsy_is_off_the_register(engine):
    assert engine.on_register("EPIL", epileptic(ev(EPILEPSY_RESOLVED, "2010-01-01"))) is False


def test_a_drug_without_a_diagnosis_is_not_enough(engine):
    assert engine.on_register("EPIL", patient(ev(ANTIEPILEPTIC, "2013-01-01"))) is False


def test_18th_birthday_on_achievement_date_is_on_a_day_younger_is_not(engine):
    assert engine.on_register("EPIL", epileptic(dob="1995-03-31"), epileptic(dob="1995-04-01")) == [True, False]


def test_tpp_ctv3_codes_counted(engine):
    assert engine.on_register("EPIL", patient(ctv3(EPILEPSY, "2001-01-01"), ctv3(ANTIEPILEPTIC, "2013-01-01"))) is True
