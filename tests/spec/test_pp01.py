"""PP01 — new hypertension (from 1 April 2009), aged 30-74, without CVD or diabetes: CVD risk assessed at diagnosis.

Rule (rules_2012_13.yaml, ``indicators.PP01``), first rule that fires decides:
  1. aged under 30 on the achievement date                                      -> reject
  2. aged 75 or over                                                            -> reject
  3. not on the hypertension register                                          -> reject
  4. the earliest hypertension code is before 1 Apr 2009                       -> reject
  5. on the CHD, stroke/TIA, PAD or diabetes register                          -> reject
  6. a CVD risk assessment (CVDRISK_COD) from 91 days before to 91 days after the
     earliest hypertension code                                                 -> numerator
  7. hypertension exception code (HYPEX_COD), 15 months                        -> exception
  8. registered in the last 3 months                                          -> exception
  9. earliest hypertension code in the last 3 months                          -> exception
 10. everyone else                                                           -> denominator
"""

from .builders import CHD, CVD_RISK, DM, HYP, HYP_EXCEPTED, ev, hypertensive, patient, step


def new_hypertensive(*events, diagnosed="2011-05-01", **kw):
    return hypertensive(*events, diagnosed=diagnosed, dob=kw.pop("dob", "1960-01-01"), **kw)


def test_risk_assessed_at_diagnosis_is_in_numerator(engine):
    assert engine.outcome("PP01", new_hypertensive(ev(CVD_RISK, "2011-05-01", 14))) == "numerator"


def test_assessed_91_days_either_side_counts_92_days_does_not(engine):
    assert engine.outcomes("PP01", new_hypertensive(ev(CVD_RISK, "2011-01-30")), new_hypertensive(ev(CVD_RISK, "2011-07-31")),
                           new_hypertensive(ev(CVD_RISK, "2011-01-29")), new_hypertensive(ev(CVD_RISK, "2011-08-01"))) == [
        "numerator", "numerator", "denominator", "denominator"]


def test_diagnosed_on_1_april_2009_is_in_the_day_before_is_not(engine):
    assert engine.outcomes("PP01", new_hypertensive(diagnosed="2009-04-01"), new_hypertensive(diagnosed="2009-03-31")) == [
        "denominator", "reject"]


def test_aged_30_to_74_only(engine):
    assert engine.outcomes("PP01", new_hypertensive(dob="1983-03-31"), new_hypertensive(dob="1983-04-01"),
                           new_hypertensive(dob="1938-04-01"), new_hypertensive(dob="1938-03-31")) == [
        "denominator", "reject", "denominator", "reject"]


def test_with_chd_or_diabetes_not_in_the_population(engine):
    with_chd = new_hypertensive(ev(CHD, "2005-01-01"))
    assert engine.outcomes("PP01", with_chd, new_hypertensive(ev(DM, "2005-01-01"))) == ["reject", "reject"]
    assert step("PP01", with_chd) == ("reject", 5)


def test_an_older_hypertension_code_makes_the_diagnosis_old(engine):
    assert engine.outcome("PP01", patient(ev(HYP, "2001-01-01"), ev(HYP, "2011-05-01"), dob="1960-01-01")) == "reject"


def test_exceptions(engine):
    assert engine.outcomes("PP01", new_hypertensive(ev(HYP_EXCEPTED, "2012-05-01")), new_hypertensive(registered="2013-01-01"),
                           new_hypertensive(diagnosed="2013-01-01")) == ["exception"] * 3
