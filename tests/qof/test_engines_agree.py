"""The reference engine and the DuckDB engine agree, count for count, on random populations.

As ehrQL does for its query engines: Hypothesis builds small populations (1-3 practices,
0-12 patients each) whose dates sit on and around every window edge of the rules, whose
values sit on and around every threshold, with same-day duplicates, codes of both coding
systems, codes recorded under the wrong system and codes in no cluster; both engines count
them; every practice must match.

Cost: one DuckDB run costs ~50-80 ms whatever its size, so each Hypothesis example is a
*batch* of ``POPULATIONS_PER_EXAMPLE`` populations, each with practice codes (and patient
ids) of its own, counted by DuckDB in one run and by the reference engine one population at
a time; agreement is checked practice by practice, population by population.
``test_engines_agree`` then asserts that at least ``MIN_POPULATIONS`` distinct populations
were compared and that they reached every register and every outcome of every indicator (a
generator that never fills a numerator would prove nothing).
"""

from __future__ import annotations

import datetime as dt

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulator.population.records import to_tables
from simulator.qof.catalogue import default_catalogue
from simulator.qof.engines import duckdb as duckdb_engine
from simulator.qof.engines import reference
from simulator.qof.engines.reference import Event, Patient

CAT = default_catalogue()
RULES, CLUSTERS = CAT.rules, CAT.clusters
CODES = reference.code_clusters(RULES, CLUSTERS)

EXAMPLES = 100
POPULATIONS_PER_EXAMPLE = 8
MIN_POPULATIONS = 500

D = dt.date.fromisoformat
# Every date edge the rules resolve to: windows of 27/15/9/3 months start 2011-01-01,
# 2012-01-01, 2012-07-01, 2013-01-01; list size on 2013-01-01; achievement date 2013-03-31
# and the day after; plus the reference-period start.
EDGES = [D(x) for x in ("2011-01-01", "2012-01-01", "2012-04-01", "2012-07-01", "2012-12-31",
                        "2013-01-01", "2013-03-31", "2013-04-01")]
AGE_EDGES = [D("1998-03-31"), D("1996-03-31")]  # exactly 15 / 17 on the achievement date


def near(anchors: list[dt.date], spread: int) -> st.SearchStrategy[dt.date]:
    return st.builds(lambda a, k: a + dt.timedelta(days=k), st.sampled_from(anchors), st.integers(-spread, spread))


def around(thresholds: list[float], steps: list[float]) -> st.SearchStrategy[float | None]:
    """A value on or just either side of a threshold; sometimes missing or anywhere."""
    return st.one_of(st.builds(lambda t, d: t + d, st.sampled_from(thresholds), st.sampled_from(steps)),
                     st.none(), st.floats(0, 250, allow_nan=False).map(lambda x: round(x, 1)))


event_dates = st.one_of(near(EDGES, 3), st.dates(D("2005-01-01"), D("2014-01-01")))
dobs = st.one_of(near(AGE_EDGES, 2), st.dates(D("1920-01-01"), D("2013-06-01")))
registered_from = st.one_of(near(EDGES, 2), st.dates(D("1990-01-01"), D("2013-06-01")))
registered_to = st.one_of(st.none(), st.none(), near(EDGES, 2))

STEPS = [-1, -0.5, 0, 0, 0.5, 1]
# (value, value2) by cluster, around the thresholds of the rules that read them
READINGS = {
    "BP_COD": st.tuples(around([140, 150], STEPS), around([80, 90], STEPS)),
    "IFCCHBAM_COD": st.tuples(around([59, 64, 75], STEPS), st.none()),
    "CHOL_COD": st.tuples(around([5], [-0.1, 0, 0, 0.1]), st.none()),
}
any_reading = st.tuples(around([5, 59, 64, 75, 80, 90, 140, 150], STEPS), around([80, 90], STEPS))
no_reading = st.just((None, None))

KNOWN = sorted(CODES)
ALL_CODES = sorted({code for _, code in KNOWN} | {"ZZZZ.", "246A."})
# Diagnoses weigh more, so that registers (and so the indicators) are often populated.
DIAGNOSES = [pair for name in ("DM_COD", "HYP_COD", "CHD_COD") for pair in CLUSTERS[name]]
codes = st.one_of(st.sampled_from(KNOWN), st.sampled_from(DIAGNOSES),
                  st.tuples(st.sampled_from(["readv2", "ctv3"]), st.sampled_from(ALL_CODES)))


def reading_for(system: str, code: str) -> st.SearchStrategy:
    for cluster in CODES.get((system, code), ()):
        if cluster in READINGS:
            return READINGS[cluster]
    return st.one_of(no_reading, no_reading, any_reading)


@st.composite
def event_lists(draw) -> list[tuple]:
    out: list[tuple] = []
    for _ in range(draw(st.integers(0, 7))):
        system, code = draw(codes)
        same_day = out and draw(st.integers(0, 3)) == 0  # another entry on an earlier entry's day
        date = draw(st.sampled_from([e[2] for e in out])) if same_day else draw(event_dates)
        value, value2 = draw(reading_for(system, code))
        out.append((system, code, date, value, value2))
    return out


patient_specs = st.tuples(dobs, registered_from, registered_to, event_lists())
practice_lists = st.integers(0, 12).flatmap(lambda n: st.lists(patient_specs, min_size=n, max_size=n))
populations = st.lists(practice_lists, min_size=1, max_size=3)  # 1-3 practices, 0-12 patients each


def build(batch) -> list[tuple[list[str], list[Patient]]]:
    """Each population gets practice codes (and patient ids) of its own."""
    out, next_id = [], 1
    for b, population in enumerate(batch):
        practice_codes, patients = [], []
        for p, specs in enumerate(population):
            code = f"P{b:03d}{p}"
            practice_codes.append(code)
            for dob, start, end, events in specs:
                patients.append(Patient(next_id, code, dob, start, end,
                                        [Event(c, d, v, v2, s) for s, c, d, v, v2 in events]))
                next_id += 1
        out.append((practice_codes, patients))
    return out


compared: set[str] = set()  # distinct populations the engines agreed on
reached: set[tuple[str, str]] = set()  # (indicator or register, outcome) seen by the oracle


@settings(max_examples=EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.lists(populations, min_size=POPULATIONS_PER_EXAMPLE, max_size=POPULATIONS_PER_EXAMPLE))
def _engines_agree(batch):
    built = build(batch)
    everyone = [p for _, patients in built for p in patients]
    everywhere = [c for practice_codes, _ in built for c in practice_codes]
    pts, evs = to_tables(everyone)
    fast = duckdb_engine.run(RULES, CLUSTERS, pts, evs, everywhere)
    assert sorted(fast) == sorted(everywhere)
    for (practice_codes, patients), population in zip(built, batch):
        oracle = reference.run(RULES, CLUSTERS, patients, practice_codes)
        assert sorted(oracle) == sorted(practice_codes)
        for code in practice_codes:
            assert fast[code].as_tuple() == oracle[code].as_tuple(), f"practice {code} differs"
        compared.add(repr(population))
        for p in patients:
            v = reference.evaluate_patient(RULES, CODES, p)
            if v is not None:
                reached.update((r, "select" if on else "reject") for r, on in v.registers.items())
                reached.update((i, outcome) for i, (outcome, _) in v.indicators.items())


def test_engines_agree():
    compared.clear()
    reached.clear()
    _engines_agree()
    assert len(compared) >= MIN_POPULATIONS, f"only {len(compared)} distinct populations compared"
    possible = {(r, o) for r in RULES.registers for o in ("select", "reject")}
    possible |= {(i, rule.outcome) for i, ind in RULES.indicators.items() for rule in ind.rules}
    assert possible - reached == set(), "the generator never produced these outcomes"
