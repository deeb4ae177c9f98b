"""DM21 — diabetes: retinal screening recorded in the preceding 15 months.

Rule (rules_2012_13.yaml, ``indicators.DM21``), first rule that fires decides:
  1. not on the diabetes register (DM)                                 -> reject
  2. retinal screening (RETSCR_COD) from 1 Jan 2012 to 31 Mar 2013      -> numerator
  3. diabetes exception code (DMEX_COD) in the same 15 months          -> exception
  4. registered in the last 3 months                                  -> exception
  5. earliest diabetes code in the last 3 months                      -> exception
  6. everyone else on the register                                   -> denominator
"""

from .builders import DM_EXCEPTED, RETINAL_SCREEN, ctv3, diabetic, ev, patient


def test_screening_in_window_is_in_numerator(engine):
    assert engine.outcome("DM21", diabetic(ev(RETINAL_SCREEN, "2012-06-01"))) == "numerator"


def test_screening_on_first_day_of_window_counts_one_day_earlier_does_not(engine):
    assert engine.outcomes("DM21", diabetic(ev(RETINAL_SCREEN, "2012-01-01")),
                           diabetic(ev(RETINAL_SCREEN, "2011-12-31"))) == ["numerator", "denominator"]


def test_exceptions(engine):
    assert engine.outcomes("DM21", diabetic(ev(DM_EXCEPTED, "2012-01-01")), diabetic(registered="2013-01-01"),
                           diabetic(diagnosed="2013-01-01"), diabetic(diagnosed="2012-12-31")) == [
        "exception", "exception", "exception", "denominator"]


def test_not_diabetic_not_counted(engine):
    assert engine.outcome("DM21", patient(ev(RETINAL_SCREEN, "2012-06-01"))) == "reject"


def test_tpp_ctv3_codes_counted(engine):
    assert engine.outcome("DM21", diabetic(ctv3(RETINAL_SCREEN, "2012-06-01"))) == "numerator"
