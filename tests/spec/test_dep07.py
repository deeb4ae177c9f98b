"""DEP07 — new depression with a severity assessment at the outset: reassessed 2 to 12 weeks later.

Rule (rules_2012_13.yaml, ``indicators.DEP07``), first rule that fires decides:
  1. aged under 18 on the achievement date                                       -> reject
  2. the earliest depression code is before 1 Apr 2012, or none                  -> reject
  3. not assessed from 14 days before to 14 days after that code (DEP06's numerator) -> reject
  4. another assessment 14 to 84 days (2-12 weeks) after the first assessment     -> numerator
  5. depression exception code (DEPEX_COD), 15 months                            -> exception
  6. first diagnosed in the last 3 months (no time yet to reassess)              -> exception
  7. everyone else                                                             -> denominator
"""

from .builders import DEP_EXCEPTED, DEP_SEVERITY, DEPRESSION, ev, patient, step


def assessed(*events, diagnosed="2012-09-01", first="2012-09-01", **kw):
    return patient(ev(DEPRESSION, diagnosed), ev(DEP_SEVERITY, first, 18), *events, **kw)


def test_reassessed_after_6_weeks_is_in_numerator(engine):
    assert engine.outcome("DEP07", assessed(ev(DEP_SEVERITY, "2012-10-13", 9))) == "numerator"


def test_reassessed_14_and_84_days_later_counts_13_and_85_do_not(engine):
    assert engine.outcomes("DEP07", assessed(ev(DEP_SEVERITY, "2012-09-15")), assessed(ev(DEP_SEVERITY, "2012-11-24")),
                           assessed(ev(DEP_SEVERITY, "2012-09-14")), assessed(ev(DEP_SEVERITY, "2012-11-25"))) == [
        "numerator", "numerator", "denominator", "denominator"]


def test_not_assessed_at_the_outset_not_in_the_population(engine):
    p = patient(ev(DEPRESSION, "2012-09-01"), ev(DEP_SEVERITY, "2012-10-13"))
    assert step("DEP07", p) == ("reject", 3) and engine.outcome("DEP07", p) == "reject"


def test_exceptions(engine):
    assert engine.outcomes("DEP07", assessed(ev(DEP_EXCEPTED, "2012-10-01")),
                           assessed(diagnosed="2013-01-01", first="2013-01-01"),
                           assessed(diagnosed="2012-12-31", first="2012-12-31")) == ["exception", "exception", "denominator"]
