"""The conformance population is built from the rules: every step reached, boundaries on both sides."""

import datetime as dt

import pyarrow.parquet as pq

from simulator.conform import probes
from simulator.qof.engines import seam

from tests.conform.conftest import SUBSET


def _tables(catalogue):
    rules = catalogue.rules.subset(SUBSET)
    return rules, probes.tables(catalogue, probes.design(catalogue, rules, SUBSET))


def test_every_rule_step_of_every_list_decides_some_patient(catalogue):
    rules, t = _tables(catalogue)
    result = seam.count("reference", rules, catalogue.clusters, seam.Records(t["patients"], t["events"]))
    reached = {(i, k) for v in result.verdicts.values() for i, (_, k) in v.indicators.items()}
    wanted = {(i, k) for i, ind in rules.indicators.items() for k in range(1, len(ind.rules) + 1)}
    assert wanted - reached == set()
    on = {r for v in result.verdicts.values() for r, yes in v.registers.items() if yes}
    assert on == set(rules.registers)


def test_a_practice_per_subject_per_supplier_in_its_own_code_system(catalogue):
    rules, t = _tables(catalogue)
    practices = t["practices"].to_pylist()
    assert len(practices) == 4 * (1 + len(rules.registers) + len(SUBSET))
    system = {p["practice_code"]: p["supplier"] for p in practices}
    for e in t["events"].to_pylist():
        assert e["system"] == ("ctv3" if system[e["practice_code"]] == "TPP" else "readv2")


def test_boundaries_on_both_sides(catalogue):
    rules, t = _tables(catalogue)
    births = {p["date_of_birth"] for p in t["patients"].to_pylist()}
    eighteen = dt.date(1995, 3, 31)  # DEP06: 18 on the achievement date
    assert eighteen in births and eighteen + dt.timedelta(days=1) in births
    values = {(e["code"], e["value"]) for e in t["events"].to_pylist() if e["system"] == "readv2"}
    assert ("42W5.", 59.0) in values and ("42W5.", 60.0) in values  # DM26: HbA1c at 59 and just above
    records = " ".join(t["probes"]["record"].to_pylist())
    for words in ("resolved the day after", "re-diagnosed after resolution", "deducted on the achievement date",
                  "died", "registered on the achievement date", "the day before the window"):
        assert words in records, words


def test_every_exception_code_has_its_patient(catalogue):
    rules, t = _tables(catalogue)
    used = {(e["system"], e["code"]) for e in t["events"].to_pylist()}
    for system, code in catalogue.clusters["DMEX_COD"]:
        assert (system, code) in used, code
