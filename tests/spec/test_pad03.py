"""PAD03 — PAD: last blood pressure (preceding 15 months) 150/90 or less (an outcome).

Rule (rules_2012_13.yaml, ``indicators.PAD03``), first rule that fires decides:
  1. not on the PAD register                                               -> reject
  2. the latest BP from 1 Jan 2012 is <= 150/90 (same day: the lowest of each) -> numerator
  3. PAD exception code (PADEX_COD), 15 months                             -> exception
  4. maximal tolerated antihypertensive therapy (MAXBP_COD), 15 months     -> exception
  5. registered in the last 9 months                                      -> exception
  6. earliest PAD code in the last 9 months                               -> exception
  7. everyone else                                                       -> denominator
"""

from .builders import BP, MAX_BP_THERAPY, PAD_EXCEPTED, ev, pad_patient, step


def test_150_over_90_is_in_numerator_151_is_not(engine):
    assert engine.outcomes("PAD03", pad_patient(ev(BP, "2012-10-01", 150, 90)), pad_patient(ev(BP, "2012-10-01", 151, 90))) == [
        "numerator", "denominator"]


def test_reading_before_the_window_does_not_count(engine):
    assert engine.outcome("PAD03", pad_patient(ev(BP, "2011-12-31", 120, 70))) == "denominator"


def test_exceptions_in_order(engine):
    assert step("PAD03", pad_patient(ev(PAD_EXCEPTED, "2012-05-01"))) == ("exception", 3)
    assert step("PAD03", pad_patient(ev(MAX_BP_THERAPY, "2012-05-01"))) == ("exception", 4)
    assert engine.outcomes("PAD03", pad_patient(registered="2012-07-01"), pad_patient(diagnosed="2012-07-01")) == [
        "exception", "exception"]
