"""MH10 — mental health: comprehensive care plan in the preceding 15 months.

Rule (rules_2012_13.yaml, ``indicators.MH10``), first rule that fires decides:
  1. not on the mental health register                                -> reject
  2. care plan (MHCP_COD) from 1 Jan 2012 to 31 Mar 2013               -> numerator
  3. mental health exception code (MHEX_COD) in the same 15 months    -> exception
  4. registered in the last 3 months                                 -> exception
  5. earliest psychosis code in the last 3 months                    -> exception
  6. everyone else on the register                                  -> denominator
"""

from simulator.qof.engines import IndicatorCounts

from .builders import CARE_PLAN, LITHIUM, MH_EXCEPTED, ev, mh_patient, patient


def test_care_plan_on_first_day_of_window_counts_one_day_earlier_does_not(engine):
    assert engine.outcomes("MH10", mh_patient(ev(CARE_PLAN, "2012-01-01")), mh_patient(ev(CARE_PLAN, "2011-12-31"))) == [
        "numerator", "denominator"]


def test_patients_on_the_register_through_lithium_are_counted(engine):
    assert engine.outcome("MH10", patient(ev(LITHIUM, "2013-01-01"), ev(CARE_PLAN, "2012-06-01"))) == "numerator"


def test_exceptions(engine):
    assert engine.outcomes("MH10", mh_patient(ev(MH_EXCEPTED, "2012-06-01")), mh_patient(registered="2013-01-01"),
                           mh_patient(diagnosed="2013-01-01")) == ["exception"] * 3


def test_practice_counts(engine):
    pc = engine([mh_patient(ev(CARE_PLAN, "2012-06-01")), mh_patient(), mh_patient(ev(MH_EXCEPTED, "2012-06-01"))])
    assert pc.indicators["MH10"] == IndicatorCounts(numerator=1, denominator=2, exceptions=1)
