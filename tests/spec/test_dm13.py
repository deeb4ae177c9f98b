"""DM13 — diabetes: micro-albuminuria testing in the preceding 15 months; proteinuria excepts.

Rule (rules_2012_13.yaml, ``indicators.DM13``), first rule that fires decides:
  1. not on the diabetes register (DM)                                    -> reject
  2. urine albumin:creatinine ratio / microalbumin test (ACR_COD) from
     1 Jan 2012 to 31 Mar 2013                                            -> numerator
  3. proteinuria (PRT_COD) ever coded: the test is moot                    -> exception
  4. diabetes exception code (DMEX_COD) in the same 15 months             -> exception
  5. registered at the practice in the last 3 months                     -> exception
  6. earliest diabetes code in the last 3 months                         -> exception
  7. everyone else on the register                                      -> denominator
"""

from simulator.qof.engines import IndicatorCounts

from .builders import ACR, DM_EXCEPTED, MICROALBUMINURIA, PCR, PROTEINURIA, ctv3, diabetic, ev, step


def test_acr_in_window_is_in_numerator(engine):
    assert engine.outcome("DM13", diabetic(ev(ACR, "2012-10-01", 2.1))) == "numerator"


def test_acr_on_first_day_of_window_counts_one_day_earlier_does_not(engine):
    assert engine.outcomes("DM13", diabetic(ev(ACR, "2012-01-01")), diabetic(ev(ACR, "2011-12-31"))) == [
        "numerator", "denominator"]


def test_a_protein_creatinine_ratio_is_not_a_microalbumin_test(engine):
    assert engine.outcome("DM13", diabetic(ev(PCR, "2012-10-01"))) == "denominator"


def test_proteinuria_at_any_time_excepts_an_untested_patient(engine):
    p = diabetic(ev(PROTEINURIA, "2004-01-01"))
    assert engine.outcome("DM13", p) == "exception" and step("DM13", p) == ("exception", 3)


def test_proteinuria_does_not_except_a_tested_patient(engine):
    assert engine.outcome("DM13", diabetic(ev(PROTEINURIA, "2004-01-01"), ev(ACR, "2012-10-01"))) == "numerator"


def test_microalbuminuria_is_not_proteinuria(engine):
    assert engine.outcome("DM13", diabetic(ev(MICROALBUMINURIA, "2010-01-01"))) == "denominator"


def test_exception_code_and_new_registration_except(engine):
    assert engine.outcomes("DM13", diabetic(ev(DM_EXCEPTED, "2012-02-01")), diabetic(registered="2013-02-01"),
                           diabetic(diagnosed="2013-02-01")) == ["exception"] * 3


def test_tpp_ctv3_codes_counted(engine):
    assert engine.outcome("DM13", diabetic(ctv3(ACR, "2012-10-01"))) == "numerator"


def test_practice_counts(engine):
    pc = engine([diabetic(ev(ACR, "2012-10-01")), diabetic(ev(PROTEINURIA, "2009-01-01")), diabetic()])
    assert pc.indicators["DM13"] == IndicatorCounts(numerator=1, denominator=2, exceptions=1)
