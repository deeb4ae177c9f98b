"""LD02 — learning disabilities with Down's syndrome, aged 18+, not on the thyroid register: TSH in the preceding 15 months.

2012/13 wording [S]: "... who have a record of blood TSH in the preceding 15 months (excluding those
who are on the thyroid disease register)".
Rule (rules_2012_13.yaml, ``indicators.LD02``), first rule that fires decides:
  1. not on the learning disabilities register (18+)                  -> reject
  2. no Down's syndrome code (DOWNS_COD)                              -> reject
  3. on the hypothyroidism register                                   -> reject
  4. a TSH (TSH_COD) from 1 Jan 2012                                   -> numerator
  5. learning disability exception code (LDEX_COD), 15 months         -> exception
  6. registered in the last 3 months                                 -> exception
  7. everyone else                                                  -> denominator
"""

from .builders import DOWNS, HYPOTHYROID, HYPOTHYROID_RESOLVED, LD_EXCEPTED, TSH, ev, ld_patient, step

DS = ev(DOWNS, "1980-01-01")


def test_downs_with_a_tsh_in_15_months_is_in_numerator_one_day_earlier_is_not(engine):
    assert engine.outcomes("LD02", ld_patient(DS, ev(TSH, "2012-01-01")), ld_patient(DS, ev(TSH, "2011-12-31"))) == [
        "numerator", "denominator"]


def test_without_downs_syndrome_not_in_the_population(engine):
    p = ld_patient(ev(TSH, "2012-06-01"))
    assert step("LD02", p) == ("reject", 2) and engine.outcome("LD02", p) == "reject"


def test_exceptions(engine):
    assert engine.outcomes("LD02", ld_patient(DS, ev(LD_EXCEPTED, "2012-06-01")), ld_patient(DS, registered="2013-01-01")) == [
        "exception", "exception"]


def test_on_the_thyroid_register_not_in_the_population(engine):
    on_thy = ld_patient(DS, ev(HYPOTHYROID, "2005-01-01"), ev(TSH, "2012-06-01"))
    resolved = ld_patient(DS, ev(HYPOTHYROID, "2005-01-01"), ev(HYPOTHYROID_RESOLVED, "2008-01-01"), ev(TSH, "2012-06-01"))
    assert engine.outcomes("LD02", on_thy, resolved) == ["reject", "numerator"]
    assert step("LD02", on_thy) == ("reject", 3)
