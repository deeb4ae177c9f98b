"""STROKE12 — non-haemorrhagic stroke or TIA: an antiplatelet or anticoagulant recorded in 15 months.

Rule (rules_2012_13.yaml, ``indicators.STROKE12``), first rule that fires decides:
  1. not on the stroke/TIA register                                            -> reject
  2. no ischaemic/unspecified stroke (STRK_COD) or TIA (TIA_COD) code: a
     haemorrhagic stroke only                                                   -> reject
  3. an antiplatelet or anticoagulant issued from 1 Jan 2012 (15 months)         -> numerator
  4. aspirin contraindicated/refused (ANTIPLTEX_COD), 15 months                  -> exception
  5. stroke exception code (STIAEX_COD), 15 months                               -> exception
  6. registered in the last 3 months                                            -> exception
  7. earliest stroke (non-haemorrhagic) or TIA code in the last 3 months        -> exception
  8. everyone else                                                             -> denominator
"""

from .builders import ASPIRIN, ASPIRIN_REFUSED, STROKE_HAEM, TIA, WARFARIN, ev, patient, step, stroke_patient


def test_stroke_or_tia_on_aspirin_or_warfarin_is_in_numerator(engine):
    assert engine.outcomes("STROKE12", stroke_patient(ev(ASPIRIN, "2012-12-01")),
                           patient(ev(TIA, "2011-01-01"), ev(WARFARIN, "2012-12-01"))) == ["numerator", "numerator"]


def test_haemorrhagic_stroke_only_is_not_in_the_population(engine):
    p = patient(ev(STROKE_HAEM, "2011-01-01"), ev(ASPIRIN, "2012-12-01"))
    assert engine.outcome("STROKE12", p) == "reject" and step("STROKE12", p) == ("reject", 2)


def test_haemorrhage_and_a_tia_is_in_the_population(engine):
    assert engine.outcome("STROKE12", patient(ev(STROKE_HAEM, "2011-01-01"), ev(TIA, "2009-01-01"))) == "denominator"


def test_issue_on_first_day_of_15_month_window_counts_one_day_earlier_does_not(engine):
    assert engine.outcomes("STROKE12", stroke_patient(ev(ASPIRIN, "2012-01-01")), stroke_patient(ev(ASPIRIN, "2011-12-31"))) == [
        "numerator", "denominator"]


def test_aspirin_refused_excepts(engine):
    assert step("STROKE12", stroke_patient(ev(ASPIRIN_REFUSED, "2012-03-01"))) == ("exception", 4)
    assert engine.outcome("STROKE12", stroke_patient(ev(ASPIRIN_REFUSED, "2012-03-01"))) == "exception"
