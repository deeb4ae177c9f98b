"""PAD02 — PAD: aspirin or another antiplatelet recorded in the preceding 15 months.

Rule (rules_2012_13.yaml, ``indicators.PAD02``), first rule that fires decides:
  1. not on the PAD register                                                -> reject
  2. aspirin or another antiplatelet (ANTIPLT_DRUG) issued from 1 Jan 2012   -> numerator
  3. aspirin contraindicated/refused (ANTIPLTEX_COD), 15 months             -> exception
  4. PAD exception code (PADEX_COD), 15 months                              -> exception
  5. registered in the last 3 months                                       -> exception
  6. earliest PAD code in the last 3 months                                -> exception
  7. everyone else                                                        -> denominator
An anticoagulant alone does not count (unlike CHD09).
"""

from .builders import ASPIRIN, ASPIRIN_REFUSED, CLOPIDOGREL, WARFARIN, ev, pad_patient, step


def test_aspirin_or_clopidogrel_counts_warfarin_alone_does_not(engine):
    assert engine.outcomes("PAD02", pad_patient(ev(ASPIRIN, "2012-06-01")), pad_patient(ev(CLOPIDOGREL, "2012-06-01")),
                           pad_patient(ev(WARFARIN, "2012-06-01"))) == ["numerator", "numerator", "denominator"]


def test_issue_one_day_before_the_window_does_not_count(engine):
    assert engine.outcome("PAD02", pad_patient(ev(ASPIRIN, "2011-12-31"))) == "denominator"


def test_aspirin_refused_excepts(engine):
    assert step("PAD02", pad_patient(ev(ASPIRIN_REFUSED, "2012-06-01"))) == ("exception", 3)
