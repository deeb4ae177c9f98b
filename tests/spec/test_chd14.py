"""CHD14 — myocardial infarction from 1 April 2011: ACE inhibitor/ARB, antiplatelet, beta-blocker and statin.

Rule (rules_2012_13.yaml, ``indicators.CHD14``), first rule that fires decides:
  1. not on the CHD register                                                  -> reject
  2. the earliest MI code (MI_COD) is before 1 Apr 2011, or there is none     -> reject
  3. all four issued from 1 Oct 2012 (6 months): an ACE inhibitor or ARB
     (ACEARB_DRUG), aspirin or another antiplatelet (ANTIPLT_DRUG), a beta-blocker
     (BB_DRUG/BBHF_DRUG) and a statin (STAT_DRUG)                             -> numerator
  4. any of them contraindicated/declined (ACEARBEX, ANTIPLTEX, BBEX, STATEX),
     from 1 Jan 2012 (15 months)                                              -> exception
  5. CHD exception code (CHDEX_COD) in the same 15 months                     -> exception
  6. registered in the last 3 months                                         -> exception
  7. the MI first coded in the last 3 months                                 -> exception
  8. everyone else                                                          -> denominator
"""

from .builders import (ACE_INHIBITOR, ARB, ASPIRIN, BETA_BLOCKER, BISOPROLOL, MI, OLD_MI, STATIN, STATIN_DECLINED,
                       chd_patient, ev, patient, step)


def treated(day="2013-01-15"):
    return [ev(ACE_INHIBITOR, day), ev(ASPIRIN, day), ev(BETA_BLOCKER, day), ev(STATIN, day)]


def mi_patient(*events, mi="2012-05-01", **kw):
    return patient(ev(MI, mi), *events, **kw)


def test_mi_with_all_four_drugs_is_in_numerator(engine):
    assert engine.outcome("CHD14", mi_patient(*treated())) == "numerator"


def test_an_arb_and_bisoprolol_count_as_well(engine):
    p = mi_patient(ev(ARB, "2013-01-15"), ev(ASPIRIN, "2013-01-15"), ev(BISOPROLOL, "2013-01-15"), ev(STATIN, "2013-01-15"))
    assert engine.outcome("CHD14", p) == "numerator"


def test_three_of_the_four_drugs_is_not_enough(engine):
    p = mi_patient(ev(ACE_INHIBITOR, "2013-01-15"), ev(ASPIRIN, "2013-01-15"), ev(BETA_BLOCKER, "2013-01-15"))
    assert engine.outcome("CHD14", p) == "denominator"


def test_mi_on_1_april_2011_is_in_the_population_the_day_before_is_not(engine):
    assert engine.outcomes("CHD14", mi_patient(mi="2011-04-01"), mi_patient(mi="2011-03-31")) == ["denominator", "reject"]


def test_an_earlier_mi_keeps_a_later_one_out(engine):
    p = mi_patient(ev(OLD_MI, "2008-01-01"), *treated())
    assert engine.outcome("CHD14", p) == "reject" and step("CHD14", p) == ("reject", 2)


def test_chd_without_an_mi_not_in_the_population(engine):
    assert engine.outcome("CHD14", chd_patient(*treated())) == "reject"


def test_drug_issued_before_the_6_month_window_does_not_count(engine):
    p = mi_patient(*treated("2013-01-15")[:3], ev(STATIN, "2012-09-30"))
    assert engine.outcome("CHD14", p) == "denominator"


def test_statin_declined_excepts(engine):
    p = mi_patient(ev(STATIN_DECLINED, "2012-06-01"))
    assert engine.outcome("CHD14", p) == "exception" and step("CHD14", p) == ("exception", 4)


def test_mi_within_3_months_is_excepted(engine):
    p = mi_patient(mi="2013-01-01")
    assert engine.outcome("CHD14", p) == "exception" and step("CHD14", p) == ("exception", 7)
