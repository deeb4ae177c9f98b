"""DM31 — diabetes: the last blood pressure in the preceding 15 months is 140/80 or less.

Rule (rules_2012_13.yaml, ``indicators.DM31``), first rule that fires decides:
  1. not on the diabetes register (DM)                                 -> reject
  2. latest BP reading (BP_COD) from 1 Jan 2012 to 31 Mar 2013 has systolic <= 140 and
     diastolic <= 80; same-day readings: lowest systolic, lowest diastolic -> numerator
  3. diabetes exception code (DMEX_COD) in the same 15 months           -> exception
  4. maximal tolerated antihypertensive therapy (MAXBP_COD), 15 months  -> exception
  5. registered at the practice in the last 9 months (from 1 Jul 2012)   -> exception
  6. earliest diabetes code in the last 9 months                       -> exception
  7. everyone else on the register                                    -> denominator
"""

from simulator.qof.engines import IndicatorCounts

from .builders import BP, BP_CTV3, MAX_BP_THERAPY, ctv3, diabetic, ev, step


def test_bp_exactly_140_over_80_is_in_numerator(engine):
    assert engine.outcome("DM31", diabetic(ev(BP, "2012-11-01", 140, 80))) == "numerator"


def test_systolic_141_is_not_in_numerator(engine):
    assert engine.outcome("DM31", diabetic(ev(BP, "2012-11-01", 141, 80))) == "denominator"


def test_diastolic_81_is_not_in_numerator(engine):
    assert engine.outcome("DM31", diabetic(ev(BP, "2012-11-01", 140, 81))) == "denominator"


def test_145_over_85_passes_dm30_but_not_dm31(engine):
    p = diabetic(ev(BP, "2012-11-01", 145, 85))
    assert (engine.outcome("DM30", p), engine.outcome("DM31", p)) == ("numerator", "denominator")


def test_same_day_readings_lowest_systolic_and_lowest_diastolic_count(engine):
    p = diabetic(ev(BP, "2013-03-31", 150, 78), ev(BP, "2013-03-31", 138, 84))  # counts as 138/78
    assert engine.outcome("DM31", p) == "numerator"


def test_bp_one_day_before_15_month_window_does_not_count(engine):
    assert engine.outcome("DM31", diabetic(ev(BP, "2011-12-31", 120, 70))) == "denominator"


def test_tpp_ctv3_codes_counted(engine):
    assert engine.outcome("DM31", diabetic(ctv3(BP_CTV3, "2012-01-01", 120, 70))) == "numerator"


def test_newly_registered_patient_with_good_bp_is_in_numerator(engine):
    p = diabetic(ev(BP, "2013-02-01", 120, 70), registered="2013-01-01")
    assert step("DM31", p) == ("numerator", 2)
    assert engine.outcome("DM31", p) == "numerator"


def test_maximal_therapy_excepts(engine):
    p = diabetic(ev(BP, "2013-02-01", 142, 70), ev(MAX_BP_THERAPY, "2013-02-01"))
    assert engine.outcome("DM31", p) == "exception"


def test_practice_counts(engine):
    pc = engine([
        diabetic(ev(BP, "2013-01-01", 140, 80)),
        diabetic(ev(BP, "2013-01-01", 140, 80.5)),
        diabetic(registered="2013-03-01"),
    ])
    assert pc.indicators["DM31"] == IndicatorCounts(numerator=1, denominator=2, exceptions=1)
