"""DM28 — diabetes: the last IFCC HbA1c in the preceding 15 months is 75 mmol/mol or less.

Rule (rules_2012_13.yaml, ``indicators.DM28``), first rule that fires decides:
  1. not on the diabetes register (DM)                               -> reject
  2. latest HbA1c (IFCCHBAM_COD) from 1 Jan 2012 to 31 Mar 2013 is <= 75;
     several readings on that latest day: the lowest counts          -> numerator
  3. diabetes exception code (DMEX_COD) in the same 15 months         -> exception
  4. registered at the practice in the last 9 months (from 1 Jul 2012) -> exception
  5. earliest diabetes code in the last 9 months                     -> exception
  6. everyone else on the register                                  -> denominator
Same shape as DM26; only the threshold differs.
"""

from simulator.qof.engines import IndicatorCounts

from .builders import DM_EXCEPTED, HBA1C, HBA1C_CTV3, ctv3, diabetic, ev, patient, step


def test_value_exactly_75_is_in_numerator(engine):
    assert engine.outcome("DM28", diabetic(ev(HBA1C, "2012-11-01", 75))) == "numerator"


def test_value_76_is_in_denominator_only(engine):
    assert engine.outcome("DM28", diabetic(ev(HBA1C, "2012-11-01", 76))) == "denominator"


def test_hba1c_taken_on_achievement_date_counts(engine):
    assert engine.outcome("DM28", diabetic(ev(HBA1C, "2013-03-31", 70))) == "numerator"


def test_hba1c_one_day_before_15_month_window_does_not_count(engine):
    assert engine.outcome("DM28", diabetic(ev(HBA1C, "2011-12-31", 70))) == "denominator"


def test_future_dated_event_ignored(engine):
    assert engine.outcome("DM28", diabetic(ev(HBA1C, "2013-04-01", 70))) == "denominator"


def test_same_day_readings_lowest_counts(engine):
    p = diabetic(ev(HBA1C, "2012-12-24", 75), ev(HBA1C, "2012-12-24", 76))
    assert engine.outcome("DM28", p) == "numerator"


def test_tpp_ctv3_codes_counted(engine):
    assert engine.outcome("DM28", diabetic(ctv3(HBA1C_CTV3, "2012-06-01", 74))) == "numerator"


def test_exception_code_in_window_excepts(engine):
    p = diabetic(ev(HBA1C, "2012-11-01", 90), ev(DM_EXCEPTED, "2012-02-01"))
    assert step("DM28", p) == ("exception", 3)
    assert engine.outcome("DM28", p) == "exception"


def test_practice_counts(engine):
    pc = engine([
        diabetic(ev(HBA1C, "2013-01-01", 75)),
        diabetic(ev(HBA1C, "2013-01-01", 48)),
        diabetic(ev(HBA1C, "2013-01-01", 75.5)),
        diabetic(),
        patient(ev(HBA1C, "2013-01-01", 48)),
    ])
    assert pc.indicators["DM28"] == IndicatorCounts(numerator=2, denominator=4, exceptions=0)
