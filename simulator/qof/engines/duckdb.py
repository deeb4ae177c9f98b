"""The fast engine: the same rule model compiled to set-based SQL, run by DuckDB over Parquet.

Each leaf condition becomes one or two per-patient aggregates over the events joined to their
clusters; each rule list becomes one CASE expression (first WHEN that holds wins, as in the
reference engine); counts are then summed per practice. Dates arrive already resolved from
the rule model, so no calendar arithmetic happens in SQL.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import duckdb
import pyarrow as pa

from simulator.qof.engines import IndicatorCounts, PracticeCounts
from simulator.qof.rules import (AgeAtLeast, AllOf, AnyOf, Around, Condition, FirstWithin, Has, LatestIs,
                                 LatestValue, Not, OnRegister, RegisteredWithin, Rule, RuleSet, Sex, Unresolved,
                                 Window)

OUTCOME_CODE = {"numerator": 1, "exception": 2, "denominator": 3, "reject": 0}


def _d(day: dt.date) -> str:
    return f"DATE '{day.isoformat()}'"


def _in(clusters: tuple[str, ...]) -> str:
    return "cluster IN (" + ", ".join("'" + c.replace("'", "''") + "'" for c in clusters) + ")"


def _win(w: Window) -> str:
    return "TRUE" if w.start is None else f"date >= {_d(w.start)}"  # ev already holds date <= end


def _num(x: float) -> str:
    return repr(float(x))


@dataclass
class _Compiler:
    stage1: dict[str, str] = field(default_factory=dict)  # alias -> aggregate over ev
    stage2: dict[str, str] = field(default_factory=dict)  # alias -> aggregate needing stage1

    def agg1(self, expr: str) -> str:
        for alias, e in self.stage1.items():
            if e == expr:
                return alias
        alias = f"a{len(self.stage1)}"
        self.stage1[alias] = expr
        return alias

    def agg2(self, expr: str) -> str:
        for alias, e in self.stage2.items():
            if e == expr:
                return alias
        alias = f"b{len(self.stage2)}"
        self.stage2[alias] = expr
        return alias

    def cond(self, c: Condition) -> str:
        if isinstance(c, Has):
            a = self.agg1(f"bool_or({_in(c.clusters)} AND {_win(c.window)})")
            return f"coalesce({a}, FALSE)"
        if isinstance(c, LatestValue):
            last = self.agg1(f"max(date) FILTER (WHERE {_in(c.clusters)} AND {_win(c.window)})")
            v = self.agg2(f"min(value) FILTER (WHERE {_in(c.clusters)} AND date = {last})")
            v2 = self.agg2(f"min(value2) FILTER (WHERE {_in(c.clusters)} AND date = {last})")
            parts = [f"{last} IS NOT NULL"]
            if c.max is not None:
                parts.append(f"coalesce({v} <= {_num(c.max)}, FALSE)")
            if c.min is not None:
                parts.append(f"coalesce({v} >= {_num(c.min)}, FALSE)")
            if c.max2 is not None:
                parts.append(f"coalesce({v2} <= {_num(c.max2)}, FALSE)")
            return "(" + " AND ".join(parts) + ")"
        if isinstance(c, LatestIs):
            last = self.agg1(f"max(date) FILTER (WHERE {_in(c.among)} AND {_win(c.window)})")
            hit = self.agg2(f"bool_or({_in(c.is_)} AND date = {last})")
            return f"coalesce({hit}, FALSE)"
        if isinstance(c, Unresolved):
            dx = self.agg1(f"max(date) FILTER (WHERE {_in(c.clusters)})")
            res = self.agg1(f"max(date) FILTER (WHERE {_in(c.resolved)})")
            return f"({dx} IS NOT NULL AND ({res} IS NULL OR {res} <= {dx}))"
        if isinstance(c, FirstWithin):
            first = self.agg1(f"min(date) FILTER (WHERE {_in(c.clusters)})")
            lo = "TRUE" if c.window.start is None else f"{first} >= {_d(c.window.start)}"
            return f"coalesce({first} IS NOT NULL AND {lo}, FALSE)"
        if isinstance(c, Around):
            first = self.agg1(f"{'max' if c.latest else 'min'}(date) FILTER (WHERE {_in(c.anchor)})")
            span = [f"date - {first} >= {int(c.from_days)}"] if c.from_days is not None else []
            span += [f"date - {first} <= {int(c.to_days)}"] if c.to_days is not None else []
            hit = self.agg2(f"bool_or({_in(c.clusters)} AND {' AND '.join(span)})")
            return f"coalesce({hit}, FALSE)"
        if isinstance(c, Sex):
            return f"(p.sex = '{c.sex}')"
        if isinstance(c, RegisteredWithin):
            lo = "TRUE" if c.window.start is None else f"p.registered_from >= {_d(c.window.start)}"
            return f"(p.registered_from <= {_d(c.window.end)} AND {lo})"
        if isinstance(c, AgeAtLeast):
            return f"(p.date_of_birth <= {_d(c.born_by)})"
        if isinstance(c, OnRegister):
            return f"reg_{c.register}"
        if isinstance(c, AllOf):
            return "(" + " AND ".join(self.cond(p) for p in c.parts) + ")"
        if isinstance(c, AnyOf):
            return "(" + " OR ".join(self.cond(p) for p in c.parts) + ")"
        if isinstance(c, Not):
            return f"(NOT {self.cond(c.part)})"
        raise TypeError(f"unknown condition {c!r}")

    def case(self, rules: tuple[Rule, ...], code: dict[str, object]) -> str:
        whens = [f"WHEN {self.cond(r.condition)} THEN {code[r.outcome]}" for r in rules if r.condition is not None]
        return "CASE " + " ".join(whens) + f" ELSE {code[rules[-1].outcome]} END"


def compile_sql(ruleset: RuleSet, patients_src: str, events_src: str, cluster_src: str) -> str:
    """One SELECT returning long rows (practice_code, measure, n, d, x): per practice ``#list``
    (n = list size), ``#practice`` (every practice once), ``r_<register>`` (n = on the register)
    and ``o_<indicator>`` (numerator, denominator excluding exceptions, exceptions).

    The per-patient outcomes are unpivoted before counting: three aggregates over a long table
    plan far faster than three per indicator over a wide one (~0.1 s against ~0.45 s a run).
    """
    comp = _Compiler()
    reg_cols = [f"{comp.case(r.rules, {'select': 1, 'reject': 0})} AS r_{rid}"
                for rid, r in ruleset.registers.items()]
    ind_cols = [f"{comp.case(i.rules, OUTCOME_CODE)} AS o_{iid}" for iid, i in ruleset.indicators.items()]
    ach, lsd = _d(ruleset.achievement_date), _d(ruleset.list_size_date)
    s1 = ", ".join(f"{e} AS {a}" for a, e in comp.stage1.items()) or "TRUE AS a_none"
    s2 = ", ".join(f"{e} AS {a}" for a, e in comp.stage2.items())
    stage2_sql = (f", s2 AS (SELECT ev.patient_id, {s2} FROM ev JOIN s1 USING (patient_id) GROUP BY ev.patient_id)"
                  if comp.stage2 else "")
    stage2_join = "LEFT JOIN s2 USING (patient_id)" if comp.stage2 else ""
    reg_refs = ", ".join(f"r_{rid} = 1 AS reg_{rid}" for rid in ruleset.registers) or "TRUE AS reg_none"
    outcomes = ", ".join([f"r_{rid}" for rid in ruleset.registers] + [f"o_{iid}" for iid in ruleset.indicators])
    measured = (f"""long AS (UNPIVOT (SELECT practice_code, {outcomes} FROM inds) ON COLUMNS(* EXCLUDE (practice_code))
              INTO NAME measure VALUE o),
measured AS (
  SELECT practice_code, measure, count(*) FILTER (WHERE o = 1) AS n, count(*) FILTER (WHERE o IN (1, 3)) AS d,
         count(*) FILTER (WHERE o = 2) AS x
  FROM long GROUP BY practice_code, measure
),""" if outcomes else "measured AS (SELECT NULL AS practice_code, NULL AS measure, 0 AS n, 0 AS d, 0 AS x WHERE FALSE),")
    return f"""
WITH cc AS (SELECT system, code, cluster FROM {cluster_src}),
pts AS (SELECT * FROM {patients_src}),
ev AS (
  SELECT e.patient_id, e.date, e.value, e.value2, cc.cluster
  FROM {events_src} e JOIN cc ON e.system = cc.system AND e.code = cc.code
  WHERE e.date <= {ach} AND e.patient_id IN (SELECT patient_id FROM pts)
),
s1 AS (SELECT patient_id, {s1} FROM ev GROUP BY patient_id){stage2_sql},
pop AS (
  SELECT p.practice_code, p.patient_id, p.registered_from, p.date_of_birth, p.sex,
         s1.* EXCLUDE (patient_id){stage2_join and ', s2.* EXCLUDE (patient_id)' or ''}
  FROM pts p LEFT JOIN s1 USING (patient_id) {stage2_join}
  WHERE p.registered_from <= {ach} AND (p.registered_to IS NULL OR p.registered_to > {ach})
),
regs AS (SELECT *, {", ".join(reg_cols) or "0 AS r_none"} FROM pop p),
regd AS (SELECT *, {reg_refs} FROM regs p),
inds AS (SELECT *, {", ".join(ind_cols) or "0 AS o_none"} FROM regd p),
{measured}
listed AS (
  SELECT practice_code, count(*) AS list_size FROM pts
  WHERE registered_from <= {lsd} AND (registered_to IS NULL OR registered_to > {lsd})
  GROUP BY practice_code
)
SELECT practice_code, '#practice' AS measure, 0 AS n, 0 AS d, 0 AS x FROM (SELECT DISTINCT practice_code FROM pts)
UNION ALL SELECT practice_code, '#list', list_size, 0, 0 FROM listed
UNION ALL SELECT practice_code, measure, n, d, x FROM measured
"""


def cluster_table(ruleset: RuleSet, clusters: dict[str, tuple[tuple[str, str], ...]]) -> pa.Table:
    rows = [(s, c, name) for name in sorted(ruleset.clusters) for s, c in clusters.get(name, ())]
    return pa.table({"system": [r[0] for r in rows], "code": [r[1] for r in rows], "cluster": [r[2] for r in rows]})


def run(ruleset: RuleSet, clusters: dict[str, tuple[tuple[str, str], ...]], patients, events,
        practices: list[str] | None = None, threads: int | None = None) -> dict[str, PracticeCounts]:
    """Counts per practice. ``patients``/``events``: Parquet paths (str) or Arrow tables.

    ``practices`` limits the run to those practices (a supplier runs only its own) and makes each
    of them appear even if it has no patients.
    """
    con = duckdb.connect()
    # Projection placement costs ~0.05 s of planning per run over ~100 rule lists and buys
    # nothing for this query shape (every column it moves is used once).
    con.execute("SET disabled_optimizers = 'projection_placement'")
    if threads:
        con.execute(f"SET threads TO {int(threads)}")
    con.register("cc_table", cluster_table(ruleset, clusters))

    def src(name: str, value) -> str:
        if isinstance(value, pa.Table):
            con.register(name, value)
            base = name
        else:
            base = f"read_parquet('{str(value).replace(chr(39), chr(39) * 2)}')"
        if practices is not None:
            con.register("wanted", pa.table({"practice_code": list(practices)}))
            return f"(SELECT * FROM {base} WHERE practice_code IN (SELECT practice_code FROM wanted))"
        return base

    sql = compile_sql(ruleset, src("patients_t", patients), src("events_t", events), "cc_table")
    rows = con.execute(sql).fetchall()
    con.close()
    out: dict[str, PracticeCounts] = {}

    def counts_for(code: str) -> PracticeCounts:
        if code not in out:
            out[code] = PracticeCounts(code, 0, {r: 0 for r in ruleset.registers},
                                       {i: IndicatorCounts() for i in ruleset.indicators})
        return out[code]

    for code, measure, n, d, x in rows:
        pc = counts_for(code)
        if measure == "#list":
            pc.list_size = int(n)
        elif measure.startswith("r_"):
            pc.registers[measure[2:]] = int(n)
        elif measure.startswith("o_"):
            pc.indicators[measure[2:]] = IndicatorCounts(int(n), int(d), int(x))
    out = dict(sorted(out.items()))
    for code in practices or ():
        out.setdefault(code, PracticeCounts(code, 0, {r: 0 for r in ruleset.registers},
                                            {i: IndicatorCounts() for i in ruleset.indicators}))
    return out
