"""The spec GPES publishes is generated from the catalogue: what every supplier must send."""

from simulator.gpes.spec import build_spec
from simulator.qof.catalogue import default_catalogue

CAT = default_catalogue()
SPEC = build_spec(CAT)


def test_the_spec_asks_for_all_104_extracted_indicators():
    asked = {r.indicator for r in SPEC.registers} | {i.id for i in SPEC.indicators}
    assert asked == {c for c, d in CAT.indicators.items() if d.extracted} and len(asked) == 104


def test_yes_no_indicators_are_marked_so_suppliers_and_cqrs_read_the_counts_as_evidence():
    assert {i.id for i in SPEC.indicators if i.kind == "yesno"} == {"PC02", "CS06", "CS07", "CHS01", "MAT01"}
    assert all(CAT.indicators[i.id].kind == i.kind for i in SPEC.indicators)


def test_the_target_populations_are_published_with_who_is_counted():
    cs = next(t for t in SPEC.target_populations if t.group == "CS")
    assert (cs.area, cs.sex, cs.min_age, cs.max_age, cs.population) == (
        "Cervical screening", "F", 25, 64, "women aged 25-64")
    assert {t.group for t in SPEC.target_populations} == {"CS", "CHS", "MAT", "CON"}
