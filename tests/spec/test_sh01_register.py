"""SH01 — the contraception register: women prescribed any method in the preceding year (register id ``SH``).

Rule (rules_2012_13.yaml, ``registers.SH``), for each patient registered on 31 March 2013:
  1. not a woman                                                            -> not on the register
  2. an oral/patch (OCP_DRUG), emergency (EHC_DRUG) or long-acting method (LARCM_DRUG)
     issued from 1 Apr 2012 (12 months)                                      -> on the register
  3. everyone else                                                          -> not on the register
"""

from .builders import EMERGENCY_CONTRACEPTION, IMPLANT, PILL, ev, patient


def test_any_method_in_12_months_puts_a_woman_on_the_register(engine):
    assert engine.on_register("SH", patient(ev(PILL, "2012-06-01"), sex="F"),
                              patient(ev(EMERGENCY_CONTRACEPTION, "2012-06-01"), sex="F"),
                              patient(ev(IMPLANT, "2012-06-01"), sex="F")) == [True, True, True]


def test_issue_on_first_day_of_12_month_window_counts_one_day_earlier_does_not(engine):
    assert engine.on_register("SH", patient(ev(PILL, "2012-04-01"), sex="F"), patient(ev(PILL, "2012-03-31"), sex="F")) == [
        True, False]


def test_men_are_not_on_the_register(engine):
    assert engine.on_register("SH", patient(ev(PILL, "2012-06-01"), sex="M")) is False
