"""SH02 — women prescribed an oral or patch contraceptive: LARC information in the preceding 15 months.

Rule (rules_2012_13.yaml, ``indicators.SH02``), first rule that fires decides:
  1. not on the contraception register                                         -> reject
  2. no oral or patch contraceptive (OCP_DRUG) issued from 1 Apr 2012 (12 months) -> reject
  3. information about long-acting reversible contraception (LARC_COD) from
     1 Jan 2012 (15 months)                                                      -> numerator
  4. everyone else                                                             -> denominator
No exceptions.
"""

from .builders import EMERGENCY_CONTRACEPTION, LARC_INFO, PILL, ev, patient


def on_pill(*events):
    return patient(ev(PILL, "2012-11-01"), *events, sex="F", dob="1990-01-01")


def test_larc_information_in_15_months_counts_one_day_earlier_does_not(engine):
    assert engine.outcomes("SH02", on_pill(ev(LARC_INFO, "2012-01-01")), on_pill(ev(LARC_INFO, "2011-12-31"))) == [
        "numerator", "denominator"]


def test_other_methods_are_not_in_the_population(engine):
    p = patient(ev(EMERGENCY_CONTRACEPTION, "2012-11-01"), ev(LARC_INFO, "2012-11-01"), sex="F")
    assert engine.outcome("SH02", p) == "reject"
