"""STROKE01 — the stroke and TIA register (register id ``STIA``).

Rule (rules_2012_13.yaml, ``registers.STIA``), for each patient registered on 31 March 2013:
  1. any stroke code, ischaemic or unspecified (STRK_COD), haemorrhagic (STRKH_COD), or a
     TIA code (TIA_COD), ever                                        -> on the register
  2. everyone else                                                   -> not on the register
No resolved code and no age limit.
"""

from .builders import STROKE, STROKE_HAEM, STROKE_REFERRAL, TIA, ctv3, ev, patient


def test_stroke_tia_and_haemorrhagic_stroke_all_count(engine):
    assert engine.on_register("STIA", patient(ev(STROKE, "2009-01-01")), patient(ev(TIA, "2009-01-01")),
                              patient(ev(STROKE_HAEM, "2009-01-01"))) == [True, True, True]


def test_a_referral_alone_is_not_a_diagnosis(engine):
    assert engine.on_register("STIA", patient(ev(STROKE_REFERRAL, "2012-06-01"))) is False


def test_diagnosis_on_achievement_date_counts_after_it_does_not(engine):
    assert engine.on_register("STIA", patient(ev(TIA, "2013-03-31")), patient(ev(TIA, "2013-04-01"))) == [True, False]


def test_tpp_ctv3_codes_counted(engine):
    assert engine.on_register("STIA", patient(ctv3(STROKE, "2009-01-01"))) is True
