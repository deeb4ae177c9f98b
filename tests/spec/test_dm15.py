"""DM15 — diabetes with proteinuria or micro-albuminuria: treated with an ACE inhibitor or ARB.

Rule (rules_2012_13.yaml, ``indicators.DM15``), first rule that fires decides:
  1. not on the diabetes register (DM)                                      -> reject
  2. never coded with proteinuria (PRT_COD) or micro-albuminuria (MAL_COD)   -> reject
  3. an ACE inhibitor or ARB issued (ACEARB_DRUG) from 1 Oct 2012 (6 months) -> numerator
  4. ACE/ARB contraindicated, declined or not tolerated (ACEARBEX_COD),
     from 1 Jan 2012 (15 months)                                            -> exception
  5. diabetes exception code (DMEX_COD) in the same 15 months               -> exception
  6. registered at the practice in the last 3 months                       -> exception
  7. proteinuria / micro-albuminuria first coded in the last 3 months      -> exception
  8. everyone else                                                        -> denominator
"""

from .builders import (ACE_DECLINED, ACE_INHIBITOR, ARB, DM_EXCEPTED, MICROALBUMINURIA, PROTEINURIA, diabetic,
                       ev, step)

PRT = ev(PROTEINURIA, "2009-05-01")


def test_proteinuria_and_an_ace_inhibitor_is_in_numerator(engine):
    assert engine.outcome("DM15", diabetic(PRT, ev(ACE_INHIBITOR, "2013-02-01"))) == "numerator"


def test_microalbuminuria_and_an_arb_is_in_numerator(engine):
    p = diabetic(ev(MICROALBUMINURIA, "2010-01-01"), ev(ARB, "2013-02-01"))
    assert engine.outcome("DM15", p) == "numerator"


def test_without_proteinuria_or_microalbuminuria_not_in_the_population(engine):
    p = diabetic(ev(ACE_INHIBITOR, "2013-02-01"))
    assert engine.outcome("DM15", p) == "reject" and step("DM15", p) == ("reject", 2)


def test_drug_issued_on_first_day_of_6_month_window_counts_one_day_earlier_does_not(engine):
    assert engine.outcomes("DM15", diabetic(PRT, ev(ACE_INHIBITOR, "2012-10-01")),
                           diabetic(PRT, ev(ACE_INHIBITOR, "2012-09-30"))) == ["numerator", "denominator"]


def test_decline_code_excepts_an_untreated_patient_only(engine):
    assert engine.outcomes("DM15", diabetic(PRT, ev(ACE_DECLINED, "2012-03-01")),
                           diabetic(PRT, ev(ACE_DECLINED, "2012-03-01"), ev(ARB, "2013-01-01"))) == [
        "exception", "numerator"]


def test_decline_code_before_15_month_window_does_not_except(engine):
    assert engine.outcome("DM15", diabetic(PRT, ev(ACE_DECLINED, "2011-12-31"))) == "denominator"


def test_diabetes_exception_code_excepts(engine):
    p = diabetic(PRT, ev(DM_EXCEPTED, "2012-05-01"))
    assert step("DM15", p) == ("exception", 5) and engine.outcome("DM15", p) == "exception"


def test_proteinuria_first_coded_within_3_months_excepts(engine):
    p = diabetic(ev(PROTEINURIA, "2013-01-01"))
    assert step("DM15", p) == ("exception", 7) and engine.outcome("DM15", p) == "exception"
    assert engine.outcome("DM15", diabetic(ev(PROTEINURIA, "2012-12-31"))) == "denominator"
