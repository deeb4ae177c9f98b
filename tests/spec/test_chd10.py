"""CHD10 — CHD: currently treated with a beta-blocker (unless contraindicated or not tolerated).

Rule (rules_2012_13.yaml, ``indicators.CHD10``), first rule that fires decides:
  1. not on the CHD register                                                  -> reject
  2. a beta-blocker (BB_DRUG or BBHF_DRUG) issued from 1 Oct 2012 (6 months)   -> numerator
  3. beta-blocker contraindicated or not tolerated (BBEX_COD), 15 months       -> exception
  4. CHD exception code (CHDEX_COD) in the last 15 months                     -> exception
  5. registered in the last 3 months                                         -> exception
  6. earliest CHD code in the last 3 months                                  -> exception
  7. everyone else on the register                                          -> denominator
"""

from .builders import BETA_BLOCKER, BETA_BLOCKER_CONTRAINDICATED, BISOPROLOL, chd_patient, ctv3, ev, step


def test_any_beta_blocker_is_in_numerator(engine):
    assert engine.outcomes("CHD10", chd_patient(ev(BETA_BLOCKER, "2013-01-05")),
                           chd_patient(ev(BISOPROLOL, "2013-01-05"))) == ["numerator", "numerator"]


def test_issue_on_first_day_of_6_month_window_counts_one_day_earlier_does_not(engine):
    assert engine.outcomes("CHD10", chd_patient(ev(BETA_BLOCKER, "2012-10-01")),
                           chd_patient(ev(BETA_BLOCKER, "2012-09-30"))) == ["numerator", "denominator"]


def test_contraindication_in_15_months_excepts(engine):
    p = chd_patient(ev(BETA_BLOCKER_CONTRAINDICATED, "2012-01-01"))
    assert engine.outcome("CHD10", p) == "exception" and step("CHD10", p) == ("exception", 3)
    assert engine.outcome("CHD10", chd_patient(ev(BETA_BLOCKER_CONTRAINDICATED, "2011-12-31"))) == "denominator"


def test_new_patients_excepted(engine):
    assert engine.outcomes("CHD10", chd_patient(registered="2013-01-01"), chd_patient(diagnosed="2013-01-01"),
                           chd_patient(diagnosed="2012-12-31")) == ["exception", "exception", "denominator"]


def test_tpp_ctv3_codes_counted(engine):
    assert engine.outcome("CHD10", chd_patient(ctv3(BETA_BLOCKER, "2013-01-05"))) == "numerator"
