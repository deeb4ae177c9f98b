"""OST03 — aged 75+ with a fragility fracture (from 1 April 2012): on a bone-sparing agent.

Rule (rules_2012_13.yaml, ``indicators.OST03``), first rule that fires decides:
  1. not on the osteoporosis register                                        -> reject
  2. aged under 75                                                           -> reject
  3. a bone-sparing agent (BONE_DRUG) issued from 1 Oct 2012 (6 months)       -> numerator
  4. agent contraindicated/declined or osteoporosis exception, 15 months     -> exception
  5. registered in the last 3 months                                        -> exception
  6. everyone else                                                         -> denominator
"""

from .builders import BISPHOSPHONATE, FRAGILITY_FRACTURE, OSTEOPOROSIS_DXA, ev, patient

FRACTURE = ev(FRAGILITY_FRACTURE, "2012-10-01")


def test_on_a_bisphosphonate_is_in_numerator(engine):
    assert engine.outcome("OST03", patient(FRACTURE, ev(BISPHOSPHONATE, "2013-01-01"), dob="1930-01-01")) == "numerator"


def test_75th_birthday_on_achievement_date_is_in_a_day_younger_is_not(engine):
    dxa = ev(OSTEOPOROSIS_DXA, "2012-11-01")
    assert engine.outcomes("OST03", patient(FRACTURE, dob="1938-03-31"), patient(FRACTURE, dxa, dob="1938-04-01")) == [
        "denominator", "reject"]


def test_newly_registered_excepted(engine):
    assert engine.outcome("OST03", patient(FRACTURE, dob="1930-01-01", registered="2013-01-01")) == "exception"
