"""DM10 — diabetes: neuropathy testing recorded in the preceding 15 months (a process indicator).

Rule (rules_2012_13.yaml, ``indicators.DM10``), first rule that fires decides:
  1. not on the diabetes register (DM)                                   -> reject
  2. neuropathy testing (NEURO_COD) from 1 Jan 2012 to 31 Mar 2013       -> numerator
  3. diabetes exception code (DMEX_COD) in the same 15 months            -> exception
  4. registered at the practice in the last 3 months (from 1 Jan 2013)    -> exception
  5. earliest diabetes code in the last 3 months                        -> exception
  6. everyone else on the register                                     -> denominator
"""

from .builders import DM_EXCEPTED, FOOT_RISK, NEUROPATHY_TEST, ctv3, diabetic, ev, patient, step


def test_neuropathy_test_in_window_is_in_numerator(engine):
    assert engine.outcome("DM10", diabetic(ev(NEUROPATHY_TEST, "2012-10-01"))) == "numerator"


def test_test_on_first_day_of_15_month_window_counts_one_day_earlier_does_not(engine):
    assert engine.outcomes("DM10", diabetic(ev(NEUROPATHY_TEST, "2012-01-01")),
                           diabetic(ev(NEUROPATHY_TEST, "2011-12-31"))) == ["numerator", "denominator"]


def test_a_foot_risk_classification_is_not_a_neuropathy_test(engine):
    assert engine.outcome("DM10", diabetic(ev(FOOT_RISK, "2012-10-01"))) == "denominator"


def test_exception_only_when_not_tested(engine):
    assert engine.outcomes("DM10", diabetic(ev(DM_EXCEPTED, "2012-06-01")),
                           diabetic(ev(DM_EXCEPTED, "2012-06-01"), ev(NEUROPATHY_TEST, "2012-10-01"))) == [
        "exception", "numerator"]


def test_exception_code_one_day_before_window_does_not_except(engine):
    assert engine.outcome("DM10", diabetic(ev(DM_EXCEPTED, "2011-12-31"))) == "denominator"


def test_newly_registered_and_newly_diagnosed_are_excepted(engine):
    reg, new = diabetic(registered="2013-01-01"), diabetic(diagnosed="2013-01-01")
    assert engine.outcomes("DM10", reg, new) == ["exception", "exception"]
    assert (step("DM10", reg), step("DM10", new)) == (("exception", 4), ("exception", 5))


def test_not_on_register_or_too_young_not_counted(engine):
    assert engine.outcomes("DM10", patient(ev(NEUROPATHY_TEST, "2012-10-01")),
                           diabetic(ev(NEUROPATHY_TEST, "2012-10-01"), dob="1996-04-01")) == ["reject", "reject"]


def test_tpp_ctv3_codes_counted(engine):
    assert engine.outcome("DM10", diabetic(ctv3(NEUROPATHY_TEST, "2012-10-01"))) == "numerator"
