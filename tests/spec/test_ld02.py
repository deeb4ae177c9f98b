"""LD02 — learning disabilities with Down's syndrome, aged 18+: TSH recorded in the preceding 15 months.

Rule (rules_2012_13.yaml, ``indicators.LD02``), first rule that fires decides:
  1. not on the learning disabilities register (18+)                  -> reject
  2. no Down's syndrome code (DOWNS_COD)                              -> reject
  3. a TSH (TSH_COD) from 1 Jan 2012                                   -> numerator
  4. learning disability exception code (LDEX_COD), 15 months         -> exception
  5. registered in the last 3 months                                 -> exception
  6. everyone else                                                  -> denominator
"""

from .builders import DOWNS, LD_EXCEPTED, TSH, ev, ld_patient, step

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
