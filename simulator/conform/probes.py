"""The conformance population, derived from the rules themselves (not drawn at random).

For every rule step of every register and extracted indicator, patients on each side of each of the
step's boundaries: events on, just inside and just outside each window, ages on the day, latest
values at and just past the target, resolved then re-diagnosed, every code of the register's and
the exception's clusters, exceptions in their order against the numerator; plus registration
boundaries (newly registered, deducted, dead) and the target populations' ages. Each patient is a
*probe* that records what it was built to test; what it actually is (numerator, exception, ...) is
left to the reference engine, so a wrongly built probe cannot make a wrong answer key.

One practice per register or indicator per supplier, so a count that differs points at a few
patients; Read v2 codes for EMIS, INPS and Microtest practices, CTV3 for TPP.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pyarrow as pa
from dateutil.relativedelta import relativedelta

from simulator.population import schema
from simulator.qof import targets
from simulator.qof.catalogue import Catalogue
from simulator.qof.rules import (AgeAtLeast, AllOf, AnyOf, Around, Condition, FirstWithin, Has, LatestIs, LatestValue,
                                 Not, OnRegister, RegisteredWithin, Rule, RuleSet, Sex, Unresolved, Window)

PREFIX = {"EMIS": "E", "TPP": "T", "INPS": "V", "Microtest": "M"}
"""First letter of each supplier's conformance practice codes (codes are ^[A-Z][0-9]{5}$)."""
BASE_DOB = dt.date(1950, 6, 15)
BASE_REGISTERED = dt.date(2005, 4, 1)
EVER = dt.date(2003, 5, 1)  # an event long ago, for conditions that look at the whole record
DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class Frag:
    """Part of a patient: attributes to set, events (cluster, code index, date, value, value2), and
    the words that say why."""

    attrs: tuple[tuple[str, object], ...] = ()
    events: tuple[tuple[str, int, dt.date, float | None, float | None], ...] = ()
    label: tuple[str, ...] = ()

    def __add__(self, other: "Frag") -> "Frag":
        return Frag(self.attrs + other.attrs, self.events + other.events, self.label + other.label)

    def key(self):
        return (tuple(sorted(dict(self.attrs).items(), key=lambda kv: kv[0])), tuple(sorted(set(self.events), key=repr)))


@dataclass
class Probe:
    """One patient built for one (subject, step): subject is a register id, an indicator id or LIST."""

    subject: str
    step: int
    frag: Frag
    design: str = ""


def _fmt(v: float | None) -> str:
    return "" if v is None else (str(int(v)) if float(v).is_integer() else f"{v:g}")


def _mid(w: Window) -> dt.date:
    """A day well inside a window (a month before its end, or its middle if shorter)."""
    if w.start is None:
        return w.end - 30 * DAY
    return max(w.start + (w.end - w.start) // 2, w.end - 30 * DAY)


def _eps(*bounds: float | None) -> float:
    """The step just past a bound: 1 for whole-number targets of 10 or more (mmol/mol, mmHg), else 0.1."""
    return 1.0 if all(b is None or (float(b).is_integer() and b >= 10) for b in bounds) else 0.1


class Builder:
    """Witnesses for conditions: ``pos(c)`` fragments that make ``c`` hold, ``neg(c)`` ones that just fail it."""

    def __init__(self, catalogue: Catalogue, ruleset: RuleSet):
        self.cat = catalogue
        self.rs = ruleset
        self.A = ruleset.achievement_date
        self.L = ruleset.list_size_date

    # ---------------------------------------------------------------- leaves

    def ev(self, cluster: str, day: dt.date, why: str, value=None, value2=None, idx: int = 0) -> Frag:
        vals = "" if value is None and value2 is None else " value " + "/".join(x for x in (_fmt(value), _fmt(value2)) if x)
        return Frag(events=((cluster, idx, day, value, value2),), label=(f"{cluster} on {day}{vals} ({why})",))

    def attr(self, name: str, value, why: str) -> Frag:
        return Frag(attrs=((name, value),), label=(f"{name} {value} ({why})",))

    def ncodes(self, cluster: str) -> int:
        return max(1, sum(1 for s, _ in self.cat.clusters.get(cluster, ()) if s == "readv2"))

    def pos(self, c: Condition) -> list[Frag]:
        A = self.A
        if isinstance(c, Has):
            w = c.window
            out = [self.ev(c.clusters[0], _mid(w), "well inside the window")]
            out.append(self.ev(c.clusters[0], w.start, "window's first day") if w.start else self.ev(c.clusters[0], EVER, "ever"))
            out.append(self.ev(c.clusters[0], w.end, "achievement date"))
            out += [self.ev(cl, w.end - 30 * DAY, "inside the window") for cl in c.clusters[1:]]
            return out
        if isinstance(c, LatestValue):
            return self._latest_value(c, True)
        if isinstance(c, LatestIs):
            other = [x for x in c.among if x not in c.is_]
            out = [self.ev(c.is_[0], A - 10 * DAY, "latest of its kind")]
            if other:
                out.append(self.ev(other[0], A - 20 * DAY, "earlier") + self.ev(c.is_[0], A - 10 * DAY, "latest"))
                out.append(self.ev(other[0], A - 10 * DAY, "same day") + self.ev(c.is_[0], A - 10 * DAY, "same day"))
            return out
        if isinstance(c, Unresolved):
            d = A - 400 * DAY
            return [self.ev(c.clusters[0], d, "diagnosed"),
                    self.ev(c.clusters[0], d - 300 * DAY, "diagnosed") + self.ev(c.resolved[0], d - 100 * DAY, "resolved")
                    + self.ev(c.clusters[0], d, "re-diagnosed after resolution"),
                    self.ev(c.clusters[0], d, "diagnosed") + self.ev(c.resolved[0], d, "resolved the same day")]
        if isinstance(c, FirstWithin):
            return [self.ev(c.clusters[0], _mid(c.window), "first ever, well inside the window"),
                    self.ev(c.clusters[0], c.window.start, "first ever, on the window's first day"),
                    self.ev(c.clusters[0], A, "first ever, on the achievement date")]
        if isinstance(c, Around):
            return self._around(c, True)
        if isinstance(c, RegisteredWithin):
            return [self.attr("registered_from", _mid(c.window), "registered well inside the window"),
                    self.attr("registered_from", c.window.start, "registered on the window's first day"),
                    self.attr("registered_from", A, "registered on the achievement date")]
        if isinstance(c, AgeAtLeast):
            return [self.attr("date_of_birth", c.born_by - relativedelta(years=1), f"a year over {c.years}"),
                    self.attr("date_of_birth", c.born_by, f"{c.years}th birthday on the achievement date"),
                    self.attr("date_of_birth", c.born_by - (A - self.L), f"{c.years} on the list size date")]
        if isinstance(c, Sex):
            return [self.attr("sex", c.sex, "sex")]
        if isinstance(c, OnRegister):
            return [self.register(c.register)]
        if isinstance(c, AllOf):
            firsts = [self.pos(p)[0] for p in c.parts]
            out = [sum(firsts[1:], firsts[0])]
            for i, p in enumerate(c.parts):
                for v in self.pos(p)[1:]:
                    out.append(self._join(firsts, i, v))
            return out
        if isinstance(c, AnyOf):
            return [v for p in c.parts for v in self.pos(p)]
        if isinstance(c, Not):
            return self.neg(c.part)
        raise TypeError(f"no witness for {c!r}")

    def neg(self, c: Condition) -> list[Frag]:
        A = self.A
        none = Frag(label=("none recorded",))
        if isinstance(c, Has):
            w = c.window
            out = [none] + ([self.ev(c.clusters[0], w.start - DAY, "the day before the window")] if w.start else [])
            return out + [self.ev(c.clusters[0], A + DAY, "the day after the achievement date")]
        if isinstance(c, LatestValue):
            return self._latest_value(c, False)
        if isinstance(c, LatestIs):
            other = [x for x in c.among if x not in c.is_]
            out = [self.ev(c.is_[0], A - 20 * DAY, "earlier") + self.ev(other[0], A - 10 * DAY, "latest")] if other else []
            if c.window.start:
                out.append(self.ev(c.is_[0], c.window.start - DAY, "the day before the window"))
            return out + [none]
        if isinstance(c, Unresolved):
            d = A - 400 * DAY
            return [self.ev(c.clusters[0], d, "diagnosed") + self.ev(c.resolved[0], d + DAY, "resolved the day after"),
                    self.ev(c.clusters[0], A + DAY, "diagnosed the day after the achievement date"), none]
        if isinstance(c, FirstWithin):
            return [none, self.ev(c.clusters[0], c.window.start - DAY, "first ever, the day before the window")
                    + self.ev(c.clusters[0], A - 5 * DAY, "again inside the window")]
        if isinstance(c, Around):
            return self._around(c, False)
        if isinstance(c, RegisteredWithin):
            return [self.attr("registered_from", BASE_REGISTERED, "registered long before"),
                    self.attr("registered_from", c.window.start - DAY, "registered the day before the window")]
        if isinstance(c, AgeAtLeast):
            return [self.attr("date_of_birth", c.born_by + relativedelta(years=1), f"a year under {c.years}"),
                    self.attr("date_of_birth", c.born_by + DAY, f"{c.years}th birthday the day after the achievement date")]
        if isinstance(c, Sex):
            return [self.attr("sex", "M" if c.sex == "F" else "F", "other sex")]
        if isinstance(c, OnRegister):
            return [Frag(label=(f"not on the {c.register} register",))]
        if isinstance(c, AllOf):
            firsts = [self.pos(p)[0] for p in c.parts]
            return [self._join(firsts, i, v) for i, p in enumerate(c.parts) for v in self.neg(p)]
        if isinstance(c, AnyOf):
            parts = [self.neg(p)[-1] for p in c.parts]
            return [sum(parts[1:], parts[0])]
        if isinstance(c, Not):
            return self.pos(c.part)
        raise TypeError(f"no witness for {c!r}")

    @staticmethod
    def _join(firsts: list[Frag], i: int, v: Frag) -> Frag:
        out = Frag()
        for j, f in enumerate(firsts):
            out = out + (v if j == i else f)
        return out

    def _latest_value(self, c: LatestValue, holds: bool) -> list[Frag]:
        cl, w = c.clusters[0], c.window
        e1, e2 = _eps(c.max, c.min), _eps(c.max2)
        inside = c.max if c.max is not None else c.min
        outside = c.max + e1 if c.max is not None else (c.min - e1 if c.min is not None else None)
        v2in = c.max2
        v2out = None if c.max2 is None else c.max2 + e2
        first = w.start or EVER
        target = " ≤ ".join(x for x in (f"max {_fmt(c.max)}" if c.max is not None else "",) if x) or f"min {_fmt(c.min)}"
        if holds:
            well = None if inside is None else (inside - 5 * e1 if c.max is not None else inside + 5 * e1)
            if c.max is not None and c.min is not None:
                well = (c.max + c.min) / 2
            out = [self.ev(cl, _mid(w), "well on target", well, None if v2in is None else v2in - 5 * e2),
                   self.ev(cl, first, f"on the target ({target}), window's first day", inside, v2in),
                   self.ev(cl, w.end, "on the target, achievement date", inside, v2in)]
            if outside is not None:
                out.append(self.ev(cl, first, "earlier, off target", outside, v2out)
                           + self.ev(cl, w.end - 5 * DAY, "latest, on target", inside, v2in))
                out.append(self.ev(cl, w.end - 5 * DAY, "same day, off target", outside, v2out)
                           + self.ev(cl, w.end - 5 * DAY, "same day, on target: the lower counts", inside, v2in))
            if c.min is not None and c.max is not None:
                out.append(self.ev(cl, w.end - 5 * DAY, f"at min {_fmt(c.min)}", c.min, v2in))
            return out
        out = [Frag(label=("none recorded",))]
        if outside is not None:
            out.append(self.ev(cl, _mid(w), "well off target", outside + 5 * e1 if c.max is not None else outside - 5 * e1,
                               v2in))
            out.append(self.ev(cl, first, "just off target", outside, v2in))
            out.append(self.ev(cl, first, "earlier, on target", inside, v2in)
                       + self.ev(cl, w.end - 5 * DAY, "latest, just off target", outside, v2in))
        if c.min is not None and c.max is not None:
            out.append(self.ev(cl, w.end - 5 * DAY, "just below min", c.min - e1, v2in))
        if v2out is not None:
            out.append(self.ev(cl, first, "second value just off target", inside, v2out))
        if w.start:
            out.append(self.ev(cl, w.start - DAY, "on target, the day before the window", inside, v2in))
        out.append(self.ev(cl, w.end - 5 * DAY, "recorded without a value"))
        return out

    def _around(self, c: Around, holds: bool) -> list[Frag]:
        lo, hi = c.from_days, c.to_days
        reach = max(x for x in (hi, lo, 0) if x is not None)
        d = self.A - (reach + 40) * DAY
        anchor = self.ev(c.anchor[0], d, "anchor")
        if c.latest:
            anchor = self.ev(c.anchor[0], d - 800 * DAY, "an earlier anchor") + anchor
        days = lambda n, why: anchor + self.ev(c.clusters[0], d + n * DAY, f"{n} days after the anchor, {why}")  # noqa: E731
        if holds:
            mid = (lo + hi) // 2 if lo is not None and hi is not None else None
            out = ([days(mid, "between the bounds")] if mid is not None else []) + \
                [days(x, "on the bound") for x in (lo, hi) if x is not None]
            if hi is None:
                out.append(days(lo + 30, "inside"))
            return out
        out = []
        if lo is not None:
            out.append(days(lo - 1, "a day short"))
        if hi is not None:
            out.append(days(hi + 1, "a day over"))
        out.append(self.ev(c.clusters[0], d, "no anchor event"))
        return out

    # ---------------------------------------------------------------- registers and exceptions

    def register(self, rid: str) -> Frag:
        """A first, plain member of the register."""
        return self.members(rid)[0]

    def members(self, rid: str) -> list[Frag]:
        """One plain member per select rule of the register, each past the reject rules before it (an OST
        member of 75 or over, and one of 50-74 with a DXA scan)."""
        out, gates = [], Frag()
        for rule in self.rs.registers[rid].rules:
            if rule.condition is None:
                break
            if rule.outcome == "select":
                out.append(gates + self.pos(rule.condition)[0])
            else:
                gates = gates + self.neg(rule.condition)[0]
        return out or [Frag()]

    def every_code(self, c: Condition) -> list[Frag]:
        """One fragment per code of each cluster the condition's has/unresolved leaves read (a missing code in a
        supplier's cluster shows as one patient)."""
        if isinstance(c, AllOf):
            firsts = [self.pos(p)[0] for p in c.parts]
            return [self._join(firsts, i, v) for i, p in enumerate(c.parts) for v in self.every_code(p)]
        if isinstance(c, AnyOf):
            return [v for p in c.parts for v in self.every_code(p)]
        if isinstance(c, (Has, Unresolved)):
            day = (c.window.end - 30 * DAY) if isinstance(c, Has) else self.A - 400 * DAY
            return [self.ev(cl, day, f"code {i + 1} of {self.ncodes(cl)}", idx=i)
                    for cl in c.clusters for i in range(self.ncodes(cl))]
        return []


def _bases(pre: Frag, v: Frag) -> list[Frag]:
    """``pre`` as it is, and (when the variant records the same clusters) without those events: a
    'first diagnosed in the last 9 months' variant needs the register's own, older diagnosis gone."""
    mine = {e[0] for e in v.events}
    if not mine & {e[0] for e in pre.events}:
        return [pre]
    return [pre, Frag(pre.attrs, tuple(e for e in pre.events if e[0] not in mine), pre.label)]


def _probes_for(b: Builder, subject: str, rules: tuple[Rule, ...], pre: Frag, codes_for: set[str]) -> list[Probe]:
    """Probes for each step. Every probe passes the list's *other* 'reject' gates ('reject unless proteinuria is
    coded', 'reject if under 18'), so a probe of one step's boundary reaches the outcome that boundary decides."""
    gates = {k: b.neg(r.condition)[0] for k, r in enumerate(rules, start=1)
             if r.outcome == "reject" and r.condition is not None
             and not (k == 1 and isinstance(r.condition, Not) and isinstance(r.condition.part, OnRegister))}

    def passing(but: int) -> Frag:
        out = pre
        for k, g in gates.items():
            if k != but:
                out = out + g
        return out

    out = []
    for k, rule in enumerate(rules, start=1):
        gate = passing(k)
        if rule.condition is None:
            out.append(Probe(subject, k, gate, "no earlier rule applies"))
            continue
        if isinstance(rule.condition, Not) and isinstance(rule.condition.part, OnRegister) and k == 1:
            out.append(Probe(subject, k, Frag(label=(f"not on the {rule.condition.part.register} register",)), "rejected"))
            continue
        for v in b.pos(rule.condition):
            out += [Probe(subject, k, base + v, "holds") for base in _bases(gate, v)]
        for v in b.neg(rule.condition):
            out += [Probe(subject, k, base + v, "just fails") for base in _bases(gate, v)]
        if rule.outcome in codes_for:
            for v in b.every_code(rule.condition):
                out.append(Probe(subject, k, gate + v, "every code"))
    pre = passing(0)
    # the order of the steps: a patient who meets a numerator rule and a later exception rule at once
    nums = [k for k, r in enumerate(rules, 1) if r.outcome == "numerator" and r.condition is not None]
    excs = [k for k, r in enumerate(rules, 1) if r.outcome == "exception" and r.condition is not None]
    for i in nums:
        for j in excs:
            both = pre + b.pos(rules[i - 1].condition)[0] + b.pos(rules[j - 1].condition)[0]
            out.append(Probe(subject, min(i, j), both, f"steps {i} and {j} both hold: the first decides"))
    return out


def _registration(b: Builder, subject: str, frag: Frag) -> list[Probe]:
    """The same patient on each side of the registration boundaries."""
    A, L = b.A, b.L
    cases = [("registered_to", A, "deducted on the achievement date"), ("registered_to", A + DAY, "deducted the day after"),
             ("registered_to", L, "deducted on the list size date"), ("registered_from", A, "registered on the achievement date"),
             ("registered_from", A + DAY, "registered the day after the achievement date")]
    out = [Probe(subject, 0, frag + b.attr(k, v, why), "registration") for k, v, why in cases]
    died = A - 10 * DAY
    out.append(Probe(subject, 0, frag + Frag(attrs=(("died_on", died), ("registered_to", died)), label=(f"died {died}",)),
                     "registration"))
    return out


def _list_probes(b: Builder, groups) -> list[Probe]:
    """Target population ages on the list size date, and the list size's own registration boundaries."""
    L = b.L
    out = [Probe("LIST", 0, b.attr("registered_from", L, "registered on the list size date"), "list"),
           Probe("LIST", 0, b.attr("registered_from", L + DAY, "registered the day after the list size date"), "list"),
           Probe("LIST", 0, b.attr("registered_to", L, "deducted on the list size date"), "list"),
           Probe("LIST", 0, b.attr("registered_to", L + DAY, "deducted the day after the list size date"), "list")]
    for g in groups:
        after, by = targets.born_between(g, L)
        sexes = [g.sex] if g.sex else ["F", "M"]
        other = [] if g.sex is None else ["M" if g.sex == "F" else "F"]
        for sex in sexes + other:
            s = b.attr("sex", sex, "sex")
            out.append(Probe(g.group, 0, s + b.attr("date_of_birth", by, f"{g.min_age} on the list size date"), "holds"))
            out.append(Probe(g.group, 0, s + b.attr("date_of_birth", by + DAY, f"{g.min_age} the day after"), "just fails"))
            if after is not None:
                out.append(Probe(g.group, 0, s + b.attr("date_of_birth", after + DAY, f"{g.max_age}, a day short of "
                                                                                       f"{g.max_age + 1}"), "holds"))
                out.append(Probe(g.group, 0, s + b.attr("date_of_birth", after, f"{g.max_age + 1} on the list size date"),
                                 "just fails"))
    return out


@dataclass
class Design:
    """Which probes each practice holds: subject -> probes (a practice per subject)."""

    subjects: list[str]
    probes: dict[str, list[Probe]] = field(default_factory=dict)


def design(catalogue: Catalogue, ruleset: RuleSet, indicators: list[str]) -> Design:
    b = Builder(catalogue, ruleset)
    d = Design(["LIST"])
    d.probes["LIST"] = _list_probes(b, catalogue.parameters.target_populations)
    for rid, reg in ruleset.registers.items():
        d.subjects.append(rid)
        ps = _probes_for(b, rid, reg.rules, Frag(), {"select"})
        d.probes[rid] = ps + _registration(b, rid, b.register(rid))
    for iid in indicators:
        ind = ruleset.indicators[iid]
        pres = b.members(ind.register) if ind.register else [Frag()]
        ps = [p for pre in pres for p in _probes_for(b, iid, ind.rules, pre, {"exception"})]
        pre = pres[0]
        nums = [r for r in ind.rules if r.outcome == "numerator" and r.condition is not None]
        first = pre + (b.pos(nums[0].condition)[0] if nums else Frag())
        d.subjects.append(iid)
        d.probes[iid] = ps + _registration(b, iid, first)
    for s in d.subjects:  # one patient per distinct record
        seen, kept = set(), []
        for p in d.probes[s]:
            if p.frag.key() not in seen:
                seen.add(p.frag.key())
                kept.append(p)
        # a plain patient for each probe not on the list on the list size date, so that no register is
        # above list_size (the contract refuses that): probes registered in the last months are many here
        off_list = sum(1 for p in kept if not _on_list(dict(p.frag.attrs), b.L))
        kept += [Probe(s, 0, Frag(label=(f"plain record {n + 1} (keeps list_size above every register)",)), "filler")
                 for n in range(off_list)]
        d.probes[s] = kept
    return d


def _on_list(attrs: dict, day: dt.date) -> bool:
    start, end = attrs.get("registered_from", BASE_REGISTERED), attrs.get("registered_to")
    return start <= day and (end is None or end > day)


def practice_code(supplier: str, n: int) -> str:
    return f"{PREFIX[supplier]}{n + 1:05d}"


def tables(catalogue: Catalogue, d: Design, suppliers=schema.SUPPLIERS) -> dict[str, pa.Table]:
    """The neutral tables (practices, patients, events) and a probes table saying what each patient tests."""
    codes = {s: {} for s in ("readv2", "ctv3")}
    for name, rows in catalogue.clusters.items():
        for sys_ in codes:
            codes[sys_][name] = [c for s, c in rows if s == sys_]
    practices, patients, events, probes = [], [], [], []
    for si, sup in enumerate(suppliers):
        system = schema.CODE_SYSTEM[sup]
        pid = (si + 1) * 1_000_000
        for n, subject in enumerate(d.subjects):
            code = practice_code(sup, n)
            practices.append({"practice_code": code, "name": f"Conformance practice {subject}", "supplier": sup,
                              "ccg_code": "99Z", "area_team": "Q99", "postcode": "ZZ99 9ZZ"})
            for p in d.probes[subject]:
                pid += 1
                a = {"sex": "F", "date_of_birth": BASE_DOB, "registered_from": BASE_REGISTERED, "registered_to": None,
                     "died_on": None}
                a.update(dict(p.frag.attrs))
                patients.append({"patient_id": pid, "practice_code": code, "nhs_number": None, **a})
                for cl, idx, day, value, value2 in sorted(set(p.frag.events), key=lambda e: (e[2], e[0], e[1], repr(e[3:]))):
                    options = codes[system].get(cl) or []
                    if not options:
                        continue
                    events.append({"patient_id": pid, "practice_code": code, "system": system,
                                   "code": options[idx % len(options)], "date": day, "value": value, "value2": value2})
                probes.append({"patient_id": pid, "practice_code": code, "supplier": sup, "subject": subject,
                               "step": p.step, "design": p.design, "record": "; ".join(p.frag.label) or "plain record"})
    probe_schema = pa.schema([("patient_id", pa.int64()), ("practice_code", pa.string()), ("supplier", pa.string()),
                              ("subject", pa.string()), ("step", pa.int32()), ("design", pa.string()),
                              ("record", pa.string())])
    return {"practices": pa.Table.from_pylist(practices, schema=schema.PRACTICES),
            "patients": pa.Table.from_pylist(patients, schema=schema.PATIENTS),
            "events": pa.Table.from_pylist(events, schema=schema.EVENTS),
            "probes": pa.Table.from_pylist(probes, schema=probe_schema)}
