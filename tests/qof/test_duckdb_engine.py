"""The shapes the DuckDB engine computes differently from the reference engine, on a small rule
set of its own: facts aggregated per (patient, cluster) then pivoted, values of the latest day,
two-sided ``around`` from the events, lists evaluated only over the population their first rule
admits, and practices with nobody (or nobody registered) to count."""

from __future__ import annotations

import datetime as dt

from simulator.population.records import to_tables
from simulator.qof.engines import IndicatorCounts, PracticeCounts
from simulator.qof.engines import duckdb as duckdb_engine
from simulator.qof.engines import reference
from simulator.qof.engines.reference import Event, Patient
from simulator.qof.rules import parse_rules

D = dt.date
RULES = parse_rules({
    "spec_id": "engine-test",
    "clusters": {name: name for name in ("X_COD", "XRES_COD", "V_COD", "W_COD", "A_COD", "T_COD")},
    "registers": {"X": {"indicator": "X01", "area": "X", "rules": [
        {"if": {"unresolved": {"cluster": "X_COD", "resolved": "XRES_COD"}}, "then": "select"},
        {"then": "reject"}]}},
    "indicators": {
        "X02": {"rules": [  # first rule: the register is the population
            {"if": {"not": {"on_register": "X"}}, "then": "reject"},
            {"if": {"latest_value": {"cluster": ["V_COD", "W_COD"], "within_months": 15, "max": 140, "max2": 90}},
             "then": "numerator"},
            {"if": {"has": {"cluster": "T_COD", "within_months": 12}}, "then": "exception"},
            {"then": "denominator"}]},
        "X03": {"rules": [  # first rule: an age band
            {"if": {"age_under": 18}, "then": "reject"},
            {"if": {"around": {"cluster": "T_COD", "first_of": "A_COD", "from_days": -7, "to_days": 7}},
             "then": "numerator"},
            {"if": {"around": {"cluster": "T_COD", "latest_of": "A_COD", "from_days": 30}}, "then": "exception"},
            {"then": "denominator"}]},
        "X04": {"rules": [  # first rule rejects on a condition, not on its negation
            {"if": {"sex": "M"}, "then": "reject"},
            {"if": {"latest_is": {"among": ["V_COD", "T_COD"], "is": "T_COD", "within_months": 12}},
             "then": "numerator"},
            {"if": {"first": {"cluster": "A_COD", "within_months": 3}}, "then": "exception"},
            {"then": "denominator"}]},
        "X05": {"rules": [  # no population: everyone registered
            {"if": {"has": {"cluster": "T_COD"}}, "then": "numerator"},
            {"then": "denominator"}]},
    },
}, D(2013, 3, 31), D(2013, 1, 1), source="engine-test")
CLUSTERS = {name: (("readv2", name),) for name in RULES.clusters}  # each cluster: one code, its name


def ev(cluster: str, day: dt.date, value: float | None = None, value2: float | None = None) -> Event:
    return Event(cluster, day, value, value2)


def patient(pid: int, practice: str, *events: Event, sex: str = "F", born: dt.date | None = None,
            registered_to: dt.date | None = None) -> Patient:
    return Patient(pid, practice, born or D(1960, 1, 1), D(2000, 1, 1), registered_to, list(events), sex)


def both(patients: list[Patient], practices: list[str]) -> dict[str, PracticeCounts]:
    """The DuckDB counts, once checked equal to the reference engine's."""
    pts, evs = to_tables(patients)
    fast = duckdb_engine.run(RULES, CLUSTERS, pts, evs, practices)
    slow = reference.run(RULES, CLUSTERS, patients, practices)
    assert {k: v.as_tuple() for k, v in fast.items()} == {k: v.as_tuple() for k, v in slow.items()}
    return fast


def empty(code: str, list_size: int = 0) -> PracticeCounts:
    return PracticeCounts(code, list_size, {"X": 0}, {i: IndicatorCounts() for i in RULES.indicators})


def outcome(p: Patient, indicator: str) -> tuple[int, int, int]:
    """(numerator, denominator, exceptions) of one patient counted alone."""
    c = both([p], [p.practice_code])[p.practice_code].indicators[indicator]
    return c.numerator, c.denominator, c.exceptions


NUMERATOR, DENOMINATOR, EXCEPTION, REJECTED = (1, 1, 0), (0, 1, 0), (0, 0, 1), (0, 0, 0)
DX = ev("X_COD", D(2010, 1, 1))


def test_latest_value_reads_the_lowest_values_of_the_latest_day_only():
    day, earlier = D(2012, 12, 1), D(2012, 6, 1)
    assert outcome(patient(1, "P1", DX, ev("V_COD", earlier, 130, 80), ev("V_COD", day)), "X02") == DENOMINATOR
    assert outcome(patient(2, "P1", DX, ev("V_COD", day, 150, 85), ev("V_COD", day, 135, 95)), "X02") == NUMERATOR
    assert outcome(patient(3, "P1", DX, ev("V_COD", day, 150), ev("W_COD", day, 120, 80)), "X02") == NUMERATOR
    assert outcome(patient(4, "P1", DX, ev("V_COD", earlier, 120, 80), ev("W_COD", day, 160, 80)), "X02") == DENOMINATOR
    assert outcome(patient(5, "P1", DX, ev("V_COD", D(2011, 12, 1), 120, 80)), "X02") == DENOMINATOR  # out of window


def test_a_list_counts_nobody_outside_the_population_of_its_first_rule():
    values = ev("V_COD", D(2012, 12, 1), 120, 80)
    assert outcome(patient(1, "P1", values), "X02") == REJECTED  # not on the register
    assert outcome(patient(2, "P1", DX, ev("XRES_COD", D(2011, 1, 1)), values), "X02") == REJECTED  # resolved
    assert outcome(patient(3, "P1", DX, values), "X02") == NUMERATOR
    assert outcome(patient(4, "P1", born=D(2000, 1, 1)), "X03") == REJECTED
    assert outcome(patient(5, "P1", sex="M"), "X04") == REJECTED
    assert outcome(patient(6, "P1"), "X04") == DENOMINATOR
    assert outcome(patient(7, "P1", ev("T_COD", D(1990, 1, 1)), sex="M", born=D(2000, 1, 1)), "X05") == NUMERATOR
    assert outcome(patient(8, "P1", sex="M", born=D(2000, 1, 1)), "X05") == DENOMINATOR


def test_around_with_both_bounds_looks_at_every_event_and_needs_an_anchor():
    anchor = ev("A_COD", D(2012, 5, 1))
    assert outcome(patient(1, "P1", anchor, ev("T_COD", D(2012, 5, 8))), "X03") == NUMERATOR
    assert outcome(patient(2, "P1", anchor, ev("T_COD", D(2012, 4, 24))), "X03") == NUMERATOR
    assert outcome(patient(3, "P1", anchor, ev("T_COD", D(2012, 4, 1)), ev("T_COD", D(2012, 6, 1))), "X03") == EXCEPTION
    assert outcome(patient(4, "P1", ev("T_COD", D(2012, 5, 8))), "X03") == DENOMINATOR
    later = ev("A_COD", D(2012, 8, 1))  # the exception counts from the latest anchor
    assert outcome(patient(5, "P1", anchor, later, ev("T_COD", D(2012, 8, 30))), "X03") == DENOMINATOR
    assert outcome(patient(6, "P1", anchor, later, ev("T_COD", D(2012, 8, 31))), "X03") == EXCEPTION


def test_latest_is_and_first_within():
    t, v = ev("T_COD", D(2012, 10, 1)), ev("V_COD", D(2012, 10, 1), 120, 80)
    assert outcome(patient(1, "P1", t), "X04") == NUMERATOR
    assert outcome(patient(2, "P1", t, v), "X04") == NUMERATOR  # same day: T is among the latest
    assert outcome(patient(3, "P1", t, ev("V_COD", D(2012, 10, 2), 120, 80)), "X04") == DENOMINATOR
    assert outcome(patient(4, "P1", ev("T_COD", D(2012, 3, 1))), "X04") == DENOMINATOR  # out of window
    assert outcome(patient(5, "P1", ev("A_COD", D(2013, 1, 1))), "X04") == EXCEPTION
    assert outcome(patient(6, "P1", ev("A_COD", D(2012, 1, 1)), ev("A_COD", D(2013, 1, 1))), "X04") == DENOMINATOR


def test_every_named_practice_appears_even_with_nobody_to_count():
    gone = patient(1, "P2", DX, registered_to=D(2013, 2, 1))  # on the list on 1 January, gone by 31 March
    counts = both([patient(2, "P1", DX), gone], ["P1", "P2", "P3"])
    assert sorted(counts) == ["P1", "P2", "P3"]
    assert (counts["P1"].list_size, counts["P1"].registers["X"]) == (1, 1)
    assert counts["P2"].as_tuple() == empty("P2", list_size=1).as_tuple()
    assert counts["P3"].as_tuple() == empty("P3").as_tuple()


def test_no_patients_and_patients_without_events():
    assert both([], ["P1"])["P1"].as_tuple() == empty("P1").as_tuple()
    assert both([patient(1, "P1"), patient(2, "P1", sex="M")], ["P1"])["P1"].indicators["X04"].denominator == 1
