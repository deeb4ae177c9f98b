"""PP01 — hypertension newly diagnosed in the QOF year, aged 30-74, without CHD, stroke/TIA or diabetes: CVD risk assessed at diagnosis.

2012/13 wording [S]: "In those patients with a new diagnosis of hypertension (excluding those with
pre-existing CHD, diabetes, stroke and/or TIA) recorded between the preceding 1 April to 31 March ...".
Rule (rules_2012_13.yaml, ``indicators.PP01``), first rule that fires decides:
  1. aged under 30 on the achievement date                                      -> reject
  2. aged 75 or over                                                            -> reject
  3. not on the hypertension register                                          -> reject
  4. the earliest hypertension code is before 1 Apr 2012                       -> reject
  5. on the CHD, stroke/TIA or diabetes register                               -> reject
  6. a CVD risk assessment (CVDRISK_COD) from 91 days before to 91 days after the
     earliest hypertension code                                                 -> numerator
  7. hypertension exception code (HYPEX_COD), 15 months                        -> exception
  8. registered in the last 3 months                                          -> exception
  9. earliest hypertension code in the last 3 months                          -> exception
 10. everyone else                                                           -> denominator
"""

from .builders import CHD, CVD_RISK, DM, HYP, HYP_EXCEPTED, PAD, STROKE, ev, hypertensive, patient, step


def new_hypertensive(*events, diagnosed="2012-05-01", **kw):
    return hypertensive(*events, diagnosed=diagnosed, dob=kw.pop("dob", "1960-01-01"), **kw)


def test_risk_assessed_at_diagnosis_is_in_numerator(engine):
    assert engine.outcome("PP01", new_hypertensive(ev(CVD_RISK, "2012-05-01", 14))) == "numerator"


def test_assessed_91_days_either_side_counts_92_days_does_not(engine):
    assert engine.outcomes("PP01", new_hypertensive(ev(CVD_RISK, "2012-01-31")), new_hypertensive(ev(CVD_RISK, "2012-07-31")),
                           new_hypertensive(ev(CVD_RISK, "2012-01-30")), new_hypertensive(ev(CVD_RISK, "2012-08-01"))) == [
        "numerator", "numerator", "denominator", "denominator"]


def test_diagnosed_on_1_april_2012_is_in_the_day_before_is_not(engine):
    assert engine.outcomes("PP01", new_hypertensive(diagnosed="2012-04-01"), new_hypertensive(diagnosed="2012-03-31"),
                           new_hypertensive(diagnosed="2011-05-01")) == ["denominator", "reject", "reject"]


def test_aged_30_to_74_only(engine):
    assert engine.outcomes("PP01", new_hypertensive(dob="1983-03-31"), new_hypertensive(dob="1983-04-01"),
                           new_hypertensive(dob="1938-04-01"), new_hypertensive(dob="1938-03-31")) == [
        "denominator", "reject", "denominator", "reject"]


def test_with_chd_stroke_or_diabetes_not_in_the_population(engine):
    with_chd = new_hypertensive(ev(CHD, "2005-01-01"))
    assert engine.outcomes("PP01", with_chd, new_hypertensive(ev(DM, "2005-01-01")),
                           new_hypertensive(ev(STROKE, "2005-01-01"))) == ["reject"] * 3
    assert step("PP01", with_chd) == ("reject", 5)


def test_peripheral_arterial_disease_does_not_take_a_patient_out(engine):
    assert engine.outcome("PP01", new_hypertensive(ev(PAD, "2005-01-01"))) == "denominator"


def test_an_older_hypertension_code_makes_the_diagnosis_old(engine):
    assert engine.outcome("PP01", patient(ev(HYP, "2001-01-01"), ev(HYP, "2012-05-01"), dob="1960-01-01")) == "reject"


def test_exceptions(engine):
    assert engine.outcomes("PP01", new_hypertensive(ev(HYP_EXCEPTED, "2012-05-01")), new_hypertensive(registered="2013-01-01"),
                           new_hypertensive(diagnosed="2013-01-01")) == ["exception"] * 3
