"""OST01 — the osteoporosis register: fragility fracture from 1 April 2012 (register id ``OST``).

Rule (rules_2012_13.yaml, ``registers.OST``), for each patient registered on 31 March 2013:
  1. aged under 50 on the achievement date                                -> not on the register
  2. no fragility fracture (FRAG_COD) dated on or after 1 Apr 2012        -> not on the register
  3. aged 75 or over                                                      -> on the register
  4. (aged 50-74) osteoporosis confirmed on a DXA scan (OSTDXA_COD), ever -> on the register
  5. everyone else                                                        -> not on the register
"""

from .builders import FRAGILITY_FRACTURE, OSTEOPOROSIS_DXA, ctv3, ev, patient

FRACTURE = ev(FRAGILITY_FRACTURE, "2012-10-01")


def test_aged_75_with_a_fracture_is_on_the_register(engine):
    assert engine.on_register("OST", patient(FRACTURE, dob="1938-03-31")) is True


def test_aged_74_needs_dxa_confirmed_osteoporosis(engine):
    assert engine.on_register("OST", patient(FRACTURE, dob="1938-04-01"),
                              patient(FRACTURE, ev(OSTEOPOROSIS_DXA, "2012-11-01"), dob="1938-04-01")) == [False, True]


def test_fracture_on_1_april_2012_counts_the_day_before_does_not(engine):
    assert engine.on_register("OST", patient(ev(FRAGILITY_FRACTURE, "2012-04-01"), dob="1930-01-01"),
                              patient(ev(FRAGILITY_FRACTURE, "2012-03-31"), dob="1930-01-01")) == [True, False]


def test_50th_birthday_on_achievement_date_counts_a_day_younger_does_not(engine):
    dxa = ev(OSTEOPOROSIS_DXA, "2012-11-01")
    assert engine.on_register("OST", patient(FRACTURE, dxa, dob="1963-03-31"), patient(FRACTURE, dxa, dob="1963-04-01")) == [
        True, False]


def test_tpp_ctv3_codes_counted(engine):
    assert engine.on_register("OST", patient(ctv3(FRAGILITY_FRACTURE, "2012-10-01"), dob="1930-01-01")) is True
