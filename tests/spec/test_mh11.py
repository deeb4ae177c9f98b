"""MH11 — mental health: alcohol consumption (ALC_COD) recorded in the preceding 15 months.

Rule (rules_2012_13.yaml, ``indicators.MH11``), first rule that fires decides:
  1. not on the mental health register                                   -> reject
  2. alcohol consumption (ALC_COD) from 1 Jan 2012 to 31 Mar 2013, any value  -> numerator
  3. mental health exception code (MHEX_COD) in the same 15 months       -> exception
  4. registered in the last 3 months                                    -> exception
  5. earliest psychosis code in the last 3 months                       -> exception
  6. everyone else on the register                                     -> denominator
"""

from .builders import ALCOHOL, MH_EXCEPTED, ctv3, ev, mh_patient, patient


def test_recorded_on_first_day_of_window_counts_one_day_earlier_does_not(engine):
    assert engine.outcomes("MH11", mh_patient(ev(ALCOHOL, "2012-01-01")), mh_patient(ev(ALCOHOL, "2011-12-31"))) == [
        "numerator", "denominator"]


def test_recorded_on_achievement_date_counts(engine):
    assert engine.outcome("MH11", mh_patient(ev(ALCOHOL, "2013-03-31"))) == "numerator"


def test_exception_code_excepts_only_when_not_recorded(engine):
    assert engine.outcomes("MH11", mh_patient(ev(MH_EXCEPTED, "2012-06-01")),
                           mh_patient(ev(MH_EXCEPTED, "2012-06-01"), ev(ALCOHOL, "2012-07-01"))) == ["exception", "numerator"]


def test_new_patients_excepted(engine):
    assert engine.outcomes("MH11", mh_patient(registered="2013-01-01"), mh_patient(diagnosed="2013-01-01"),
                           mh_patient(diagnosed="2012-12-31")) == ["exception", "exception", "denominator"]


def test_not_on_the_register_not_counted(engine):
    assert engine.outcome("MH11", patient(ev(ALCOHOL, "2012-06-01"))) == "reject"


def test_tpp_ctv3_codes_counted(engine):
    assert engine.outcome("MH11", mh_patient(ctv3(ALCOHOL, "2012-06-01"))) == "numerator"
