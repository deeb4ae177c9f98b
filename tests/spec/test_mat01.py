"""MAT01 — antenatal care and screening offered according to current local guidelines.

A yes/no indicator that GPES extracts: the records give the evidence, and CQRS scores "yes" when
the numerator is at least 1 (see "Yes/no indicators" in rules_2012_13.yaml).

Rule (rules_2012_13.yaml, ``indicators.MAT01``), first rule that fires decides:
  1. not a woman                                                          -> reject
  2. no pregnancy (PREG_COD) recorded from 1 Apr 2012 (12 months)         -> reject
  3. antenatal booking or screening (ANTE_COD) in the same 12 months      -> numerator
  4. every other woman pregnant in the year                               -> denominator
No exceptions.
"""

from .builders import ANTENATAL_BOOKING, PREGNANT, ev, patient


def woman(*events):
    return patient(*events, sex="F", dob="1985-02-01")


def test_a_pregnancy_with_antenatal_booking_in_the_year_is_evidence(engine):
    assert engine.outcomes("MAT01", woman(ev(PREGNANT, "2012-09-01"), ev(ANTENATAL_BOOKING, "2012-10-01")),
                           woman(ev(PREGNANT, "2012-09-01"), ev(ANTENATAL_BOOKING, "2012-03-31")),
                           woman(ev(PREGNANT, "2012-09-01"))) == ["numerator", "denominator", "denominator"]


def test_a_pregnancy_before_the_year_is_not_in_the_population(engine):
    assert engine.outcomes("MAT01", woman(ev(PREGNANT, "2012-03-31"), ev(ANTENATAL_BOOKING, "2012-04-02")),
                           patient(ev(PREGNANT, "2012-09-01"), sex="M")) == ["reject", "reject"]
