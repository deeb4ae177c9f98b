"""MH18 — patients on lithium: latest lithium level in the preceding 4 months in the therapeutic range.

Rule (rules_2012_13.yaml, ``indicators.MH18``), first rule that fires decides:
  1. not on the mental health register                                            -> reject
  2. no lithium issued from 1 Oct 2012 (6 months)                                 -> reject
  3. the latest lithium level (LITHLEV_COD) from 1 Dec 2012 (4 months) is from 0.4 to
     1.0 mmol/l inclusive (same day: the lowest)                                  -> numerator
  4. mental health exception code (MHEX_COD), 15 months                          -> exception
  5. registered in the last 3 months                                            -> exception
  6. everyone else                                                             -> denominator
"""

from .builders import LITHIUM, LITHIUM_LEVEL, ev, mh_patient

LI = ev(LITHIUM, "2013-01-10")


def test_levels_of_0_4_and_1_0_are_in_range(engine):
    assert engine.outcomes("MH18", mh_patient(LI, ev(LITHIUM_LEVEL, "2013-02-01", 0.4)),
                           mh_patient(LI, ev(LITHIUM_LEVEL, "2013-02-01", 1.0))) == ["numerator", "numerator"]


def test_levels_of_0_39_and_1_01_are_not(engine):
    assert engine.outcomes("MH18", mh_patient(LI, ev(LITHIUM_LEVEL, "2013-02-01", 0.39)),
                           mh_patient(LI, ev(LITHIUM_LEVEL, "2013-02-01", 1.01))) == ["denominator", "denominator"]


def test_level_on_first_day_of_4_month_window_counts_one_day_earlier_does_not(engine):
    assert engine.outcomes("MH18", mh_patient(LI, ev(LITHIUM_LEVEL, "2012-12-01", 0.6)),
                           mh_patient(LI, ev(LITHIUM_LEVEL, "2012-11-30", 0.6))) == ["numerator", "denominator"]


def test_the_latest_level_decides(engine):
    p = mh_patient(LI, ev(LITHIUM_LEVEL, "2012-12-10", 0.6), ev(LITHIUM_LEVEL, "2013-03-01", 1.3))
    assert engine.outcome("MH18", p) == "denominator"


def test_a_level_without_a_value_does_not_count(engine):
    assert engine.outcome("MH18", mh_patient(LI, ev(LITHIUM_LEVEL, "2013-02-01"))) == "denominator"
