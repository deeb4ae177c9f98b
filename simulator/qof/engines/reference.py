"""The reference engine: each patient through each rule list, exactly as the rulesets read.

Slow and obvious on purpose: it is the oracle that the DuckDB engine, reconciliation and the
conformance kit are checked against.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Iterable, Iterator

import pyarrow.parquet as pq

from simulator.qof.engines import IndicatorCounts, PracticeCounts
from simulator.qof.rules import (AgeAtLeast, AllOf, AnyOf, Around, Condition, FirstWithin, Has, LatestIs,
                                 LatestValue, Not, OnRegister, RegisteredWithin, Rule, RuleSet, Sex, Unresolved)


@dataclass(frozen=True)
class Event:
    code: str
    date: dt.date
    value: float | None = None
    value2: float | None = None
    system: str = "readv2"


@dataclass
class Patient:
    patient_id: int
    practice_code: str
    date_of_birth: dt.date
    registered_from: dt.date
    registered_to: dt.date | None = None
    events: list[Event] = field(default_factory=list)
    sex: str = "F"

    def registered_on(self, day: dt.date) -> bool:
        return self.registered_from <= day and (self.registered_to is None or self.registered_to > day)


class _Facts:
    """One patient's events grouped by cluster, ignoring anything dated after the achievement date."""

    def __init__(self, patient: Patient, code_clusters: dict[tuple[str, str], tuple[str, ...]], end: dt.date):
        self.patient = patient
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
        practices: Iterable[str] = ()) -> dict[str, PracticeCounts]:
    """Counts per practice. Practices named in ``practices`` appear even with no patients."""
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
    """Patients with their events from the neutral Parquet tables (whole file in memory: a test-scale reader)."""
    filt = [("practice_code", "in", sorted(practices))] if practices else None
    pt = pq.read_table(patients_path, filters=filt).to_pylist()
    ev = pq.read_table(events_path, filters=filt).to_pylist()
    by_patient: dict[int, list[Event]] = defaultdict(list)
    for e in ev:
        by_patient[e["patient_id"]].append(Event(e["code"], e["date"], e["value"], e["value2"], e["system"]))
    for p in pt:
        yield Patient(p["patient_id"], p["practice_code"], p["date_of_birth"], p["registered_from"],
                      p["registered_to"], by_patient.get(p["patient_id"], []), p["sex"])
