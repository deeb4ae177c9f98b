"""SH03 — women prescribed emergency hormonal contraception: LARC information at the time or within a month.

Rule (rules_2012_13.yaml, ``indicators.SH03``), first rule that fires decides:
  1. not on the contraception register                                            -> reject
  2. no emergency contraception (EHC_DRUG) issued from 1 Apr 2012 (12 months)      -> reject
  3. LARC information (LARC_COD) on the day of the LATEST emergency contraception or
     up to 31 days after it                                                         -> numerator
  4. everyone else                                                                -> denominator
No exceptions.
"""

from .builders import EMERGENCY_CONTRACEPTION, LARC_INFO, PILL, ev, patient

EHC = EMERGENCY_CONTRACEPTION


def woman(*events):
    return patient(*events, sex="F", dob="1992-01-01")


def test_information_on_the_day_counts_31_days_after_counts_32_does_not(engine):
    assert engine.outcomes("SH03", woman(ev(EHC, "2012-10-01"), ev(LARC_INFO, "2012-10-01")),
                           woman(ev(EHC, "2012-10-01"), ev(LARC_INFO, "2012-11-01")),
                           woman(ev(EHC, "2012-10-01"), ev(LARC_INFO, "2012-11-02"))) == ["numerator", "numerator", "denominator"]


def test_information_before_the_issue_does_not_count(engine):
    assert engine.outcome("SH03", woman(ev(EHC, "2012-10-01"), ev(LARC_INFO, "2012-09-30"))) == "denominator"


def test_the_latest_issue_is_the_anchor(engine):
    p = woman(ev(EHC, "2012-05-01"), ev(LARC_INFO, "2012-05-02"), ev(EHC, "2013-01-01"))
    assert engine.outcome("SH03", p) == "denominator"


def test_women_on_the_pill_only_are_not_in_the_population(engine):
    assert engine.outcome("SH03", woman(ev(PILL, "2012-10-01"), ev(LARC_INFO, "2012-10-01"))) == "reject"
