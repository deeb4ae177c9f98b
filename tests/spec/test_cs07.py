"""CS07 — a protocol for managing cervical screening: call and recall.

A yes/no indicator that GPES extracts: the records give the evidence, and CQRS scores "yes" when
the numerator is at least 1 (see "Yes/no indicators" in rules_2012_13.yaml).

Rule (rules_2012_13.yaml, ``indicators.CS07``), first rule that fires decides:
  1. not a woman; under 25 or 65 and over on 31 Mar 2013                  -> reject
  2. after a hysterectomy (HYST_COD, ever)                                -> reject
  3. a cervical screening test (CYT_COD) from 1 Apr 2008 (5 years): not due -> reject
  4. invited (CSINV_COD) from 1 Jan 2012 (15 months)                      -> numerator
  5. everyone else who is due                                             -> denominator
No exceptions.
"""

from .builders import HYSTERECTOMY, SCREENING_INVITATION, SMEAR, ev, patient


def woman(*events, dob="1975-05-01"):
    return patient(*events, sex="F", dob=dob)


def test_a_woman_due_a_test_and_invited_in_15_months_is_the_evidence(engine):
    assert engine.outcomes("CS07", woman(ev(SCREENING_INVITATION, "2012-01-01")),
                           woman(ev(SCREENING_INVITATION, "2011-12-31")),
                           woman()) == ["numerator", "denominator", "denominator"]


def test_women_screened_in_5_years_are_not_due(engine):
    assert engine.outcomes("CS07", woman(ev(SMEAR, "2008-04-01"), ev(SCREENING_INVITATION, "2012-06-01")),
                           woman(ev(SMEAR, "2008-03-31"), ev(SCREENING_INVITATION, "2012-06-01"))) == [
        "reject", "numerator"]


def test_hysterectomy_age_and_sex_take_a_patient_out(engine):
    assert engine.outcomes("CS07", woman(ev(HYSTERECTOMY, "2001-01-01"), ev(SCREENING_INVITATION, "2012-06-01")),
                           woman(ev(SCREENING_INVITATION, "2012-06-01"), dob="1948-03-31"),
                           patient(ev(SCREENING_INVITATION, "2012-06-01"), sex="M", dob="1975-05-01")) == [
        "reject", "reject", "reject"]
