"""One flow: generate -> serve -> extract -> collect -> forward -> calculate -> declare/approve -> pay
-> reconcile -> report. Everything crosses the same HTTP interfaces a real supplier would use."""

from __future__ import annotations

import datetime as dt
import json
import os
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Callable

from simulator.cqrs.points import points_2dp
from simulator.population.faults import RecordFaultError
from simulator.population.generate import Nation, generate_nation
from simulator.population.profile import load_profile
from simulator.qof.catalogue import Catalogue, default_catalogue
from simulator.cqrs.manual import manual_indicators
from simulator.practice import manual_entries
from simulator.qof import targets
from simulator.qof.engines import reference
from simulator.reconcile import reconcile
from simulator.scenario import Scenario, ScenarioError
from simulator.world import World, world

Say = Callable[[str], None]


@dataclass
class RunResult:
    run_dir: Path
    summary: dict
    achievements: dict[str, dict] = field(default_factory=dict)
    nation: Nation | None = None


def _oracle(catalogue: Catalogue, partition: tuple[Path, Path]) -> tuple[dict, dict]:
    """The reference engine's counts and target populations for one supplier's records (one
    process per partition: the per-patient oracle is the slow half of a run)."""
    patients = list(reference.read_patients(*partition))
    return (reference.run(catalogue.rules, catalogue.clusters, patients),
            targets.count_reference(catalogue.parameters.target_populations, patients, catalogue.rules.list_size_date))

def new_run_id(scenario: Scenario) -> str:
    return f"{dt.datetime.now().strftime('%Y%m%dT%H%M%S')}-{scenario.name}"


def generate(scenario: Scenario, run_dir: Path, progress=None) -> Nation:
    profile = load_profile(scenario.profile)
    return generate_nation(profile, n_practices=scenario.practices, seed=scenario.seed, out_dir=run_dir / "nation",
                           progress=progress, list_size_range=scenario.list_size_range,
                           faults=scenario.record_faults)


def check_faults(scenario: Scenario, nation: Nation) -> None:
    known = {p["practice_code"] for p in nation.practices}
    for i, f in enumerate(scenario.faults):
        if f["practice"] not in known:
            raise ScenarioError(f"faults[{i}].practice: no practice {f['practice']} in this nation "
                                f"(it has {', '.join(sorted(known)[:6])}…)")


def exercise(w: World, scenario: Scenario, say: Say) -> dict:
    """Drive the flow over HTTP; returns what each step answered."""
    timings: dict[str, float] = {}
    gpes, cqrs = w.gpes_client(), w.cqrs_client()
    t = time.perf_counter()
    say(f"GPES publishes {gpes.spec().spec_id} and asks {len(w.suppliers)} suppliers for their extracts")
    runs = gpes.collect()
    timings["collect_s"] = time.perf_counter() - t
    t = time.perf_counter()
    if scenario.manual_entries == "all":
        held = sorted({x["practice_code"] for x in cqrs.extracts() if x["current"]})
        for p in held:
            cqrs.enter_manual(p, manual_entries(w.cqrs.catalogue, p, scenario.seed))
        say(f"{len(held)} practices entered their {len(manual_indicators(w.cqrs.catalogue))} manual indicators")
    timings["manual_entries_s"] = time.perf_counter() - t
    t = time.perf_counter()
    calc = cqrs.calculate()
    timings["calculate_s"] = time.perf_counter() - t
    say(f"CQRS calculated {calc['calculated']} practices")
    t = time.perf_counter()
    for p in sorted({x["practice_code"] for x in cqrs.extracts() if x["current"]}):
        if scenario.declare == "all":
            cqrs.declare(p, declared_by=f"{p}-practice-manager")
            if scenario.approve == "all":
                cqrs.decide(p, approver=w.cqrs.commissioner_of[p], decision="approve")
    pay = cqrs.payment_run()
    timings["workflow_s"] = time.perf_counter() - t
    say(f"CQRS issued {len(pay.instructions)} payment instructions, £{pay.total_gbp}")
    return {"runs": runs, "calculation": calc, "payment_run": pay, "timings": timings}


def run_scenario(scenario: Scenario, reports_dir: Path = Path("reports"), run_id: str | None = None,
                 say: Say = print, progress=None, catalogue: Catalogue | None = None) -> RunResult:
    catalogue = catalogue or default_catalogue()
    run_id = run_id or new_run_id(scenario)
    run_dir = Path(reports_dir) / run_id
    run_dir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    t = time.perf_counter()
    try:
        nation = generate(scenario, run_dir, progress)
    except RecordFaultError as exc:
        raise ScenarioError(str(exc)) from None
    check_faults(scenario, nation)
    generate_s = time.perf_counter() - t
    say(f"Generated {len(nation.practices)} practices, {nation.n_patients:,} patients")
    partitions = {s: (nation.patients_path(s), nation.events_path(s))
                  for s in {p["supplier"] for p in nation.practices}}
    with world(catalogue, nation.practices, partitions, run_dir, list(scenario.faults)) as w:
        say("Services up on loopback: " + ", ".join(f"{k} {v}" for k, v in w.urls.items()))
        flow = exercise(w, scenario, say)
        cqrs = w.cqrs_client()
        extracts = cqrs.extracts()
        bodies = {x["extract_id"]: cqrs.extract_body(x["extract_id"]) for x in extracts}
        achievements = {x["practice_code"]: cqrs.achievement(x["practice_code"]).model_dump(mode="json")
                        for x in extracts if x["current"]}
        manual = {p: cqrs.manual_entries(p) for p in achievements}
        outboxes = [o for name in w.suppliers for o in w.supplier_client(name).outbox()]
        receipts = w.gpes_client().receipts()
        gpes_requests = w.gpes_client().get_json("/requests")
        database_url = w.database_url
    oracle = oracle_targets = None
    t = time.perf_counter()
    if scenario.oracle:
        say("Re-counting every practice with the reference engine (the oracle)")
        oracle, oracle_targets = {}, {}
        with ProcessPoolExecutor(max_workers=min(len(partitions), os.cpu_count() or 1)) as pool:
            for counts, groups in pool.map(_oracle, [catalogue] * len(partitions), partitions.values()):
                oracle.update(counts)
                oracle_targets.update(groups)
    oracle_s = time.perf_counter() - t
    expected_rejections = sum(1 for f in scenario.faults if f["kind"] not in ("resend", "withhold"))
    rec = reconcile(catalogue, nation.practices, outboxes, receipts, extracts, bodies, achievements,
                    [i.model_dump(mode="json") for i in flow["payment_run"].instructions], oracle, expected_rejections,
                    manual, oracle_targets)
    sent = sum(r.extracts_sent for r in flow["runs"])
    total_points = sum((Decimal(a["total_points"]) for a in achievements.values()), Decimal(0))
    total_pay = sum((Decimal(a["payment_gbp"]) for a in achievements.values()), Decimal("0.00"))
    summary = {
        "run_id": run_id,
        "scenario": scenario.name,
        "practices": len(nation.practices),
        "patients": nation.n_patients,
        "suppliers": {s: sum(1 for p in nation.practices if p["supplier"] == s) for s in sorted(partitions)},
        "extracts_sent": sent,
        "extracts_received": len(receipts),
        "extracts_stored": len(extracts),
        "extracts_rejected": sum(len(r.rejected) for r in flow["runs"]),
        "payment_instructions": len(flow["payment_run"].instructions),
        "gpes_requests": {r["supplier"]: r["status"] + (f": {r['reason']}" if r["reason"] else "") for r in gpes_requests},
        "discrepancies": [d.as_dict() for d in rec.discrepancies],
        "checks": dict(rec.checks),
        "total_points": str(points_2dp(total_points)),
        "total_payment_gbp": str(total_pay),
        "payment_instruction_file": str(Path(flow["payment_run"].file).relative_to(run_dir)),
        "national_prevalence": flow["calculation"]["national_prevalence"],
        "database": "sqlite (run folder)" if database_url.startswith("sqlite") else database_url.split(":")[0],
        "timings_s": {"generate": round(generate_s, 3), **{k[:-2]: round(v, 3) for k, v in flow["timings"].items()},
                      "oracle": round(oracle_s, 3), "total": round(time.perf_counter() - started, 3)},
    }
    (run_dir / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    (run_dir / "achievements.json").write_text(json.dumps(achievements, indent=2) + "\n")
    from simulator.reporting.report import write_report  # matplotlib is slow to import: only when reporting

    write_report(run_dir, summary, achievements, nation.practices, catalogue)
    return RunResult(run_dir, summary, achievements, nation)
