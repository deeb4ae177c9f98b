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
from simulator.population.generate import Nation, generate_nation, load_nation
from simulator.population.profile import load_profile
from simulator.qof.catalogue import Catalogue, default_catalogue
from simulator.cqrs.manual import manual_indicators
from simulator.practice import manual_entries
from simulator.qof import targets
from simulator.qof.engines import reference
from simulator.reconcile import reconcile
from simulator.scenario import Scenario, ScenarioError
from simulator.world import World
from simulator.world import down as world_down
from simulator.world import up as world_up

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
    for code in scenario.expect.get("missing", {}):
        if code not in known:
            raise ScenarioError(f"expect.missing.{code}: no practice {code} in this nation")
    for name, p in scenario.suppliers.items():
        for code in p.late:
            if code not in known:
                raise ScenarioError(f"suppliers.{name}.late: no practice {code} in this nation")


class CollectionTimeout(RuntimeError):
    pass


def wait_for_collection(w: World, collection_id: str, timeout_s: float, poll_s: float = 0.05) -> dict:
    """Until every request is dispatched or failed, every supplier job has finished, and nothing GPES
    stored is still on its way to CQRS. Returns GPES's view of the collection."""
    gpes = w.gpes()
    suppliers = {name: w.supplier(name) for name in w.suppliers}
    deadline = time.monotonic() + timeout_s
    while True:
        c = gpes.collection(collection_id)
        waiting = [r["supplier"] for r in c["requests"] if r["status"] == "requested"]
        for r in c["requests"]:
            if r["status"] == "dispatched" and r["job_id"]:
                try:
                    job = suppliers[r["supplier"]].job(r["job_id"])
                except Exception:  # a supplier restarting: ask again
                    job = {"status": "unknown"}
                if job["status"] not in ("done", "failed"):
                    waiting.append(f"{r['supplier']} job {job['status']}")
        if not waiting:  # read again: what the finished jobs sent must be in the view returned
            c = gpes.collection(collection_id)
            waiting = [r["supplier"] for r in c["requests"] if r["status"] == "requested"]
        in_flight = [p["practice_code"] for p in c["practices"] if p["status"] in ("received", "forwarded")]
        if not waiting and not in_flight:
            return c
        if time.monotonic() > deadline:
            raise CollectionTimeout(f"collection {collection_id} not finished after {timeout_s:.0f} s: waiting for "
                                    f"{', '.join(waiting) or 'no supplier'}; {len(in_flight)} extracts not yet "
                                    f"acknowledged by CQRS ({', '.join(in_flight[:5])})")
        time.sleep(poll_s)


def exercise(w: World, scenario: Scenario, say: Say, catalogue: Catalogue) -> dict:
    """Drive the flow over HTTP; returns what each step answered."""
    timings: dict[str, float] = {}
    gpes, cqrs = w.gpes(), w.cqrs()
    t = time.perf_counter()
    spec = gpes.spec()
    started = gpes.start_collection()
    say(f"GPES publishes {spec.spec_id} and asks {len(started['requests'])} suppliers for their extracts "
        f"(collection {started['collection_id']})")
    collection = wait_for_collection(w, started["collection_id"], scenario.collection_timeout_s)
    timings["collect_s"] = time.perf_counter() - t
    request_ids = [r["request_id"] for r in collection["requests"]]
    say("Collected: " + ", ".join(f"{n} {k}" for k, n in sorted(collection["tally"].items())))
    held = sorted({x["practice_code"] for x in cqrs.extracts(request_ids) if x["current"]})
    t = time.perf_counter()
    if scenario.manual_entries == "all":
        for p in held:
            cqrs.enter_manual(p, manual_entries(catalogue, p, scenario.seed))
        say(f"{len(held)} practices entered their {len(manual_indicators(catalogue))} manual indicators")
    timings["manual_entries_s"] = time.perf_counter() - t
    t = time.perf_counter()
    calc = cqrs.calculate()
    timings["calculate_s"] = time.perf_counter() - t
    say(f"CQRS calculated {calc['calculated']} practices")
    t = time.perf_counter()
    for p in held:
        if scenario.declare == "all":
            cqrs.declare(p, declared_by=f"{p}-practice-manager")
            if scenario.approve == "all":
                cqrs.decide(p, approver=w.commissioner_of(p), decision="approve")
    pay = cqrs.payment_run()
    timings["workflow_s"] = time.perf_counter() - t
    say(f"CQRS issued {len(pay.instructions)} payment instructions, £{pay.total_gbp}")
    return {"collection": collection, "request_ids": request_ids, "calculation": calc, "payment_run": pay,
            "timings": timings}


def _expected_outcomes(scenario: Scenario, collection: dict, rec) -> list[dict]:
    """Check what the scenario said it expects; discrepancies it foresaw are set aside as expected."""
    status_of = {p["practice_code"]: p for p in collection["practices"]}
    missing = scenario.expect.get("missing", {})
    seen = []
    for code, want in sorted(missing.items()):
        got = status_of.get(code, {}).get("status")
        rec.compare("expected outcome", code, got == want,
                    f"expected GPES to report {code} {want}, it reports {got}"
                    + (f" ({status_of[code]['reason']})" if status_of.get(code, {}).get("reason") else ""))
        seen.append({"practice_code": code, "expected": want, "reported": got,
                     "reason": status_of.get(code, {}).get("reason")})
    foreseen = {"one extract per practice sent", "CQRS holds one current extract"}
    kept = []
    for d in rec.discrepancies:
        if d.check in foreseen and d.practice_code in missing:
            continue
        if d.check in foreseen and d.practice_code in status_of:  # say why it is missing
            p = status_of[d.practice_code]
            d.detail += f"; GPES reports it {p['status']}" + (f": {p['reason']}" if p["reason"] else "")
        kept.append(d)
    rec.discrepancies[:] = kept
    return seen


def run_scenario(scenario: Scenario, reports_dir: Path = Path("reports"), run_id: str | None = None,
                 say: Say = print, progress=None, catalogue: Catalogue | None = None,
                 world_dir: Path | None = None) -> RunResult:
    """Bring a world up in the run folder (or drive the one already up in ``world_dir``), run the
    flow, reconcile this collection, bring it down (only if this run brought it up)."""
    catalogue = catalogue or default_catalogue()
    run_id = run_id or new_run_id(scenario)
    run_dir = Path(reports_dir) / run_id
    run_dir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    t = time.perf_counter()
    own_world = world_dir is None
    if own_world:
        try:
            nation = generate(scenario, run_dir, progress)
        except RecordFaultError as exc:
            raise ScenarioError(str(exc)) from None
        check_faults(scenario, nation)
        say(f"Generated {len(nation.practices)} practices, {nation.n_patients:,} patients")
    generate_s = time.perf_counter() - t
    t = time.perf_counter()
    if own_world:
        world_dir = run_dir / "world"
        world_up(world_dir, nation, scenario, say)
    w = World.open(world_dir)
    if not own_world:
        w.reachable()
        nation = load_nation(w.file.nation)
        check_faults(Scenario(**{**scenario.__dict__, "faults": ()}), nation)
        say(f"Driving the world in {world_dir} ({w.file.scenario}: {len(nation.practices)} practices)")
        if w.file.scenario != scenario.name:
            say(f"Note: the world was started from scenario {w.file.scenario!r}: its nation, supplier faults and "
                f"personalities are that scenario's; {scenario.name!r} gives the workflow and expectations")
    up_s = time.perf_counter() - t
    try:
        flow = exercise(w, scenario, say, catalogue)
        gather = _gather(w, flow["request_ids"])
    finally:
        if own_world:
            world_down(world_dir)
    partitions = {s: (nation.patients_path(s), nation.events_path(s))
                  for s in {p["supplier"] for p in nation.practices}}
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
    final = [o for o in gather["outboxes"] if o["final"]]
    faults = scenario.faults if own_world else _world_faults(w)
    expected_rejections = sum(1 for f in faults if f["kind"] not in ("resend", "withhold"))
    rec = reconcile(catalogue, nation.practices, final, gather["receipts"], gather["extracts"], gather["bodies"],
                    gather["achievements"], [i.model_dump(mode="json") for i in flow["payment_run"].instructions],
                    oracle, expected_rejections, gather["manual"], oracle_targets)
    expected = _expected_outcomes(scenario, flow["collection"], rec)
    achievements = gather["achievements"]
    total_points = sum((Decimal(a["total_points"]) for a in achievements.values()), Decimal(0))
    total_pay = sum((Decimal(a["payment_gbp"]) for a in achievements.values()), Decimal("0.00"))
    database_url = w.file.services["cqrs"].database_url
    summary = {
        "run_id": run_id,
        "scenario": scenario.name,
        "collection_id": flow["collection"]["collection_id"],
        "world": str(Path(world_dir).resolve()) if not own_world else "run folder (brought up and down by this run)",
        "practices": len(nation.practices),
        "patients": nation.n_patients,
        "suppliers": {s: sum(1 for p in nation.practices if p["supplier"] == s) for s in sorted(partitions)},
        "extracts_sent": len(final),
        "extracts_received": len(gather["receipts"]),
        "extracts_stored": len(gather["extracts"]),
        "extracts_rejected": sum(1 for o in final if o["status"] not in (200, 201)),
        "sends_retried": sum(1 for o in gather["outboxes"] if not o["final"]),
        "payment_instructions": len(flow["payment_run"].instructions),
        "gpes_requests": {r["supplier"]: r["status"] + (f": {r['reason']}" if r["reason"] else "")
                          for r in flow["collection"]["requests"]},
        "collection": flow["collection"]["tally"],
        "expected_outcomes": expected,
        "discrepancies": [d.as_dict() for d in rec.discrepancies],
        "checks": dict(rec.checks),
        "total_points": str(points_2dp(total_points)),
        "total_payment_gbp": str(total_pay),
        "payment_instruction_file": _relative(Path(flow["payment_run"].file), run_dir),
        "national_prevalence": flow["calculation"]["national_prevalence"],
        "database": "sqlite (one file per service)" if database_url.startswith("sqlite") else database_url.split(":")[0],
        "timings_s": {"generate": round(generate_s, 3), "up": round(up_s, 3),
                      **{k[:-2]: round(v, 3) for k, v in flow["timings"].items()},
                      "oracle": round(oracle_s, 3), "total": round(time.perf_counter() - started, 3)},
    }
    (run_dir / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    (run_dir / "achievements.json").write_text(json.dumps(achievements, indent=2) + "\n")
    from simulator.reporting.report import write_report  # matplotlib is slow to import: only when reporting

    write_report(run_dir, summary, achievements, nation.practices, catalogue)
    return RunResult(run_dir, summary, achievements, nation)


def _world_faults(w: World) -> list[dict]:
    """The supplier faults a running world was started with (each supplier's configuration file)."""
    from simulator.supplier.config import SupplierConfig

    return [f for s in w.file.services.values() if s.kind == "supplier"
            for f in SupplierConfig.load(Path(s.config)).faults]


def _relative(path: Path, base: Path) -> str:
    try:
        return str(path.resolve().relative_to(base.resolve()))
    except ValueError:
        return str(path)


def _gather(w: World, request_ids: list[str]) -> dict:
    """Everything reconciliation reads, scoped to this collection's requests."""
    cqrs = w.cqrs()
    extracts = cqrs.extracts(request_ids)
    achievements = {x["practice_code"]: cqrs.achievement(x["practice_code"]).model_dump(mode="json")
                    for x in extracts if x["current"]}
    return {"extracts": extracts,
            "bodies": {x["extract_id"]: cqrs.extract_body(x["extract_id"]) for x in extracts},
            "achievements": achievements,
            "manual": {p: cqrs.manual_entries(p) for p in achievements},
            "outboxes": [o for name in w.suppliers for o in w.supplier(name).outbox(request_ids)],
            "receipts": w.gpes().receipts(request_ids)}
