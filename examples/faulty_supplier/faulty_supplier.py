"""A small supplier with three classic mistakes, for the conformance kit to find.

It runs qofsim's rules, changed the way real extraction code goes wrong:

1. **exception before the numerator** in DM26: the DMEX exception is tested before the HbA1c
   numerator rule, so a patient at target who also has an exception code is excepted;
2. **age at the wrong date**: every age is computed on the list size date (1 January), not on the
   achievement date (31 March);
3. **a resolved code still counted** in the asthma register: any asthma code selects, an asthma
   resolved code after it notwithstanding.

    python examples/faulty_supplier/faulty_supplier.py --population DIR --out EXTRACTS [--flags]
    qofsim conform check --population DIR --extracts EXTRACTS

``--flags`` also writes patient_flags.csv (each patient's outcome per register and indicator), so the
kit compares patient by patient.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
from pathlib import Path

import pyarrow.parquet as pq
from dateutil.relativedelta import relativedelta

from simulator.conform.extract import manifest, request_for, ruleset_for
from simulator.qof.catalogue import Catalogue, default_catalogue
from simulator.qof.engines import seam
from simulator.qof.rules import AgeAtLeast, AllOf, AnyOf, Condition, Has, Not, Rule, RuleSet, Unresolved, Window
from simulator.supplier.extract import build_extract


def _map(c: Condition, f) -> Condition:
    c = f(c)
    if isinstance(c, (AllOf, AnyOf)):
        return type(c)(tuple(_map(p, f) for p in c.parts))
    if isinstance(c, Not):
        return Not(_map(c.part, f))
    return c


def _rules(rules: tuple[Rule, ...], f) -> tuple[Rule, ...]:
    return tuple(Rule(None if r.condition is None else _map(r.condition, f), r.outcome) for r in rules)


def exception_first(rules: tuple[Rule, ...]) -> tuple[Rule, ...]:
    """Mistake 1: the first exception rule moved in front of the first numerator rule."""
    num = next(k for k, r in enumerate(rules) if r.outcome == "numerator")
    exc = next(k for k, r in enumerate(rules) if r.outcome == "exception")
    out = list(rules)
    out.insert(num, out.pop(exc))
    return tuple(out)


def mistaken(ruleset: RuleSet) -> RuleSet:
    lsd = ruleset.list_size_date

    def age_on_list_size_date(c):  # mistake 2
        return AgeAtLeast(c.years, lsd - relativedelta(years=c.years)) if isinstance(c, AgeAtLeast) else c

    def resolved_ignored(c):  # mistake 3
        return Has(c.clusters, Window(None, c.end)) if isinstance(c, Unresolved) else c

    regs = {rid: dataclasses.replace(r, rules=_rules(r.rules, resolved_ignored) if rid == "AST" else r.rules)
            for rid, r in ruleset.registers.items()}
    inds = {}
    for iid, ind in ruleset.indicators.items():
        rules = _rules(ind.rules, age_on_list_size_date)
        inds[iid] = dataclasses.replace(ind, rules=exception_first(rules) if iid == "DM26" else rules)
    return dataclasses.replace(ruleset, registers=regs, indicators=inds)


def run(catalogue: Catalogue, population: Path, out: Path, flags: bool = False) -> None:
    out.mkdir(parents=True, exist_ok=True)
    rules = mistaken(ruleset_for(catalogue, population))
    neutral = Path(population) / "neutral"
    patients, events = pq.read_table(neutral / "patients.parquet"), pq.read_table(neutral / "events.parquet")
    where = dict(zip(patients["patient_id"].to_pylist(), patients["practice_code"].to_pylist()))
    rows = []
    for supplier, practices in manifest(population)["suppliers"].items():
        request = request_for(population, supplier)
        result = seam.count("reference", rules, catalogue.clusters, seam.Records(patients, events, tuple(practices)),
                            request.spec.target_populations)
        for code in practices:
            x = build_extract(request, result.counts[code], target_populations=result.target_populations.get(code, {}))
            (out / f"{code}.json").write_bytes(x.canonical_bytes())
        for pid, v in result.verdicts.items():
            rows += [(where[pid], pid, r, "select") for r, on in v.registers.items() if on]
            rows += [(where[pid], pid, i, o) for i, (o, _) in v.indicators.items() if o != "reject"]
    if flags:
        with open(out / "patient_flags.csv", "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["practice_code", "patient_id", "subject", "outcome"])
            w.writerows(sorted(rows))


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--population", type=Path, required=True)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--flags", action="store_true", help="also write patient_flags.csv")
    a = ap.parse_args(argv)
    run(default_catalogue(), a.population, a.out, a.flags)


if __name__ == "__main__":
    main()
