"""CHD09 — CHD: aspirin, another antiplatelet or an anticoagulant recorded in the preceding 15 months.

Rule (rules_2012_13.yaml, ``indicators.CHD09``), first rule that fires decides:
  1. not on the CHD register                                                   -> reject
  2. an antiplatelet (ANTIPLT_DRUG: aspirin, clopidogrel, salicylate prophylaxis) or
     an anticoagulant (ANTICOAG_DRUG) issued from 1 Jan 2012 (15 months)         -> numerator
  3. aspirin contraindicated, refused or not tolerated (ANTIPLTEX_COD), 15 months -> exception
  4. CHD exception code (CHDEX_COD) in the same 15 months                      -> exception
  5. registered in the last 3 months                                          -> exception
  6. earliest CHD code in the last 3 months                                   -> exception
  7. everyone else on the register                                           -> denominator
"""

from .builders import ASPIRIN, ASPIRIN_REFUSED, CHD_EXCEPTED, CLOPIDOGREL, WARFARIN, chd_patient, ctv3, ev, patient, step


def test_aspirin_clopidogrel_or_warfarin_is_in_numerator(engine):
    assert engine.outcomes("CHD09", chd_patient(ev(ASPIRIN, "2012-12-01")), chd_patient(ev(CLOPIDOGREL, "2012-12-01")),
                           chd_patient(ev(WARFARIN, "2012-12-01"))) == ["numerator"] * 3


def test_issue_on_first_day_of_15_month_window_counts_one_day_earlier_does_not(engine):
    assert engine.outcomes("CHD09", chd_patient(ev(ASPIRIN, "2012-01-01")), chd_patient(ev(ASPIRIN, "2011-12-31"))) == [
        "numerator", "denominator"]


def test_aspirin_refused_excepts_only_without_treatment(engine):
    refused = chd_patient(ev(ASPIRIN_REFUSED, "2012-06-01"))
    assert engine.outcomes("CHD09", refused, chd_patient(ev(ASPIRIN_REFUSED, "2012-06-01"), ev(WARFARIN, "2012-12-01"))) == [
        "exception", "numerator"]
    assert step("CHD09", refused) == ("exception", 3)


def test_chd_exception_code_and_new_patients_except(engine):
    assert engine.outcomes("CHD09", chd_patient(ev(CHD_EXCEPTED, "2012-02-01")), chd_patient(registered="2013-01-01"),
                           chd_patient(diagnosed="2013-01-01")) == ["exception"] * 3


def test_not_on_the_chd_register_not_counted(engine):
    assert engine.outcome("CHD09", patient(ev(ASPIRIN, "2012-12-01"))) == "reject"


def test_tpp_ctv3_codes_counted(engine):
    assert engine.outcome("CHD09", chd_patient(ctv3(ASPIRIN, "2012-12-01"))) == "numerator"
