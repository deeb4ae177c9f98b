"""LD01 — the learning disabilities register, aged 18+ (register id ``LD``).

Rule (rules_2012_13.yaml, ``registers.LD``), for each patient registered on 31 March 2013:
  1. aged under 18 on the achievement date                 -> not on the register
  2. any learning disability code (LD_COD)                 -> on the register
  3. everyone else                                         -> not on the register
"""

from .builders import DOWNS, LEARNING_DISABILITY, ctv3, ev, ld_patient, patient


def test_learning_disability_code_puts_an_adult_on_the_register(engine):
    assert engine.on_register("LD", ld_patient()) is True


def test_18th_birthday_on_achievement_date_is_on_a_day_younger_is_not(engine):
    assert engine.on_register("LD", ld_patient(dob="1995-03-31"), ld_patient(dob="1995-04-01")) == [True, False]


def test_downs_syndrome_alone_is_not_a_learning_disability_code(engine):
    assert engine.on_register("LD", patient(ev(DOWNS, "1980-01-01"))) is False


def test_tpp_ctv3_codes_counted(engine):
    assert engine.on_register("LD", patient(ctv3(LEARNING_DISABILITY, "2000-01-01"))) is True
