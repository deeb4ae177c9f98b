"""AF07 — AF with a latest CHADS2 score above 1: treated with an anticoagulant.

Rule (rules_2012_13.yaml, ``indicators.AF07``), first rule that fires decides:
  1. not on the AF register                                                  -> reject
  2. the latest CHADS2 score on record (same day: the lowest) is not 2 or more  -> reject
  3. an anticoagulant (ANTICOAG_DRUG) issued from 1 Oct 2012 (6 months)       -> numerator
  4. anticoagulation contraindicated or declined (ANTICOAGEX_COD), 15 months  -> exception
  5. AF exception code (AFEX_COD), 15 months                                 -> exception
  6. registered in the last 3 months                                        -> exception
  7. earliest AF code in the last 3 months                                  -> exception
  8. everyone else                                                         -> denominator
"""

from .builders import ASPIRIN, CHADS2, WARFARIN, WARFARIN_DECLINED, af_patient, ev, step

SCORE2 = ev(CHADS2, "2010-06-01", 2)


def test_score_2_on_warfarin_is_in_numerator_on_aspirin_is_not(engine):
    assert engine.outcomes("AF07", af_patient(SCORE2, ev(WARFARIN, "2013-01-01")),
                           af_patient(SCORE2, ev(ASPIRIN, "2013-01-01"))) == ["numerator", "denominator"]


def test_a_score_of_1_is_not_in_the_population_any_older_score_counts(engine):
    assert engine.outcomes("AF07", af_patient(ev(CHADS2, "2012-06-01", 1)), af_patient(ev(CHADS2, "2001-06-01", 5))) == [
        "reject", "denominator"]


def test_same_day_scores_the_lowest_counts(engine):
    assert engine.outcome("AF07", af_patient(ev(CHADS2, "2012-06-01", 3), ev(CHADS2, "2012-06-01", 1))) == "reject"


def test_warfarin_declined_excepts(engine):
    p = af_patient(SCORE2, ev(WARFARIN_DECLINED, "2012-02-01"))
    assert engine.outcome("AF07", p) == "exception" and step("AF07", p) == ("exception", 4)


def test_new_patients_except(engine):
    assert engine.outcomes("AF07", af_patient(SCORE2, registered="2013-01-01"),
                           af_patient(SCORE2, diagnosed="2013-01-01")) == ["exception", "exception"]
