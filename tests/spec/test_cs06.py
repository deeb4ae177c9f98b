"""CS06 — a policy for auditing the cervical screening service, including inadequate samples.

A yes/no indicator that GPES extracts: the records give the evidence, and CQRS scores "yes" when
the numerator is at least 1 (see "Yes/no indicators" in rules_2012_13.yaml).

Rule (rules_2012_13.yaml, ``indicators.CS06``), first rule that fires decides:
  1. not a woman                                                           -> reject
  2. under 25, or 65 or over, on 31 Mar 2013                               -> reject
  3. no inadequate sample (CYTINAD_COD) from 1 Apr 2011 (2 years)          -> reject
  4. a new test (CYT_COD) 1 to 91 days after the LATEST inadequate sample  -> numerator
  5. everyone else                                                         -> denominator
No exceptions.
"""

from .builders import SMEAR, SMEAR_INADEQUATE, ev, patient


def woman(*events, dob="1970-05-01"):
    return patient(*events, sex="F", dob=dob)


def test_a_repeat_test_within_91_days_follows_the_inadequate_sample_up(engine):
    assert engine.outcomes("CS06", woman(ev(SMEAR_INADEQUATE, "2012-06-01"), ev(SMEAR, "2012-08-31")),
                           woman(ev(SMEAR_INADEQUATE, "2012-06-01"), ev(SMEAR, "2012-09-01")),
                           woman(ev(SMEAR_INADEQUATE, "2012-06-01"), ev(SMEAR, "2012-06-01"))) == [
        "numerator", "denominator", "denominator"]


def test_the_latest_inadequate_sample_is_the_anchor(engine):
    p = woman(ev(SMEAR_INADEQUATE, "2012-01-10"), ev(SMEAR, "2012-02-10"), ev(SMEAR_INADEQUATE, "2012-11-01"))
    assert engine.outcome("CS06", p) == "denominator"


def test_only_inadequate_samples_of_the_last_2_years_and_women_25_to_64(engine):
    assert engine.outcomes("CS06", woman(ev(SMEAR_INADEQUATE, "2011-04-01"), ev(SMEAR, "2011-05-01")),
                           woman(ev(SMEAR_INADEQUATE, "2011-03-31"), ev(SMEAR, "2011-05-01")),
                           woman(ev(SMEAR_INADEQUATE, "2012-06-01"), dob="1988-03-31"),
                           woman(ev(SMEAR_INADEQUATE, "2012-06-01"), dob="1988-04-01"),
                           patient(ev(SMEAR_INADEQUATE, "2012-06-01"), sex="M")) == [
        "numerator", "reject", "denominator", "reject", "reject"]
