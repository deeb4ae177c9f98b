"""THYROI02 — hypothyroidism: thyroid function test recorded in the preceding 15 months.

Rule (rules_2012_13.yaml, ``indicators.THYROI02``), first rule that fires decides:
  1. not on the hypothyroidism register                                 -> reject
  2. a TSH (TSH_COD) from 1 Jan 2012                                     -> numerator
  3. hypothyroidism exception code (THYEX_COD), 15 months               -> exception
  4. registered in the last 3 months                                   -> exception
  5. earliest hypothyroidism code in the last 3 months                 -> exception
  6. everyone else on the register                                    -> denominator
"""

from .builders import HYPOTHYROID_EXCEPTED, TSH, ev, hypothyroid, patient


def test_tsh_on_first_day_of_window_counts_one_day_earlier_does_not(engine):
    assert engine.outcomes("THYROI02", hypothyroid(ev(TSH, "2012-01-01", 2.1)), hypothyroid(ev(TSH, "2011-12-31", 2.1))) == [
        "numerator", "denominator"]


def test_exceptions(engine):
    assert engine.outcomes("THYROI02", hypothyroid(ev(HYPOTHYROID_EXCEPTED, "2012-06-01")),
                           hypothyroid(registered="2013-01-01"), hypothyroid(diagnosed="2013-01-01")) == ["exception"] * 3


def test_not_on_the_register_not_counted(engine):
    assert engine.outcome("THYROI02", patient(ev(TSH, "2012-06-01"))) == "reject"
