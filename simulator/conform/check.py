"""``qofsim conform check``: a supplier's extracts against the schema, GPES's invariants and the reference engine.

Verdicts are per practice × subject (indicator, register, list size, target group, or the extract itself)
× check, each pass, fail, error (the kit could not judge: an unreadable file) or skip (nothing to judge:
no per-patient flags were sent). A count that differs is explained from the reference engine's trace of
the practice's patients (the population has a practice per indicator, so a few patients at most):
which patients' outcomes would turn into the supplier's had one rule step read otherwise, and which step.
With per-patient flags (``patient_flags.csv`` beside the extracts) the kit names the patients exactly.
"""

from __future__ import annotations

import json
import time
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path

import jsonschema
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from simulator.conform.export import condition_json, load_spec
from simulator.conform.extract import manifest, ruleset_for
from simulator.contracts import extract_schema
from simulator.contracts.errors import ExtractInvalid, exact_number, parse_extract
from simulator.qof.catalogue import Catalogue
from simulator.qof.engines import reference, seam
from simulator.qof.rules import Rule, RuleSet

STATUSES = ("pass", "fail", "error", "skip")
MAX_NAMED = 25  # patients listed per failure


@dataclass
class Verdict:
    practice: str
    subject: str
    check: str
    status: str
    message: str = ""
    details: dict = field(default_factory=dict)


@dataclass
class Result:
    population: str
    source: str
    verdicts: list[Verdict]
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """Everything passes (a skip is nothing to judge, not a failure)."""
        return all(v.status in ("pass", "skip") for v in self.verdicts)

    def tally(self) -> dict[str, int]:
        c = Counter(v.status for v in self.verdicts)
        return {s: c.get(s, 0) for s in STATUSES}

    def failures(self) -> list[Verdict]:
        return [v for v in self.verdicts if v.status in ("fail", "error")]

    def to_json(self) -> dict:
        return {"population": self.population, "source": self.source, "ok": self.ok, "tally": self.tally(),
                "seconds": round(self.seconds, 2), "verdicts": [asdict(v) for v in self.verdicts]}


def rule_text(rule: Rule) -> str:
    cond = "always" if rule.condition is None else json.dumps(condition_json(rule.condition), separators=(",", ":"))
    return f"if {cond} then {rule.outcome}"


# ---------------------------------------------------------------- reading what the supplier sent


def read_extracts(folder: Path) -> tuple[dict[str, bytes], list[Verdict]]:
    """practice -> body, from every *.json in ``folder`` (the practice named inside, else the file name)."""
    bodies, problems = {}, []
    for path in sorted(Path(folder).glob("*.json")):
        body = path.read_bytes()
        try:
            code = json.loads(body).get("practice_code") or path.stem
        except (ValueError, AttributeError):
            code = path.stem
        if code in bodies:
            problems.append(Verdict(code, "extract", "completeness", "fail", f"{path.name}: a second extract for {code}"))
        bodies[code] = body
    return bodies, problems


def read_flags(folder: Path | None) -> dict[str, dict[str, dict[int, str]]] | None:
    """practice -> subject -> patient id -> outcome, from patient_flags.csv or .parquet; None if not sent."""
    if folder is None:
        return None
    for name in ("patient_flags.parquet", "patient_flags.csv"):
        path = Path(folder) / name
        if path.is_file():
            t = pq.read_table(path) if name.endswith(".parquet") else pacsv.read_csv(path)
            out: dict = defaultdict(lambda: defaultdict(dict))
            for r in t.to_pylist():
                out[str(r["practice_code"])][str(r["subject"])][int(r["patient_id"])] = str(r["outcome"])
            return out
    return None


# ---------------------------------------------------------------- the reference side


class Reference:
    """The reference engine over the population: counts and verdicts at once, traces on demand."""

    def __init__(self, catalogue: Catalogue, population: Path, rules: RuleSet):
        self.cat, self.rules = catalogue, rules
        neutral = Path(population) / "neutral"
        self.patients_t = pq.read_table(neutral / "patients.parquet")
        self.events_t = pq.read_table(neutral / "events.parquet")
        spec = load_spec(population)
        self.result = seam.count("reference", rules, catalogue.clusters,
                                 seam.Records(self.patients_t, self.events_t, tuple(_all(population))),
                                 spec.target_populations, spec.list_size_date)
        probes = pq.read_table(neutral / "probes.parquet").to_pylist()
        self.probe = {p["patient_id"]: p for p in probes}
        self.codes = reference.code_clusters(rules, catalogue.clusters)
        self._traces: dict[str, dict[int, dict[str, reference.Trace] | None]] = {}
        self._patients: dict[int, reference.Patient] = {}
        self.by_practice: dict[str, list[int]] = defaultdict(list)
        for pid, code in zip(self.patients_t["patient_id"].to_pylist(), self.patients_t["practice_code"].to_pylist()):
            self.by_practice[code].append(pid)

    def traces(self, practice: str) -> dict[int, dict[str, reference.Trace] | None]:
        if practice not in self._traces:
            pats = list(reference.read_patients(self.patients_t, self.events_t, {practice}))
            self._patients.update({p.patient_id: p for p in pats})
            self._traces[practice] = {p.patient_id: reference.trace_patient(self.rules, self.codes, p) for p in pats}
        return self._traces[practice]

    def reads(self, pid: int, subject: str) -> list[str]:
        """What each step of ``subject`` read in the patient's record (after :meth:`traces` of its practice)."""
        return reference.explain_steps(self.rules, self.codes, self._patients[pid], subject)

    def rules_of(self, subject: str) -> tuple[Rule, ...]:
        return (self.rules.registers[subject].rules if subject in self.rules.registers
                else self.rules.indicators[subject].rules)

    def outcome(self, subject: str, pid: int) -> str:
        """The reference's outcome from the run's verdicts (no trace needed to find who differs)."""
        v = self.result.verdicts.get(pid)
        if v is None:
            return "reject"
        if subject in v.registers:
            return "select" if v.registers[subject] else "reject"
        return v.indicators[subject][0]

    def patients_of(self, practice: str) -> list[int]:
        return self.by_practice.get(practice, [])


def _all(population: Path) -> list[str]:
    return [c for codes in manifest(population)["suppliers"].values() for c in codes]


# ---------------------------------------------------------------- explaining a difference


def _flips(trace: reference.Trace, rules: tuple[Rule, ...]) -> list[tuple[int, str, int]]:
    """(step flipped, outcome then, deciding step then) for each step whose condition, read the other way,
    changes the outcome."""
    out = []
    for j in range(len(rules)):
        if rules[j].condition is None:
            continue
        holds = list(trace.holds)
        holds[j] = not holds[j]
        k = holds.index(True) if True in holds else len(rules) - 1
        if rules[k].outcome != trace.outcome:
            out.append((j + 1, rules[k].outcome, k + 1))
    return out


def _patient_row(ref: Reference, practice: str, subject: str, pid: int, supplier_outcome: str | None) -> dict:
    rules = ref.rules_of(subject)
    t = ref.traces(practice).get(pid)
    probe = ref.probe.get(pid, {})
    row = {"patient_id": pid, "reference": "not registered on the achievement date" if t is None else t[subject].text(),
           "reference_outcome": "reject" if t is None else t[subject].outcome,
           "reference_step": 0 if t is None else t[subject].step, "supplier_outcome": supplier_outcome,
           "record": probe.get("record", ""), "built_for": f"{probe.get('subject')} step {probe.get('step')}"}
    if t is not None:
        flips = [f for f in _flips(t[subject], rules) if supplier_outcome is None or f[1] == supplier_outcome]
        reads = ref.reads(pid, subject) if flips else []
        row["steps"] = [{"step": j, "rule": rule_text(rules[j - 1]), "reference_held": t[subject].holds[j - 1],
                         "reference_read": reads[j - 1], "outcome_if_read_otherwise": o, "decided_at": k}
                        for j, o, k in flips]
    return row


def _outcome_buckets(n: int, d: int, x: int) -> dict[str, int]:
    return {"numerator": n, "denominator": d - n, "exception": x}


def explain_counts(ref: Reference, practice: str, subject: str, want: dict[str, int], got: dict[str, int],
                   flags: dict[int, str] | None, register: bool) -> dict:
    """Which rule step and which patients account for a count difference."""
    rules = ref.rules_of(subject)
    if flags is not None:  # the supplier said patient by patient: exact
        named = [_patient_row(ref, practice, subject, pid, flags.get(pid, "reject")) for pid in ref.patients_of(practice)
                 if ref.outcome(subject, pid) != flags.get(pid, "reject")]
        exact = True
    else:
        if register:
            delta = {"select": got["count"] - want["count"]}
            delta["reject"] = -delta["select"]
        else:
            a = _outcome_buckets(want["numerator"], want["denominator"], want["exceptions"])
            b = _outcome_buckets(got["numerator"], got["denominator"], got["exceptions"])
            delta = {k: b[k] - a[k] for k in a}
            delta["reject"] = -sum(delta.values())
        losing = {k for k, v in delta.items() if v < 0}
        gaining = {k for k, v in delta.items() if v > 0}
        scored = []
        for pid, t in ref.traces(practice).items():
            if t is None or t[subject].outcome not in losing:
                continue
            flips = [f for f in _flips(t[subject], rules) if f[1] in gaining]
            probe = ref.probe.get(pid, {})
            built_here = probe.get("subject") == subject and probe.get("step") in {j for j, _, _ in flips}
            score = 2 if built_here else (1 if flips else 0)
            if score:
                scored.append((score, pid, flips[0][1] if flips else None))
        top = max((s for s, _, _ in scored), default=0)
        need = sum(-v for v in delta.values() if v < 0)
        chosen = [(pid, o) for s, pid, o in scored if s == top]
        named = [_patient_row(ref, practice, subject, pid, o) for pid, o in chosen[:MAX_NAMED]]
        exact = len(chosen) == need
    # the step most named patients would have met had it read otherwise; a patient built to probe that very
    # step weighs double, a 'not on the register' gate half (a register at fault fails its own count check)
    steps: Counter = Counter()
    for row in named:
        built = row["built_for"]
        for s in row.get("steps", []):
            gate = s["step"] == 1 and '"on_register"' in s["rule"] and '"not"' in s["rule"]
            steps[s["step"]] += 0.5 if gate else (2 if built == f"{subject} step {s['step']}" else 1)
        if not row.get("steps") and row["reference_step"]:  # no single step read otherwise explains it:
            steps[row["reference_step"]] += 1  # the step at which the reference decided
    step = steps.most_common(1)[0][0] if steps else None
    return {"step": step, "rule": rule_text(rules[step - 1]) if step else None, "patients": named,
            "patients_exact": exact}


# ---------------------------------------------------------------- the checks


def _subject_of(path: list, doc: dict) -> str:
    if path and path[0] == "indicators" and len(path) > 1 and isinstance(path[1], int):
        try:
            return str(doc["indicators"][path[1]]["id"])
        except (KeyError, IndexError, TypeError):
            return f"indicators[{path[1]}]"
    if path and path[0] in ("registers", "target_populations") and len(path) > 1:
        return str(path[1])
    return "extract"


def check_practice(ref: Reference, practice: str, supplier: str, body: bytes | None, schema: dict,
                   flags: dict[str, dict[int, str]] | None, spec) -> list[Verdict]:
    out: list[Verdict] = []
    inds = [i.id for i in spec.indicators]
    regs = [r.id for r in spec.registers]
    groups = [t.group for t in spec.target_populations]
    subjects = ["extract", "list_size", *regs, *inds, *groups]
    if body is None:
        out.append(Verdict(practice, "extract", "completeness", "fail", f"no extract for practice {practice}"))
        return out + [Verdict(practice, s, c, "skip", "no extract") for s in subjects[1:] for c in ("counts",)]
    try:
        doc = json.loads(body, parse_float=exact_number)  # as GPES reads numbers: 5.0 is 5, 5.5 is no count
        if not isinstance(doc, dict):
            raise ValueError("not a JSON object")
    except ValueError as exc:
        return [Verdict(practice, "extract", "schema", "error", f"not readable JSON: {exc}")]
    # 1. schema
    by_subject: dict[str, list[str]] = defaultdict(list)
    for e in jsonschema.Draft202012Validator(schema).iter_errors(doc):
        where = "/".join(str(p) for p in e.absolute_path) or "(top)"
        by_subject[_subject_of(list(e.absolute_path), doc)].append(f"{where}: {e.message[:300]}")
    # 2. completeness
    seen = Counter(i.get("id") for i in doc.get("indicators") or [] if isinstance(i, dict))
    entries_list = [i if isinstance(i, dict) else {} for i in doc.get("indicators") or []] \
        if isinstance(doc.get("indicators"), list) else []
    entries = {i.get("id"): i for i in entries_list if i}
    registers = doc.get("registers") if isinstance(doc.get("registers"), dict) else {}
    # 3. invariants GPES enforces beyond the schema (the contract's own checks, and the spec's)
    inv: dict[str, list[str]] = defaultdict(list)
    try:
        parse_extract(body)
    except ExtractInvalid as exc:
        for err in exc.errors:
            f = err.field
            subj = "extract"
            if f.startswith("indicators["):
                n = int(f[len("indicators["):f.index("]")])
                subj = str(entries_list[n].get("id")) if n < len(entries_list) else f.split("]")[0] + "]"
            elif f.startswith(("registers.", "target_populations.")):
                subj = f.split(".")[1]
            inv[subj].append(f"{f}: {err.reason}")
    if doc.get("spec_id") != spec.spec_id:
        inv["extract"].append(f"spec_id {doc.get('spec_id')!r} is not the published {spec.spec_id!r}")
    if doc.get("achievement_date") != spec.achievement_date.isoformat():
        inv["extract"].append(f"achievement_date {doc.get('achievement_date')!r} is not {spec.achievement_date}")
    if doc.get("supplier") != supplier:
        inv["extract"].append(f"practice {practice} is a {supplier} practice, the extract says {doc.get('supplier')!r}")
    missing_regs = [r for r in regs if r not in registers]
    extra = [i for i in seen if i not in inds] + [r for r in registers if r not in regs]
    out.append(Verdict(practice, "extract", "schema", "fail" if by_subject.get("extract") else "pass",
                       "; ".join(by_subject.get("extract", []))))
    out.append(Verdict(practice, "extract", "completeness", "fail" if extra else "pass",
                       f"not in the spec: {', '.join(map(str, extra))}" if extra else ""))
    out.append(Verdict(practice, "extract", "invariants", "fail" if inv.get("extract") else "pass",
                       "; ".join(inv.get("extract", []))))
    # 4. counts, subject by subject
    want = ref.result.counts[practice]
    list_size = doc.get("list_size")
    out.append(_compare(practice, "list_size", {"count": want.list_size}, {"count": list_size}))
    warnings = []
    for rid in regs:
        out.append(Verdict(practice, rid, "schema", "fail" if by_subject.get(rid) else "pass", "; ".join(by_subject.get(rid, []))))
        out.append(Verdict(practice, rid, "completeness", "fail" if rid in missing_regs else "pass",
                           "missing register" if rid in missing_regs else ""))
        out.append(Verdict(practice, rid, "invariants", "fail" if inv.get(rid) else "pass", "; ".join(inv.get(rid, []))))
        v = _compare(practice, rid, {"count": want.registers[rid]}, {"count": registers.get(rid)})
        sub_flags = None if flags is None else flags.get(rid, {})
        if v.status == "fail" and isinstance(registers.get(rid), int):
            v.details.update(explain_counts(ref, practice, rid, {"count": want.registers[rid]},
                                            {"count": registers[rid]}, sub_flags, True))
            v.message += _because(v.details)
        out.append(v)
        out.append(_patients(ref, practice, rid, sub_flags))
    for iid in inds:
        n = seen.get(iid, 0)
        out.append(Verdict(practice, iid, "schema", "fail" if by_subject.get(iid) else "pass", "; ".join(by_subject.get(iid, []))))
        out.append(Verdict(practice, iid, "completeness", "pass" if n == 1 else "fail",
                           "" if n == 1 else ("missing indicator" if n == 0 else f"sent {n} times")))
        out.append(Verdict(practice, iid, "invariants", "fail" if inv.get(iid) else "pass", "; ".join(inv.get(iid, []))))
        w = want.indicators[iid]
        mine = {"numerator": w.numerator, "denominator": w.denominator, "exceptions": w.exceptions}
        e = entries.get(iid) or {}
        theirs = {k: e.get(k) for k in mine}
        v = _compare(practice, iid, mine, theirs)
        sub_flags = None if flags is None else flags.get(iid, {})
        if v.status == "fail" and all(isinstance(x, int) for x in theirs.values()):
            v.details.update(explain_counts(ref, practice, iid, mine, theirs, sub_flags, False))
            v.message += _because(v.details)
        if all(isinstance(x, int) for x in theirs.values()):
            reg = ref.rules.indicators[iid].register
            if isinstance(list_size, int) and theirs["exceptions"] > list_size:
                warnings.append(f"{iid}: exceptions {theirs['exceptions']} above list_size {list_size}")
            if reg and isinstance(registers.get(reg), int) and theirs["denominator"] + theirs["exceptions"] > registers[reg]:
                warnings.append(f"{iid}: denominator {theirs['denominator']} + exceptions {theirs['exceptions']} above "
                                f"the {reg} register {registers[reg]}")
        out.append(v)
        out.append(_patients(ref, practice, iid, sub_flags))
    for subj in sorted((set(by_subject) | set(inv)) - set(subjects)):  # an id the spec does not have, named as sent
        if by_subject.get(subj):
            out.append(Verdict(practice, subj, "schema", "fail", "; ".join(by_subject[subj])))
        if inv.get(subj):
            out.append(Verdict(practice, subj, "invariants", "fail", "; ".join(inv[subj])))
    tps = doc.get("target_populations") if isinstance(doc.get("target_populations"), dict) else {}
    for g in groups:
        out.append(_compare(practice, g, {"count": ref.result.target_populations.get(practice, {}).get(g, 0)},
                            {"count": tps.get(g)}))
    # implausible but within the contract: said, not failed (the counts check fails what is wrong)
    out.append(Verdict(practice, "extract", "plausibility", "pass", ("warning: " + "; ".join(warnings)) if warnings else "",
                       {"warnings": warnings} if warnings else {}))
    return out


def _because(d: dict) -> str:
    bits = []
    if d.get("step"):
        bits.append(f"; rule step {d['step']} ({d['rule']})")
    if d.get("patients"):
        ids = ", ".join(str(p["patient_id"]) for p in d["patients"][:8])
        bits.append(f"; patients {'classified differently' if d.get('patients_exact') else 'most likely'}: {ids}"
                    + (f" (+{len(d['patients']) - 8} more)" if len(d["patients"]) > 8 else ""))
        first = d["patients"][0]
        bits.append(f"; reference for {first['patient_id']}: {first['reference']}")
        read = [s for s in first.get("steps", []) if s["step"] == d.get("step")]
        if read and read[0]["step"] != first["reference_step"]:
            bits.append(f"; its step {read[0]['step']} read: {read[0]['reference_read']} "
                        f"({'held' if read[0]['reference_held'] else 'did not hold'})")
    return "".join(bits)


def _compare(practice: str, subject: str, want: dict, got: dict) -> Verdict:
    diffs = {}
    for k, w in want.items():
        g = got.get(k)
        if not isinstance(g, int) or isinstance(g, bool) or g != w:
            diffs[k] = {"reference": w, "supplier": g, "by": (g - w) if isinstance(g, int) and not isinstance(g, bool) else None}
    if not diffs:
        return Verdict(practice, subject, "counts", "pass")
    words = "; ".join(f"{k} {d['supplier']} where the reference counts {d['reference']}"
                      + (f" ({d['by']:+d})" if d["by"] is not None else "") for k, d in diffs.items())
    return Verdict(practice, subject, "counts", "fail", f"{subject}: {words}", {"differences": diffs})


def _patients(ref: Reference, practice: str, subject: str, flags: dict[int, str] | None) -> Verdict:
    if flags is None:
        return Verdict(practice, subject, "patients", "skip", "no patient_flags sent")
    rows = [_patient_row(ref, practice, subject, pid, flags.get(pid, "reject"))
            for pid in ref.patients_of(practice) if ref.outcome(subject, pid) != flags.get(pid, "reject")]
    if not rows:
        return Verdict(practice, subject, "patients", "pass")
    msg = "; ".join(f"{r['patient_id']}: supplier {r['supplier_outcome']}, reference {r['reference']}" for r in rows[:5])
    return Verdict(practice, subject, "patients", "fail", f"{len(rows)} patient(s) classified differently: {msg}",
                   {"patients": rows[:MAX_NAMED], "patients_exact": True})


def check(catalogue: Catalogue, population: Path, bodies: dict[str, bytes], source: str,
          flags_folder: Path | None = None, suppliers: list[str] | None = None, problems: list[Verdict] = ()) -> Result:
    """Judge ``bodies`` (practice -> extract bytes) against the population's reference counts."""
    started = time.monotonic()
    population = Path(population)
    rules = ruleset_for(catalogue, population)
    spec = load_spec(population)
    schema = extract_schema(spec)
    ref = Reference(catalogue, population, rules)
    flags = read_flags(flags_folder)
    verdicts = list(problems)
    m = manifest(population)
    known = set(_all(population))
    for code in sorted(set(bodies) - known):
        verdicts.append(Verdict(code, "extract", "completeness", "fail", f"{code} is not a practice of the population"))
    for supplier, practices in m["suppliers"].items():
        if suppliers is not None and supplier not in suppliers:
            continue
        for code in practices:
            verdicts += check_practice(ref, code, supplier, bodies.get(code), schema,
                                       None if flags is None else flags.get(code, {}), spec)
    return Result(str(population), source, verdicts, time.monotonic() - started)


def check_folder(catalogue: Catalogue, population: Path, extracts: Path) -> Result:
    bodies, problems = read_extracts(extracts)
    return check(catalogue, population, bodies, str(extracts), flags_folder=extracts, problems=problems)

