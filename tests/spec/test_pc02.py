"""PC02 — regular (at least 3-monthly) multidisciplinary case reviews of the palliative care register.

A yes/no indicator that GPES extracts: the records give the evidence, and CQRS scores "yes" when
the numerator is at least 1 (see "Yes/no indicators" in rules_2012_13.yaml).

Rule (rules_2012_13.yaml, ``indicators.PC02``), first rule that fires decides:
  1. not on the palliative care register                                  -> reject
  2. discussed at a multidisciplinary review (PCMDT_COD) from 1 Jan 2013
     (the preceding 3 months)                                             -> numerator
  3. everyone else on the register                                        -> denominator
No exceptions.
"""

from .builders import MDT_REVIEW, PALLIATIVE, ev, patient


def palliative(*events):
    return patient(ev(PALLIATIVE, "2012-06-01"), *events)


def test_a_review_in_the_last_3_months_is_evidence_one_a_day_earlier_is_not(engine):
    assert engine.outcomes("PC02", palliative(ev(MDT_REVIEW, "2013-01-01")),
                           palliative(ev(MDT_REVIEW, "2012-12-31")),
                           palliative()) == ["numerator", "denominator", "denominator"]


def test_a_review_of_someone_not_on_the_register_is_not_counted(engine):
    assert engine.outcome("PC02", patient(ev(MDT_REVIEW, "2013-02-01"))) == "reject"


def test_the_practice_counts_carry_the_evidence(engine):
    c = engine.counts([palliative(ev(MDT_REVIEW, "2013-03-01")), palliative(), patient()])
    assert (c.indicators["PC02"].numerator, c.indicators["PC02"].denominator, c.registers["PC"]) == (1, 2, 2)
