"""``qofsim conform export``: the conformance population and everything a supplier implements from.

Writes, under one folder:

- ``neutral/``: practices, patients, events (Parquet and CSV) in the neutral record model, ``probes`` (what
  each patient was built to test) and ``DICTIONARY.md``/``dictionary.json``;
- ``supplier/<SUPPLIER>/``: the same records in that supplier's own tables (``simulator/supplier/backends``);
- ``spec.json`` (what GPES publishes), ``extract.schema.json`` (the extract's JSON Schema for that spec),
  ``rules.json`` (every register's and indicator's rule steps with dates resolved, and every code cluster
  with its codes, terms and provenance tags);
- ``expected/``: the answer key — the reference engine's counts per practice and each patient's outcome
  and deciding step per register and indicator (the checker recomputes them; it does not trust files);
- ``manifest.json``: sizes, and which rule steps the population reaches.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from simulator.conform import probes as probes_mod
from simulator.contracts import ExtractionSpec, extract_schema
from simulator.gpes.spec import build_spec
from simulator.population import schema
from simulator.qof.catalogue import HERE as CATALOGUE_DIR
from simulator.qof.catalogue import Catalogue
from simulator.qof.engines import seam
from simulator.qof.rules import (AgeAtLeast, AllOf, AnyOf, Around, Condition, FirstWithin, Has, LatestIs, LatestValue,
                                 Not, OnRegister, RegisteredWithin, Rule, RuleSet, Sex, Unresolved, Window)
from simulator.supplier.backends import backend

NEUTRAL_COLUMNS = {
    "practices": {"practice_code": "ODS-style code; one practice per register or indicator probed",
                  "name": "which register or indicator the practice's patients probe",
                  "supplier": "EMIS, TPP, INPS or Microtest", "ccg_code": "commissioner", "area_team": "area team",
                  "postcode": "postcode"},
    "patients": {"patient_id": "synthetic id, unique across the population", "practice_code": "practices.practice_code",
                 "nhs_number": "always empty here", "sex": "F or M", "date_of_birth": "date",
                 "registered_from": "registration start", "registered_to": "registration end (left or died); empty while "
                 "registered: registered on a day D when registered_from <= D < registered_to",
                 "died_on": "date of death, if any"},
    "events": {"patient_id": "patients.patient_id", "practice_code": "practices.practice_code",
               "system": "readv2 (EMIS, INPS, Microtest) or ctv3 (TPP)", "code": "the code (rules.json clusters)",
               "date": "date of the entry", "value": "value (HbA1c mmol/mol, systolic BP, cholesterol mmol/l, ...)",
               "value2": "second value (diastolic BP)"},
    "probes": {"patient_id": "patients.patient_id", "practice_code": "practice", "supplier": "supplier",
               "subject": "the register, indicator or target group (LIST: list size) the patient was built for",
               "step": "the rule step it probes (0: registration boundaries)",
               "design": "holds / just fails / every code / ... (what was intended; the reference decides)",
               "record": "the patient's record in words"},
}
FLAGS_COLUMNS = {"practice_code": "practice", "patient_id": "patients.patient_id",
                 "subject": "register id (DM) or indicator id (DM26)",
                 "outcome": "select (registers); numerator, denominator or exception (indicators). A patient with no "
                            "row for a subject is taken as rejected (not on the register, not in the indicator)"}


def _window(w: Window) -> dict:
    return {"from": w.start.isoformat() if w.start else None, "to": w.end.isoformat()}


def condition_json(c: Condition) -> dict:
    """One condition with every date resolved: what a supplier implements, no calendar arithmetic left."""
    if isinstance(c, Has):
        return {"has": {"clusters": list(c.clusters), "window": _window(c.window)}}
    if isinstance(c, LatestValue):
        body = {"clusters": list(c.clusters), "window": _window(c.window)}
        body.update({k: getattr(c, k) for k in ("max", "min", "max2") if getattr(c, k) is not None})
        return {"latest_value": body}
    if isinstance(c, LatestIs):
        return {"latest_is": {"among": list(c.among), "is": list(c.is_), "window": _window(c.window)}}
    if isinstance(c, Unresolved):
        return {"unresolved": {"clusters": list(c.clusters), "resolved": list(c.resolved), "by": c.end.isoformat()}}
    if isinstance(c, FirstWithin):
        return {"first_within": {"clusters": list(c.clusters), "window": _window(c.window)}}
    if isinstance(c, Around):
        return {"around": {"clusters": list(c.clusters), "anchor": list(c.anchor),
                           "anchor_is": "latest" if c.latest else "earliest", "from_days": c.from_days,
                           "to_days": c.to_days}}
    if isinstance(c, RegisteredWithin):
        return {"registered_within": {"window": _window(c.window)}}
    if isinstance(c, AgeAtLeast):
        return {"age_at_least": {"years": c.years, "born_on_or_before": c.born_by.isoformat()}}
    if isinstance(c, Sex):
        return {"sex": c.sex}
    if isinstance(c, OnRegister):
        return {"on_register": c.register}
    if isinstance(c, AllOf):
        return {"all_of": [condition_json(p) for p in c.parts]}
    if isinstance(c, AnyOf):
        return {"any_of": [condition_json(p) for p in c.parts]}
    if isinstance(c, Not):
        return {"not": condition_json(c.part)}
    raise TypeError(f"unknown condition {c!r}")


def _steps(rules: tuple[Rule, ...]) -> list[dict]:
    return [{"step": k, "if": None if r.condition is None else condition_json(r.condition), "then": r.outcome}
            for k, r in enumerate(rules, start=1)]


def rules_document(catalogue: Catalogue, ruleset: RuleSet) -> dict:
    """The rules and code clusters, machine-readable, with their provenance tags (S sourced, C confirmed,
    R reconstructed, I inferred: FACTS.md)."""
    notes = _notes()
    clusters = {}
    for name in sorted(ruleset.clusters_used()):
        rows = []
        path = CATALOGUE_DIR / "clusters" / f"{name}.csv"
        if path.is_file():
            with open(path, newline="") as f:
                rows = [{k: r.get(k, "") for k in ("system", "code", "term", "tag", "source")} for r in csv.DictReader(f)]
        clusters[name] = {"description": ruleset.clusters.get(name, ""), "codes": rows}
    return {
        "spec_id": ruleset.spec_id,
        "achievement_date": ruleset.achievement_date.isoformat(),
        "list_size_date": ruleset.list_size_date.isoformat(),
        "how_to_read": ("Each patient registered on the achievement date goes through each rule list in order; the first "
                        "step whose 'if' holds gives the outcome. Windows are inclusive dates; events dated after the "
                        "achievement date are ignored. latest_value: the latest event of the clusters in the window, "
                        "lowest value (and value2) on that day, min <= value <= max, value2 <= max2. latest_is: the latest "
                        "event of 'among' is one of 'is' (same day: any). unresolved: a code of 'clusters' and no "
                        "'resolved' code dated after the latest one. first_within: the earliest event lies in the window. "
                        "around: an event from_days..to_days after the anchor's earliest (latest) event. Indicator "
                        "outcomes: numerator (counted in numerator and denominator), denominator, exception "
                        "(exceptions only), reject. Registers: select or reject."),
        "registers": {rid: {"indicator": r.indicator, "area": r.area, "tag": r.tag, "note": notes.get(rid, ""),
                            "steps": _steps(r.rules)} for rid, r in ruleset.registers.items()},
        "indicators": {iid: {"area": catalogue.indicators[iid].area if iid in catalogue.indicators else "",
                             "wording": catalogue.indicators[iid].wording if iid in catalogue.indicators else "",
                             "tag": i.tag, "note": notes.get(iid, ""), "register": i.register, "steps": _steps(i.rules)}
                       for iid, i in ruleset.indicators.items()},
        "clusters": clusters,
    }


def _notes() -> dict[str, str]:
    import yaml

    with open(CATALOGUE_DIR / "rules_2012_13.yaml") as f:
        raw = yaml.safe_load(f)
    out = {}
    for section in ("registers", "indicators"):
        for k, v in (raw.get(section) or {}).items():
            if isinstance(v, dict) and v.get("note"):
                out[k] = str(v["note"])
    return out


def _write(table: pa.Table, folder: Path, name: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, folder / f"{name}.parquet")
    pacsv.write_csv(table, folder / f"{name}.csv")


def _dictionary_md(title: str, tables: dict[str, pa.Table], columns: dict[str, dict[str, str]]) -> str:
    lines = [f"# {title}", ""]
    for name, t in tables.items():
        lines += [f"## {name} ({t.num_rows} rows)", "", "| column | type | meaning |", "|---|---|---|"]
        for fld in t.schema:
            lines.append(f"| {fld.name} | {fld.type} | {columns.get(name, {}).get(fld.name, '')} |")
        lines.append("")
    return "\n".join(lines)


def load_spec(folder: Path) -> ExtractionSpec:
    return ExtractionSpec.model_validate_json((Path(folder) / "spec.json").read_text())


def export(catalogue: Catalogue, out: Path, indicators: list[str] | None = None) -> dict:
    """Build and write the conformance population for ``indicators`` (default: every extracted one).
    Returns the manifest."""
    out = Path(out)
    ids = indicators or catalogue.extracted_ids()
    ruleset = catalogue.rules.subset(ids) if indicators else catalogue.rules
    design = probes_mod.design(catalogue, ruleset, [i for i in catalogue.extracted_ids() if i in ruleset.indicators])
    tables = probes_mod.tables(catalogue, design)
    neutral = out / "neutral"
    for name in ("practices", "patients", "events", "probes"):
        _write(tables[name], neutral, name)
    flags_t = pa.table({k: pa.array([], pa.string() if k != "patient_id" else pa.int64()) for k in FLAGS_COLUMNS})
    (neutral / "DICTIONARY.md").write_text(
        _dictionary_md("The neutral record model (simulator/population/schema.py)", tables, NEUTRAL_COLUMNS)
        + "\n" + _dictionary_md("Optional: patient_flags, sent beside a supplier's extracts (--extracts DIR/patient_flags.csv)",
                                {"patient_flags": flags_t}, {"patient_flags": FLAGS_COLUMNS}))
    (neutral / "dictionary.json").write_text(json.dumps(
        {name: [{"column": f.name, "type": str(f.type), "meaning": NEUTRAL_COLUMNS.get(name, {}).get(f.name, "")}
                for f in tables[name].schema] for name in ("practices", "patients", "events", "probes")}
        | {"patient_flags": [{"column": k, "meaning": v} for k, v in FLAGS_COLUMNS.items()]}, indent=2) + "\n")
    for sup in schema.SUPPLIERS:
        b = backend(sup)
        folder = out / "supplier" / sup
        mine = b.to_supplier(tables["practices"], tables["patients"], tables["events"])
        for name, t in mine.items():
            _write(t, folder, name)
        (folder / "DICTIONARY.md").write_text(_dictionary_md(f"{sup}'s own tables (simulator/supplier/backends)",
                                                             mine, b.columns))
    spec = build_spec(catalogue)
    if indicators:
        spec = spec.model_copy(update={"indicators": tuple(i for i in spec.indicators if i.id in ruleset.indicators),
                                       "registers": tuple(r for r in spec.registers if r.id in ruleset.registers)})
    (out / "spec.json").write_text(spec.model_dump_json(indent=2) + "\n")
    (out / "extract.schema.json").write_text(json.dumps(extract_schema(spec), indent=2) + "\n")
    (out / "rules.json").write_text(json.dumps(rules_document(catalogue, ruleset), indent=2) + "\n")
    # the answer key
    practices = tuple(tables["practices"]["practice_code"].to_pylist())
    result = seam.count("reference", ruleset, catalogue.clusters, seam.Records(tables["patients"], tables["events"], practices),
                        spec.target_populations, spec.list_size_date)
    expected = out / "expected"
    expected.mkdir(parents=True, exist_ok=True)
    (expected / "counts.json").write_text(json.dumps(
        {code: {"list_size": c.list_size, "registers": c.registers,
                "indicators": {i: dataclasses.asdict(v) for i, v in c.indicators.items()},
                "target_populations": result.target_populations.get(code, {})}
         for code, c in sorted(result.counts.items())}, indent=1) + "\n")
    where = dict(zip(tables["patients"]["patient_id"].to_pylist(), tables["patients"]["practice_code"].to_pylist()))
    rows = [{"practice_code": where[pid], "patient_id": pid, "subject": s, "outcome": o, "step": k}
            for pid, v in sorted(result.verdicts.items())
            for s, (o, k) in [*((r, ("select" if on else "reject", 0)) for r, on in v.registers.items()),
                              *v.indicators.items()] if o != "reject"]
    _write(pa.Table.from_pylist(rows, schema=pa.schema([("practice_code", pa.string()), ("patient_id", pa.int64()),
                                                        ("subject", pa.string()), ("outcome", pa.string()),
                                                        ("step", pa.int32())])), expected, "patient_flags")
    reached = {}
    for v in result.verdicts.values():
        for s, (_, k) in v.indicators.items():
            reached.setdefault(s, set()).add(k)
    steps = [(i, k) for i, ind in ruleset.indicators.items() for k in range(1, len(ind.rules) + 1)]
    unreached = [f"{i} step {k}" for i, k in steps if k not in reached.get(i, set())]
    manifest = {"spec_id": spec.spec_id, "made_on": dt.date.today().isoformat(), "practices": len(practices),
                "patients": tables["patients"].num_rows, "events": tables["events"].num_rows,
                "registers": list(ruleset.registers), "indicators": [i.id for i in spec.indicators],
                "rule_steps": len(steps), "rule_steps_reached": len(steps) - len(unreached), "unreached": unreached,
                "suppliers": {s: sorted(p["practice_code"] for p in tables["practices"].to_pylist() if p["supplier"] == s)
                              for s in schema.SUPPLIERS}}
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    return manifest
