"""AF05 — AF: stroke risk assessed with CHADS2 in the preceding 15 months (unless a previous score was above 1).

Rule (rules_2012_13.yaml, ``indicators.AF05``), first rule that fires decides:
  1. not on the AF register                                                   -> reject
  2. a CHADS2 score (CHADS2_COD) from 1 Jan 2012 (15 months), whatever its value -> numerator
  3. the latest CHADS2 score on record (so an older one) is 2 or more           -> reject
  4. AF exception code (AFEX_COD) in the last 15 months                        -> exception
  5. registered in the last 3 months                                          -> exception
  6. earliest AF code in the last 3 months                                    -> exception
  7. everyone else                                                           -> denominator
"""

from .builders import AF_EXCEPTED, CHADS2, af_patient, ev, step


def test_score_in_window_is_in_numerator_whatever_its_value(engine):
    assert engine.outcomes("AF05", af_patient(ev(CHADS2, "2012-06-01", 0)), af_patient(ev(CHADS2, "2012-06-01", 4))) == [
        "numerator", "numerator"]


def test_score_one_day_before_window_does_not_count(engine):
    assert engine.outcome("AF05", af_patient(ev(CHADS2, "2011-12-31", 1))) == "denominator"


def test_an_older_score_of_2_takes_the_patient_out_a_score_of_1_does_not(engine):
    high, low = af_patient(ev(CHADS2, "2011-06-01", 2)), af_patient(ev(CHADS2, "2011-06-01", 1))
    assert engine.outcomes("AF05", high, low) == ["reject", "denominator"]
    assert step("AF05", high) == ("reject", 3)


def test_only_the_latest_older_score_matters(engine):
    assert engine.outcome("AF05", af_patient(ev(CHADS2, "2009-06-01", 3), ev(CHADS2, "2011-06-01", 1))) == "denominator"


def test_exceptions(engine):
    assert engine.outcomes("AF05", af_patient(ev(AF_EXCEPTED, "2012-06-01")), af_patient(registered="2013-01-01"),
                           af_patient(diagnosed="2013-01-01")) == ["exception"] * 3
