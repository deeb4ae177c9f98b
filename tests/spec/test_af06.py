"""AF06 — AF with a CHADS2 score of 1 (latest in the preceding 15 months): treated with an anticoagulant or an antiplatelet.

Rule (rules_2012_13.yaml, ``indicators.AF06``), first rule that fires decides:
  1. not on the AF register                                                   -> reject
  2. the latest CHADS2 score from 1 Jan 2012 (15 months; same day: the lowest)
     is not exactly 1 (2012/13 wording [S]: "latest in the preceding 15 months") -> reject
  3. an anticoagulant or antiplatelet issued from 1 Oct 2012 (6 months)         -> numerator
  4. both anticoagulation (ANTICOAGEX_COD) and aspirin (ANTIPLTEX_COD)
     contraindicated or declined in the last 15 months                        -> exception
  5. AF exception code (AFEX_COD), 15 months                                  -> exception
  6. registered in the last 3 months                                         -> exception
  7. earliest AF code in the last 3 months                                   -> exception
  8. everyone else                                                          -> denominator
"""

from .builders import AF_EXCEPTED, ASPIRIN, ASPIRIN_REFUSED, CHADS2, WARFARIN, WARFARIN_DECLINED, af_patient, ev, step

SCORE1 = ev(CHADS2, "2012-06-01", 1)


def test_score_1_on_aspirin_or_warfarin_is_in_numerator(engine):
    assert engine.outcomes("AF06", af_patient(SCORE1, ev(ASPIRIN, "2013-01-01")),
                           af_patient(SCORE1, ev(WARFARIN, "2013-01-01"))) == ["numerator", "numerator"]


def test_scores_0_and_2_are_not_in_the_population(engine):
    assert engine.outcomes("AF06", af_patient(ev(CHADS2, "2012-06-01", 0)), af_patient(ev(CHADS2, "2012-06-01", 2)),
                           af_patient()) == ["reject"] * 3


def test_the_latest_score_decides(engine):
    assert engine.outcome("AF06", af_patient(ev(CHADS2, "2010-06-01", 1), ev(CHADS2, "2012-06-01", 2))) == "reject"


def test_a_score_of_1_older_than_15_months_does_not_count(engine):
    assert engine.outcomes("AF06", af_patient(ev(CHADS2, "2012-01-01", 1), ev(ASPIRIN, "2013-01-01")),
                           af_patient(ev(CHADS2, "2011-12-31", 1), ev(ASPIRIN, "2013-01-01"))) == ["numerator", "reject"]


def test_issue_on_first_day_of_6_month_window_counts_one_day_earlier_does_not(engine):
    assert engine.outcomes("AF06", af_patient(SCORE1, ev(ASPIRIN, "2012-10-01")),
                           af_patient(SCORE1, ev(ASPIRIN, "2012-09-30"))) == ["numerator", "denominator"]


def test_only_both_drugs_declined_excepts(engine):
    both = af_patient(SCORE1, ev(WARFARIN_DECLINED, "2012-06-01"), ev(ASPIRIN_REFUSED, "2012-06-01"))
    one = af_patient(SCORE1, ev(WARFARIN_DECLINED, "2012-06-01"))
    assert engine.outcomes("AF06", both, one) == ["exception", "denominator"]
    assert step("AF06", both) == ("exception", 4)


def test_af_exception_code_excepts(engine):
    assert step("AF06", af_patient(SCORE1, ev(AF_EXCEPTED, "2012-06-01"))) == ("exception", 5)
