"""CHS01 — child development checks offered at the intervals in national guidance.

A yes/no indicator that GPES extracts: the records give the evidence, and CQRS scores "yes" when
the numerator is at least 1 (see "Yes/no indicators" in rules_2012_13.yaml).

Rule (rules_2012_13.yaml, ``indicators.CHS01``), first rule that fires decides:
  1. aged 5 or over on 31 Mar 2013                                        -> reject
  2. a development check (CDEV_COD) from 1 Apr 2012 (12 months)           -> numerator
  3. every other child under 5                                            -> denominator
No exceptions.
"""

from .builders import CHILD_DEVELOPMENT_CHECK, ev, patient


def child(*events, dob="2011-06-01"):
    return patient(*events, dob=dob, registered=dob)


def test_a_check_in_the_last_12_months_is_evidence(engine):
    assert engine.outcomes("CHS01", child(ev(CHILD_DEVELOPMENT_CHECK, "2012-04-01")),
                           child(ev(CHILD_DEVELOPMENT_CHECK, "2012-03-31")),
                           child()) == ["numerator", "denominator", "denominator"]


def test_children_who_are_5_on_the_achievement_date_are_out(engine):
    assert engine.outcomes("CHS01", child(ev(CHILD_DEVELOPMENT_CHECK, "2012-06-01"), dob="2008-04-01"),
                           child(ev(CHILD_DEVELOPMENT_CHECK, "2012-06-01"), dob="2008-03-31")) == [
        "numerator", "reject"]
