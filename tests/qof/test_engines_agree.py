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
were compared and that in them every rule of every list decided some patient's outcome (a
generator that never fills a numerator would prove nothing).
"""

from __future__ import annotations

import datetime as dt

from hypothesis import HealthCheck, Phase, given, settings
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


def around(edges: list[dt.date], spread: int) -> list[dt.date]:
    return sorted({e + dt.timedelta(days=k) for e in edges for k in range(-spread, spread + 1)})


# Pools of candidate values: one Hypothesis draw picks from a pool, which keeps a batch of
# hundreds of events cheap to generate (nested strategies cost ~60 us a draw here).
ELSEWHEN = [D(x) for x in ("2005-06-15", "2008-02-29", "2010-10-10", "2011-06-30", "2012-03-15",
                           "2012-10-01", "2013-02-14", "2013-08-01")]
EVENT_DATES = around(EDGES, 3) + ELSEWHEN
DOBS = around(AGE_EDGES, 2) + [D(x) for x in ("1925-05-05", "1940-01-01", "1955-07-31", "1970-12-31",
                                               "1985-03-31", "1999-09-09", "2005-01-01", "2012-02-29")]
REGISTERED_FROM = around(EDGES, 2) + [D(x) for x in ("1990-01-01", "2001-04-01", "2009-11-30")]
REGISTERED_TO = [None] * 20 + around(EDGES, 2)


def readings(low: list[float], high: list[float] | None, steps: list[float], well: tuple) -> list[tuple]:
    """(value, value2) on and either side of each threshold, well within them, or missing."""
    firsts = sorted({t + d for t in low for d in steps} | {well[0]}) + [None]
    seconds = sorted({t + d for t in high for d in steps} | {well[1]}) + [None] if high else [None]
    grid = [(a, b) for a in firsts for b in seconds]
    return grid + [well] * (len(grid) // 4)


STEPS = [-1, -0.5, 0, 0.5, 1]
READINGS = {  # by cluster, around the thresholds of the rules that read them
    "BP_COD": readings([140, 150], [80, 90], STEPS, (120, 70)),
    "IFCCHBAM_COD": readings([59, 64, 75], None, STEPS, (48, None)),
    "CHOL_COD": readings([5], None, [-0.1, 0, 0.1], (4, None)),
}
OTHER_READINGS = [(None, None)] * 6 + [(58.0, None), (150.0, 90.0), (4.9, None), (200.0, 120.0)]

KNOWN = sorted(CODES)
UNKNOWN = [("readv2", "ZZZZ."), ("ctv3", "ZZZZ."), ("readv2", "246A.")]
# codes recorded under the other system: e.g. Read v2 C10F. arriving from a CTV3 system
WRONG_SYSTEM = sorted({("ctv3" if s == "readv2" else "readv2", c) for s, c in KNOWN} - set(KNOWN))
# Diagnoses and readings weigh more, so that registers fill and numerators are reached.
DIAGNOSES = [pair for name in ("DM_COD", "HYP_COD", "CHD_COD") for pair in CLUSTERS[name]]
MEASURES = [pair for name in READINGS for pair in CLUSTERS[name]]
SMOKING = [pair for name in ("SMOK_COD", "CSSUP_COD") for pair in CLUSTERS[name]]
EXCEPTING = [pair for name in ("BPDEC_COD", "MAXBP_COD", "HYPEX_COD") for pair in CLUSTERS[name]]
CODE_POOL = KNOWN + DIAGNOSES * 2 + MEASURES * 5 + SMOKING * 2 + EXCEPTING + UNKNOWN + WRONG_SYSTEM[:4]


READING_DRAWS = {pair: st.sampled_from(READINGS.get(next((c for c in CODES.get(pair, ()) if c in READINGS), ""),
                                                  OTHER_READINGS))
                 for pair in CODE_POOL}
CODE_DRAW, DATE_DRAW, PICK = st.sampled_from(CODE_POOL), st.sampled_from(EVENT_DATES), st.integers(0, 11)


@st.composite
def event_lists(draw) -> list[tuple]:
    out: list[tuple] = []
    for _ in range(draw(st.integers(0, 7))):
        system, code = draw(CODE_DRAW)
        pick = draw(PICK)
        # a quarter of the time: another entry on an earlier entry's day (same-day readings)
        date = out[pick % len(out)][2] if out and pick < 3 else draw(DATE_DRAW)
        value, value2 = draw(READING_DRAWS[(system, code)])
        out.append((system, code, date, value, value2))
    return out


patient_specs = st.tuples(st.sampled_from(DOBS), st.sampled_from(REGISTERED_FROM), st.sampled_from(REGISTERED_TO),
                          event_lists())
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


def witness(patients: list[Patient]) -> str:
    """The patients on whom the engines disagree when counted alone (counts are additive per
    patient, so a practice that differs has at least one), ready to paste into a spec test."""
    found = []
    for p in patients:
        pts, evs = to_tables([p])
        fast = duckdb_engine.run(RULES, CLUSTERS, pts, evs, [p.practice_code])[p.practice_code].as_tuple()
        slow = reference.run(RULES, CLUSTERS, [p], [p.practice_code])[p.practice_code].as_tuple()
        if fast != slow:
            found.append(f"{p!r}\n  duckdb:    {fast}\n  reference: {slow}")
    return "\n".join(found) or "no single patient disagrees"


compared: set[str] = set()  # distinct populations the engines agreed on
reached: set[tuple] = set()  # (register, outcome) and (indicator, outcome, deciding rule) seen by the oracle


# No shrink phase: each shrink step is a DuckDB run, so shrinking a failure took ~5 minutes;
# the failure message names the disagreeing patient(s) instead (see ``witness``), and the
# failing batch is saved in Hypothesis' example database and replayed first on the next run.
@settings(max_examples=EXAMPLES, deadline=None, phases=[Phase.explicit, Phase.reuse, Phase.generate],
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.lists(populations, min_size=POPULATIONS_PER_EXAMPLE, max_size=POPULATIONS_PER_EXAMPLE, unique_by=repr))
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
            if fast[code].as_tuple() != oracle[code].as_tuple():
                raise AssertionError(f"engines differ on practice {code}:\n"
                                     + witness([p for p in patients if p.practice_code == code]))
        compared.add(repr(population))
        for p in patients:
            v = reference.evaluate_patient(RULES, CODES, p)
            if v is not None:
                reached.update((r, "select" if on else "reject") for r, on in v.registers.items())
                reached.update((i, outcome, step) for i, (outcome, step) in v.indicators.items())


def test_engines_agree():
    compared.clear()
    reached.clear()
    _engines_agree()
    assert len(compared) >= MIN_POPULATIONS, f"only {len(compared)} distinct populations compared"
    possible = {(r, o) for r in RULES.registers for o in ("select", "reject")}
    possible |= {(i, rule.outcome, n) for i, ind in RULES.indicators.items() for n, rule in enumerate(ind.rules, 1)}
    assert possible - reached == set(), "the generator never made these rules decide"
