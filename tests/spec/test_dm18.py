"""DM18 — diabetes: influenza immunisation from 1 September 2012 to 31 March 2013.

Rule (rules_2012_13.yaml, ``indicators.DM18``), first rule that fires decides:
  1. not on the diabetes register (DM)                                        -> reject
  2. influenza immunisation (FLU_COD) from 1 Sep 2012 (a fixed day: ``since``) -> numerator
  3. immunisation declined or contraindicated (FLUEX_COD) since 1 Sep 2012     -> exception
  4. diabetes exception code (DMEX_COD) in the last 15 months                 -> exception
  5. registered in the last 3 months                                        -> exception
  6. earliest diabetes code in the last 3 months                            -> exception
  7. everyone else on the register                                          -> denominator
"""

from .builders import DM_EXCEPTED, FLU, FLU_DECLINED, ctv3, diabetic, ev, step


def test_flu_jab_in_the_season_is_in_numerator(engine):
    assert engine.outcome("DM18", diabetic(ev(FLU, "2012-10-15"))) == "numerator"


def test_flu_jab_on_1_september_counts_on_31_august_does_not(engine):
    assert engine.outcomes("DM18", diabetic(ev(FLU, "2012-09-01")), diabetic(ev(FLU, "2012-08-31"))) == [
        "numerator", "denominator"]


def test_last_seasons_jab_does_not_count(engine):
    assert engine.outcome("DM18", diabetic(ev(FLU, "2011-10-15"))) == "denominator"


def test_flu_jab_on_achievement_date_counts(engine):
    assert engine.outcome("DM18", diabetic(ev(FLU, "2013-03-31"))) == "numerator"


def test_declined_this_season_excepts_declined_last_season_does_not(engine):
    this, last = diabetic(ev(FLU_DECLINED, "2012-09-01")), diabetic(ev(FLU_DECLINED, "2012-08-31"))
    assert engine.outcomes("DM18", this, last) == ["exception", "denominator"]
    assert step("DM18", this) == ("exception", 3)


def test_declined_then_vaccinated_is_in_numerator(engine):
    assert engine.outcome("DM18", diabetic(ev(FLU_DECLINED, "2012-09-10"), ev(FLU, "2012-11-01"))) == "numerator"


def test_diabetes_exception_and_new_patients_except(engine):
    assert engine.outcomes("DM18", diabetic(ev(DM_EXCEPTED, "2012-04-01")), diabetic(registered="2013-02-01"),
                           diabetic(diagnosed="2013-02-01")) == ["exception"] * 3


def test_tpp_ctv3_codes_counted(engine):
    assert engine.outcome("DM18", diabetic(ctv3(FLU, "2012-10-15"))) == "numerator"
