"""OST02 — aged 50-74 with a fragility fracture and DXA-confirmed osteoporosis: on a bone-sparing agent.

Rule (rules_2012_13.yaml, ``indicators.OST02``), first rule that fires decides:
  1. not on the osteoporosis register                                        -> reject
  2. aged 75 or over                                                         -> reject
  3. a bone-sparing agent (BONE_DRUG) issued from 1 Oct 2012 (6 months)       -> numerator
  4. agent contraindicated/declined (BONEEX_COD) or osteoporosis exception
     (OSTEX_COD), 15 months                                                  -> exception
  5. registered in the last 3 months                                        -> exception
  6. everyone else                                                         -> denominator
"""

from .builders import BISPHOSPHONATE, BISPHOSPHONATE_DECLINED, FRAGILITY_FRACTURE, OSTEOPOROSIS_DXA, ev, patient

BASE = (ev(FRAGILITY_FRACTURE, "2012-10-01"), ev(OSTEOPOROSIS_DXA, "2012-11-01"))


def test_on_a_bisphosphonate_is_in_numerator_issue_before_6_months_is_not(engine):
    assert engine.outcomes("OST02", patient(*BASE, ev(BISPHOSPHONATE, "2012-10-01"), dob="1950-01-01"),
                           patient(*BASE, ev(BISPHOSPHONATE, "2012-09-30"), dob="1950-01-01")) == ["numerator", "denominator"]


def test_aged_75_is_in_ost03_not_ost02(engine):
    assert engine.outcome("OST02", patient(*BASE, dob="1938-03-31")) == "reject"


def test_declined_excepts(engine):
    assert engine.outcome("OST02", patient(*BASE, ev(BISPHOSPHONATE_DECLINED, "2012-12-01"), dob="1950-01-01")) == "exception"
