"""CHD12 — CHD: influenza immunisation from 1 September 2012 to 31 March 2013.

Rule (rules_2012_13.yaml, ``indicators.CHD12``), first rule that fires decides:
  1. not on the CHD register                                                -> reject
  2. influenza immunisation (FLU_COD) since 1 Sep 2012                       -> numerator
  3. immunisation declined or contraindicated (FLUEX_COD) since 1 Sep 2012   -> exception
  4. CHD exception code (CHDEX_COD) in the last 15 months                   -> exception
  5. registered in the last 3 months                                       -> exception
  6. earliest CHD code in the last 3 months                                -> exception
  7. everyone else on the register                                        -> denominator
"""

from .builders import CHD_EXCEPTED, FLU, FLU_DECLINED, chd_patient, ctv3, ev


def test_flu_jab_on_1_september_counts_on_31_august_does_not(engine):
    assert engine.outcomes("CHD12", chd_patient(ev(FLU, "2012-09-01")), chd_patient(ev(FLU, "2012-08-31"))) == [
        "numerator", "denominator"]


def test_flu_jab_on_achievement_date_counts_after_it_does_not(engine):
    assert engine.outcomes("CHD12", chd_patient(ev(FLU, "2013-03-31")), chd_patient(ev(FLU, "2013-04-01"))) == [
        "numerator", "denominator"]


def test_declined_this_season_excepts(engine):
    assert engine.outcomes("CHD12", chd_patient(ev(FLU_DECLINED, "2012-10-01")),
                           chd_patient(ev(FLU_DECLINED, "2012-08-31"))) == ["exception", "denominator"]


def test_chd_exception_and_new_patients_except(engine):
    assert engine.outcomes("CHD12", chd_patient(ev(CHD_EXCEPTED, "2012-01-01")), chd_patient(registered="2013-01-01"),
                           chd_patient(diagnosed="2013-01-01")) == ["exception"] * 3


def test_tpp_ctv3_codes_counted(engine):
    assert engine.outcome("CHD12", chd_patient(ctv3(FLU, "2012-11-01"))) == "numerator"
