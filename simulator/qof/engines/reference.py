"""The reference engine: each patient through each rule list, exactly as the rulesets read.

Slow and obvious on purpose: it is the oracle that the DuckDB engine, reconciliation and the
conformance kit are checked against.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Iterable, Iterator

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from simulator.population.schema import Event, Patient  # noqa: F401  (the record types, re-exported)
from simulator.qof.engines import IndicatorCounts, PracticeCounts
from simulator.qof.rules import (AgeAtLeast, AllOf, AnyOf, Around, Condition, FirstWithin, Has, LatestIs,
                                 LatestValue, Not, OnRegister, RegisteredWithin, Rule, RuleSet, Sex, Unresolved)


class _Facts:
    """One patient's events grouped by cluster, ignoring anything dated after the achievement date."""

    def __init__(self, patient: Patient, code_clusters: dict[tuple[str, str], tuple[str, ...]], end: dt.date):
        self.patient = patient
        self.end = end
        self.by_cluster: dict[str, list[Event]] = defaultdict(list)
        for e in patient.events:
            if e.date > end:
                continue
            for c in code_clusters.get((e.system, e.code), ()):
                self.by_cluster[c].append(e)
        self.registers: dict[str, bool] = {}

    def events(self, clusters: tuple[str, ...], window=None) -> list[Event]:
        seen: dict[int, Event] = {}
        for c in clusters:
            for e in self.by_cluster.get(c, ()):
                if window is None or window.contains(e.date):
                    seen[id(e)] = e
        return list(seen.values())


def _holds(c: Condition, f: _Facts) -> bool:
    if isinstance(c, Has):
        return bool(f.events(c.clusters, c.window))
    if isinstance(c, LatestValue):
        evs = f.events(c.clusters, c.window)
        if not evs:
            return False
        last = max(e.date for e in evs)
        same_day = [e for e in evs if e.date == last]
        values = [e.value for e in same_day if e.value is not None]
        values2 = [e.value2 for e in same_day if e.value2 is not None]
        v = min(values) if values else None
        v2 = min(values2) if values2 else None
        if c.max is not None and (v is None or v > c.max):
            return False
        if c.min is not None and (v is None or v < c.min):
            return False
        if c.max2 is not None and (v2 is None or v2 > c.max2):
            return False
        return True
    if isinstance(c, LatestIs):
        evs = f.events(c.among, c.window)
        if not evs:
            return False
        last = max(e.date for e in evs)
        target = {id(e) for e in f.events(c.is_, c.window)}
        return any(id(e) in target for e in evs if e.date == last)
    if isinstance(c, Unresolved):
        dx = f.events(c.clusters)
        if not dx:
            return False
        res = f.events(c.resolved)
        return not res or max(e.date for e in res) <= max(e.date for e in dx)
    if isinstance(c, FirstWithin):
        evs = f.events(c.clusters)
        return bool(evs) and c.window.contains(min(e.date for e in evs))
    if isinstance(c, Around):
        anchors = f.events(c.anchor)
        if not anchors:
            return False
        first = max(e.date for e in anchors) if c.latest else min(e.date for e in anchors)
        return any((c.from_days is None or (e.date - first).days >= c.from_days)
                   and (c.to_days is None or (e.date - first).days <= c.to_days) for e in f.events(c.clusters))
    if isinstance(c, RegisteredWithin):
        return c.window.contains(f.patient.registered_from)
    if isinstance(c, Sex):
        return f.patient.sex == c.sex
    if isinstance(c, AgeAtLeast):
        return f.patient.date_of_birth <= c.born_by
    if isinstance(c, OnRegister):
        return f.registers[c.register]
    if isinstance(c, AllOf):
        return all(_holds(p, f) for p in c.parts)
    if isinstance(c, AnyOf):
        return any(_holds(p, f) for p in c.parts)
    if isinstance(c, Not):
        return not _holds(c.part, f)
    raise TypeError(f"unknown condition {c!r}")


def _decide(rules: tuple[Rule, ...], f: _Facts) -> tuple[str, int]:
    for step, rule in enumerate(rules, start=1):
        if rule.condition is None or _holds(rule.condition, f):
            return rule.outcome, step
    raise AssertionError("rule lists end with an unconditional rule")  # guaranteed by the parser


@dataclass
class Verdict:
    """What happened to one patient: register membership and, per indicator, outcome and step."""

    registers: dict[str, bool]
    indicators: dict[str, tuple[str, int]]


@dataclass(frozen=True)
class Trace:
    """Why one rule list gave a patient its outcome: whether each step's condition held, the deciding
    step (the first that held) and that step's facts in words. The conformance kit reads the
    ``holds`` of the other steps to say which step a supplier that disagrees must have read otherwise."""

    outcome: str
    step: int
    holds: tuple[bool, ...]
    reason: str

    def text(self) -> str:
        word = {"select": "selected", "reject": "rejected"}.get(self.outcome, self.outcome)
        return f"{word} at step {self.step}: {self.reason}"


def trace_patient(ruleset: RuleSet, codes: dict[tuple[str, str], tuple[str, ...]], patient: Patient) -> dict[str, Trace] | None:
    """Every register's and indicator's trace for one patient (None: not registered on the achievement date)."""
    if not patient.registered_on(ruleset.achievement_date):
        return None
    f = _Facts(patient, codes, ruleset.achievement_date)
    out: dict[str, Trace] = {}
    for rid, reg in ruleset.registers.items():
        out[rid] = _trace(reg.rules, f)
        f.registers[rid] = out[rid].outcome == "select"
    for iid, ind in ruleset.indicators.items():
        out[iid] = _trace(ind.rules, f)
    return out


def explain_steps(ruleset: RuleSet, codes: dict[tuple[str, str], tuple[str, ...]], patient: Patient,
                  subject: str) -> list[str]:
    """What each step of one register's or indicator's rules read in this patient's record, in words."""
    f = _Facts(patient, codes, ruleset.achievement_date)
    for rid, reg in ruleset.registers.items():
        f.registers[rid] = _decide(reg.rules, f)[0] == "select"
    rules = ruleset.registers[subject].rules if subject in ruleset.registers else ruleset.indicators[subject].rules
    return ["otherwise" if r.condition is None else explain(r.condition, f) for r in rules]


def _trace(rules: tuple[Rule, ...], f: _Facts) -> Trace:
    holds = tuple(r.condition is None or _holds(r.condition, f) for r in rules)
    step = holds.index(True) + 1
    cond = rules[step - 1].condition
    return Trace(rules[step - 1].outcome, step, holds, "no earlier rule applied" if cond is None else explain(cond, f))


def _window(w) -> str:
    return f"{w.start}..{w.end}" if w.start else f"ever, to {w.end}"


def _latest(f: _Facts, clusters: tuple[str, ...], window=None) -> tuple[str, Event] | None:
    best = None
    for c in clusters:
        for e in f.by_cluster.get(c, ()):
            if (window is None or window.contains(e.date)) and (best is None or e.date > best[1].date):
                best = (c, e)
    return best


def _n(v) -> str:
    return "no value" if v is None else (str(int(v)) if float(v).is_integer() else f"{v:g}")


def explain(c: Condition, f: _Facts) -> str:
    """The facts a condition read, in words, whether it held or not ("latest IFCCHBAM_COD 64 on 2013-01-10 <= 64")."""
    names = lambda cs: "/".join(cs)  # noqa: E731
    if isinstance(c, Has):
        hit = _latest(f, c.clusters, c.window)
        return (f"{hit[0]} {hit[1].code} on {hit[1].date} (window {_window(c.window)})" if hit
                else f"no {names(c.clusters)} in {_window(c.window)}")
    if isinstance(c, LatestValue):
        hit = _latest(f, c.clusters, c.window)
        if not hit:
            return f"no {names(c.clusters)} in {_window(c.window)}"
        day = hit[1].date
        same = [e for cl in c.clusters for e in f.by_cluster.get(cl, ()) if e.date == day]
        vals = [e.value for e in same if e.value is not None]
        vals2 = [e.value2 for e in same if e.value2 is not None]
        v, v2 = (min(vals) if vals else None), (min(vals2) if vals2 else None)
        bits = []
        if c.max is not None:
            bits.append(f"{_n(v)} {'<=' if v is not None and v <= c.max else '>'} {_n(c.max)}")
        if c.min is not None:
            bits.append(f"{_n(v)} {'>=' if v is not None and v >= c.min else '<'} {_n(c.min)}")
        if c.max2 is not None:
            bits.append(f"{_n(v2)} {'<=' if v2 is not None and v2 <= c.max2 else '>'} {_n(c.max2)}")
        return f"latest {hit[0]} on {day}: " + ", ".join(bits)
    if isinstance(c, LatestIs):
        hit = _latest(f, c.among, c.window)
        if not hit:
            return f"no {names(c.among)} in {_window(c.window)}"
        is_ = [cl for cl in c.is_ if any(e.date == hit[1].date for e in f.by_cluster.get(cl, ()))]
        return (f"latest of {names(c.among)} on {hit[1].date} is {names(tuple(is_))}" if is_
                else f"latest of {names(c.among)} on {hit[1].date} is {hit[0]}, not {names(c.is_)}")
    if isinstance(c, Unresolved):
        dx, res = _latest(f, c.clusters), _latest(f, c.resolved)
        if not dx:
            return f"no {names(c.clusters)} by {f.end}"
        if not res:
            return f"{dx[0]} {dx[1].code} on {dx[1].date}, never resolved"
        word = "resolved" if res[1].date > dx[1].date else "unresolved"
        return f"latest {dx[0]} {dx[1].code} on {dx[1].date}, latest {res[0]} on {res[1].date}: {word}"
    if isinstance(c, FirstWithin):
        evs = [(cl, e) for cl in c.clusters for e in f.by_cluster.get(cl, ())]
        if not evs:
            return f"no {names(c.clusters)}"
        cl, e = min(evs, key=lambda x: x[1].date)
        return f"first {cl} on {e.date} ({'inside' if c.window.contains(e.date) else 'outside'} {_window(c.window)})"
    if isinstance(c, Around):
        a = _latest(f, c.anchor) if c.latest else None
        if not c.latest:
            evs = [(cl, e) for cl in c.anchor for e in f.by_cluster.get(cl, ())]
            a = min(evs, key=lambda x: x[1].date) if evs else None
        if not a:
            return f"no {names(c.anchor)} to count from"
        hits = [(e.date - a[1].date).days for e in f.events(c.clusters)]
        rng = f"{c.from_days if c.from_days is not None else '-inf'}..{c.to_days if c.to_days is not None else 'inf'}"
        return (f"{names(c.clusters)} at {sorted(set(hits))} days from {a[0]} on {a[1].date} (wanted {rng})" if hits
                else f"no {names(c.clusters)} (anchor {a[0]} on {a[1].date})")
    if isinstance(c, RegisteredWithin):
        return f"registered {f.patient.registered_from} (window {_window(c.window)})"
    if isinstance(c, AgeAtLeast):
        dob = f.patient.date_of_birth
        age = f.end.year - dob.year - ((f.end.month, f.end.day) < (dob.month, dob.day))
        return f"born {dob}: {age} on {f.end} ({'>=' if age >= c.years else '<'} {c.years})"
    if isinstance(c, Sex):
        return f"sex {f.patient.sex}"
    if isinstance(c, OnRegister):
        return f"{'on' if f.registers.get(c.register) else 'not on'} the {c.register} register"
    if isinstance(c, AllOf):
        return " and ".join(explain(p, f) for p in c.parts)
    if isinstance(c, AnyOf):
        held = [p for p in c.parts if _holds(p, f)]
        return " or ".join(explain(p, f) for p in (held or c.parts))
    if isinstance(c, Not):
        return explain(c.part, f)
    raise TypeError(f"unknown condition {c!r}")


def code_clusters(ruleset: RuleSet, clusters: dict[str, tuple[tuple[str, str], ...]]) -> dict[tuple[str, str], tuple[str, ...]]:
    out: dict[tuple[str, str], list[str]] = defaultdict(list)
    for name in ruleset.clusters:
        for key in clusters.get(name, ()):
            out[key].append(name)
    return {k: tuple(v) for k, v in out.items()}


def evaluate_patient(ruleset: RuleSet, codes: dict[tuple[str, str], tuple[str, ...]], patient: Patient) -> Verdict | None:
    """None when the patient is not registered on the achievement date (outside every count)."""
    if not patient.registered_on(ruleset.achievement_date):
        return None
    f = _Facts(patient, codes, ruleset.achievement_date)
    for rid, reg in ruleset.registers.items():
        f.registers[rid] = _decide(reg.rules, f)[0] == "select"
    return Verdict(dict(f.registers), {iid: _decide(ind.rules, f) for iid, ind in ruleset.indicators.items()})


def run(ruleset: RuleSet, clusters: dict[str, tuple[tuple[str, str], ...]], patients: Iterable[Patient],
        practices: Iterable[str] = (), verdicts: dict[int, Verdict] | None = None) -> dict[str, PracticeCounts]:
    """Counts per practice. Practices named in ``practices`` appear even with no patients. Each
    patient's :class:`Verdict` (outcome and deciding step per list) goes into ``verdicts`` when given."""
    codes = code_clusters(ruleset, clusters)
    out: dict[str, PracticeCounts] = {}

    def counts_for(code: str) -> PracticeCounts:
        if code not in out:
            out[code] = PracticeCounts(code, 0, {r: 0 for r in ruleset.registers},
                                       {i: IndicatorCounts() for i in ruleset.indicators})
        return out[code]

    for code in practices:
        counts_for(code)
    for p in patients:
        pc = counts_for(p.practice_code)
        if p.registered_on(ruleset.list_size_date):
            pc.list_size += 1
        v = evaluate_patient(ruleset, codes, p)
        if v is None:
            continue
        if verdicts is not None:
            verdicts[p.patient_id] = v
        for rid, on in v.registers.items():
            pc.registers[rid] += on
        for iid, (outcome, _) in v.indicators.items():
            ic = pc.indicators[iid]
            if outcome == "numerator":
                ic.numerator += 1
                ic.denominator += 1
            elif outcome == "denominator":
                ic.denominator += 1
            elif outcome == "exception":
                ic.exceptions += 1
    return out


def read_patients(patients_path, events_path, practices: set[str] | None = None) -> Iterator[Patient]:
    """Patients with their events from the neutral tables, as Parquet paths or Arrow tables (whole file in
    memory: a test-scale reader)."""
    filt = [("practice_code", "in", sorted(practices))] if practices else None

    def rows(src):
        if isinstance(src, pa.Table):
            if practices:
                src = src.filter(pc.is_in(src["practice_code"], pa.array(sorted(practices))))
            return src.to_pylist()
        return pq.read_table(src, filters=filt).to_pylist()

    pt, ev = rows(patients_path), rows(events_path)
    by_patient: dict[int, list[Event]] = defaultdict(list)
    for e in ev:
        by_patient[e["patient_id"]].append(Event(e["code"], e["date"], e["value"], e["value2"], e["system"]))
    for p in pt:
        yield Patient(p["patient_id"], p["practice_code"], p["date_of_birth"], p["registered_from"],
                      p["registered_to"], by_patient.get(p["patient_id"], []), p["sex"])
