"""DM27 — diabetes: the last IFCC HbA1c in the preceding 15 months is 64 mmol/mol or less.

Rule (rules_2012_13.yaml, ``indicators.DM27``), first rule that fires decides:
  1. not on the diabetes register (DM)                               -> reject
  2. latest HbA1c (IFCCHBAM_COD) from 1 Jan 2012 to 31 Mar 2013 is <= 64;
     several readings on that latest day: the lowest counts          -> numerator
  3. diabetes exception code (DMEX_COD) in the same 15 months         -> exception
  4. registered at the practice in the last 9 months (from 1 Jul 2012) -> exception
  5. earliest diabetes code in the last 9 months                     -> exception
  6. everyone else on the register                                  -> denominator
Same shape as DM26; only the threshold differs.
"""

from simulator.qof.engines import IndicatorCounts

from .builders import DM_EXCEPTED, HBA1C, HBA1C_CTV3, ctv3, diabetic, ev, step


def test_value_exactly_64_is_in_numerator(engine):
    assert engine.outcome("DM27", diabetic(ev(HBA1C, "2012-11-01", 64))) == "numerator"


def test_value_65_is_in_denominator_only(engine):
    assert engine.outcome("DM27", diabetic(ev(HBA1C, "2012-11-01", 65))) == "denominator"


def test_60_fails_dm26_but_passes_dm27(engine):
    p = diabetic(ev(HBA1C, "2012-11-01", 60))
    assert (engine.outcome("DM26", p), engine.outcome("DM27", p)) == ("denominator", "numerator")


def test_hba1c_on_first_day_of_15_month_window_counts(engine):
    assert engine.outcome("DM27", diabetic(ev(HBA1C, "2012-01-01", 62))) == "numerator"


def test_hba1c_one_day_before_15_month_window_does_not_count(engine):
    assert engine.outcome("DM27", diabetic(ev(HBA1C, "2011-12-31", 62))) == "denominator"


def test_same_day_readings_lowest_counts(engine):
    p = diabetic(ev(HBA1C, "2013-03-31", 64), ev(HBA1C, "2013-03-31", 90))
    assert engine.outcome("DM27", p) == "numerator"


def test_tpp_ctv3_codes_counted(engine):
    assert engine.outcome("DM27", diabetic(ctv3(HBA1C_CTV3, "2012-06-01", 63))) == "numerator"


def test_exception_code_does_not_except_a_patient_in_numerator(engine):
    p = diabetic(ev(HBA1C, "2012-11-01", 61), ev(DM_EXCEPTED, "2013-03-31"))
    assert step("DM27", p) == ("numerator", 2)
    assert engine.outcome("DM27", p) == "numerator"


def test_registered_within_9_months_is_excepted(engine):
    assert engine.outcome("DM27", diabetic(ev(HBA1C, "2012-11-01", 70), registered="2012-10-01")) == "exception"


def test_practice_counts(engine):
    pc = engine([
        diabetic(ev(HBA1C, "2013-01-01", 64)),
        diabetic(ev(HBA1C, "2013-01-01", 64.5)),
        diabetic(diagnosed="2013-03-31"),
    ])
    assert pc.indicators["DM27"] == IndicatorCounts(numerator=1, denominator=2, exceptions=1)
