"""One flow: generate -> serve -> extract -> collect -> forward -> calculate -> declare/approve -> pay
-> reconcile -> report. Everything crosses the same HTTP interfaces a real supplier would use."""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from collections.abc import Callable, Mapping

from simulator.contracts import PracticeAchievement
from simulator.contracts.errors import exact_number
from simulator.cqrs.points import points_2dp
from simulator.population.faults import RecordFaultError
from simulator.population.generate import Nation, generate_nation, load_nation
from simulator.population.profile import load_profile
from simulator.qof.catalogue import Catalogue, default_catalogue
from simulator.cqrs.manual import manual_indicators
from simulator.practice import manual_entries
from simulator.qof.engines import seam
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
    achievements: Mapping[str, dict] = field(default_factory=dict)  # practice -> calculated record (JsonByKey)
    nation: Nation | None = None


def _oracle(catalogue: Catalogue, partition: tuple[Path, Path, list[str] | None]) -> tuple[dict, dict]:
    """The reference engine's counts and target populations for one supplier's records, or only
    the practices named (one process per partition: the per-patient oracle is the slow half of a run)."""
    patients_path, events_path, practices = partition
    r = seam.count("reference", catalogue.rules, catalogue.clusters,
                   seam.Records(patients_path, events_path, tuple(practices) if practices else None),
                   catalogue.parameters.target_populations, catalogue.rules.list_size_date, verdicts=False)
    return r.counts, r.target_populations

ORACLE_TASK = 5  # sampled practices re-counted by one task (the reference engine holds them as Python objects)


def _groups(codes: list[str], n: int) -> list[list[str]]:
    return [codes[i:i + n] for i in range(0, len(codes), n)]


def oracle_sample(codes, n: int | None, seed: int) -> list[str]:
    """The practices the reference engine re-counts: ``n`` drawn from ``codes`` with ``seed`` (the
    same every time for the same practices, seed and n), or all of them when ``n`` is None or not
    smaller than their number."""
    codes = sorted(set(codes))
    if n is None or n >= len(codes):
        return codes
    return sorted(random.Random(seed).sample(codes, n))


def new_run_id(scenario: Scenario) -> str:
    return f"{dt.datetime.now().strftime('%Y%m%dT%H%M%S')}-{scenario.name}"


PARALLEL_FROM = 200  # practices: from this many, the suppliers' files are written by two processes


def generate(scenario: Scenario, run_dir: Path, progress=None) -> Nation:
    profile = load_profile(scenario.profile)
    workers = min(2, os.cpu_count() or 1) if scenario.practices >= PARALLEL_FROM else 1
    return generate_nation(profile, n_practices=scenario.practices, seed=scenario.seed, out_dir=run_dir / "nation",
                           progress=progress, list_size_range=scenario.list_size_range,
                           faults=scenario.record_faults, workers=workers)


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


def wait_for_collection(w: World, collection_id: str, timeout_s: float, poll_s: float = 0.05,
                        max_poll_s: float = 1.0) -> dict:
    """Until every request is dispatched or failed, every supplier job has finished, and nothing GPES
    stored is still on its way to CQRS. Returns GPES's view of the collection. Polls every
    ``poll_s`` at first, backing off to ``max_poll_s`` (a national collection's view is large, and
    asking for it costs the services the CPU they collect with)."""
    gpes = w.gpes()
    suppliers = {name: w.supplier(name) for name in w.suppliers}
    deadline = time.monotonic() + timeout_s
    c = None
    while True:
        # GPES's view (every practice's status) only while a request waits to be dispatched and once
        # every job has finished; in between, the suppliers' jobs say how far the collection is
        if c is None or any(r["status"] == "requested" for r in c["requests"]):
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
        in_flight = []
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
        poll_s = min(poll_s * 1.3, max_poll_s)


BATCH = 500  # practices in one bulk request to CQRS


def _batches(codes: list[str], n: int = BATCH):
    for i in range(0, len(codes), n):
        yield codes[i:i + n]


class WorkflowRefused(RuntimeError):
    """CQRS refused a step for some practices (each practice's status and reason in the message)."""


def _all_done(step: str, result) -> None:
    refused = [o for o in result.results if o.outcome == "refused"]
    if refused:
        raise WorkflowRefused(f"CQRS refused {len(refused)} practices' {step}: " + "; ".join(
            f"{o.practice_code} {o.status} {o.detail[0].field}: {o.detail[0].reason}" for o in refused[:5]))


def _as_each_practice(w: World, codes: list[str], step, threads: int = 4) -> None:
    """``step(client, practice)`` for each practice, each with a CQRS client holding that practice's
    own credential (a practice acts only for itself), a few at once."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(lambda p: step(w.cqrs("practice", practice=p), p), codes))


def exercise(w: World, scenario: Scenario, say: Say, catalogue: Catalogue) -> dict:
    """Drive the flow over HTTP; returns what each step answered."""
    timings: dict[str, float] = {}
    gpes, cqrs, finance = w.gpes(), w.cqrs("auditor"), w.cqrs("finance")
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
    if scenario.manual_entries == "all":  # each practice enters its own, with its own credential
        _as_each_practice(w, held, lambda c, p: _all_done(
            "manual entries", c.enter_manual_many([(p, manual_entries(catalogue, p, scenario.seed))])))
        say(f"{len(held)} practices entered their {len(manual_indicators(catalogue))} manual indicators")
    timings["manual_entries_s"] = time.perf_counter() - t
    t = time.perf_counter()
    calc = finance.calculate()
    timings["calculate_s"] = time.perf_counter() - t
    say(f"CQRS calculated {calc['calculated']} practices")
    t = time.perf_counter()
    commissioner = {p.practice_code: p.ccg_code for p in w.file.practices}
    if scenario.declare == "all":
        _as_each_practice(w, held, lambda c, p: _all_done(
            "declarations", c.declare_many([(p, f"{p}-practice-manager")])))
        if scenario.approve == "all":  # each commissioner approves its own practices, in bulk
            for ccg in sorted({commissioner[p] for p in held}):
                mine = [p for p in held if commissioner[p] == ccg]
                for batch in _batches(mine):
                    _all_done("approvals", w.cqrs("commissioner", ccg=ccg).decide_many(
                        [(p, ccg, "approve", "") for p in batch]))
    pay = finance.payment_run()
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
    started_at = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
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
        t = time.perf_counter()
        gather = _gather(w, flow["request_ids"])
        gather_s = time.perf_counter() - t
    finally:
        t = time.perf_counter()
        if own_world:
            world_down(world_dir)
        down_s = time.perf_counter() - t
    codes_of = {s: [p["practice_code"] for p in nation.practices if p["supplier"] == s]
                for s in sorted({p["supplier"] for p in nation.practices})}
    partitions = {s: (nation.patients_path(s), nation.events_path(s)) for s in codes_of}
    oracle = oracle_targets = sampled = None
    t = time.perf_counter()
    if scenario.oracle:
        sampled = oracle_sample([p["practice_code"] for p in nation.practices], scenario.oracle_sample,
                                scenario.oracle_seed)
        whole = len(sampled) == len(nation.practices)
        say("Re-counting " + ("every practice" if whole else f"{len(sampled)} practices drawn with seed "
                              f"{scenario.oracle_seed}") + " with the reference engine (the oracle)")
        chosen = set(sampled)
        work = [(*partitions[s], None) for s in codes_of] if whole else [  # a sample: a few practices a task
            (*partitions[s], group) for s, codes in codes_of.items()
            for group in _groups([c for c in codes if c in chosen], ORACLE_TASK)]
        oracle, oracle_targets = {}, {}
        with ProcessPoolExecutor(max_workers=min(len(work), os.cpu_count() or 1)) as pool:
            for counts, groups in pool.map(_oracle, [catalogue] * len(work), work):
                oracle.update(counts)
                oracle_targets.update(groups)
    oracle_s = time.perf_counter() - t
    t = time.perf_counter()
    final = [o for o in gather["outboxes"] if o["final"]]
    faults = scenario.faults if own_world else _world_faults(w)
    expected_rejections = sum(1 for f in faults if f["kind"] not in ("resend", "withhold"))
    rec = reconcile(catalogue, nation.practices, final, gather["receipts"], gather["extracts"], gather["bodies"],
                    gather["achievements"], [i.model_dump(mode="json") for i in flow["payment_run"].instructions],
                    oracle, expected_rejections, gather["manual"], oracle_targets,
                    oracle_practices=None if sampled is None else set(sampled))
    expected = _expected_outcomes(scenario, flow["collection"], rec)
    reconcile_s = time.perf_counter() - t
    achievements = gather["achievements"]
    total_points = sum((Decimal(a["total_points"]) for a in achievements.values()), Decimal(0))
    total_pay = sum((Decimal(a["payment_gbp"]) for a in achievements.values()), Decimal("0.00"))
    database_url = w.file.services["cqrs"].database_url
    verdict = "failed" if rec.discrepancies else "passed"
    summary = {
        "kind": "run",  # the run index (qofsim report index) lists any folder whose summary.json has a kind
        "title": f"{scenario.name}: {len(nation.practices):,} practices",
        "verdict": verdict,
        "started": started_at,
        "run_id": run_id,
        "scenario": scenario.name,
        "transport": scenario.transport if own_world else _world_transport(w),
        "collection_id": flow["collection"]["collection_id"],
        "world": str(Path(world_dir).resolve()) if not own_world else "run folder (brought up and down by this run)",
        "practices": len(nation.practices),
        "patients": nation.n_patients,
        "suppliers": {s: len(codes) for s, codes in codes_of.items()},
        "extracts_sent": len(final),
        "extracts_received": len(gather["receipts"]),
        "extracts_stored": len(gather["extracts"]),
        "extracts_rejected": sum(1 for o in final if o["status"] not in (200, 201)),
        "extracts_rejected_expected": expected_rejections,
        "sends_retried": sum(1 for o in gather["outboxes"] if not o["final"]),
        "payment_instructions": len(flow["payment_run"].instructions),
        "gpes_requests": {r["supplier"]: r["status"] + (f": {r['reason']}" if r["reason"] else "")
                          for r in flow["collection"]["requests"]},
        "collection": flow["collection"]["tally"],
        "expected_outcomes": expected,
        "discrepancies": [d.as_dict() for d in rec.discrepancies],
        "checks": dict(rec.checks),
        "oracle": None if sampled is None else {
            "practices_sampled": len(sampled), "of": len(nation.practices),
            "seed": scenario.oracle_seed if scenario.oracle_sample is not None else None, "sampled": sampled},
        "total_points": str(points_2dp(total_points)),
        "total_payment_gbp": str(total_pay),
        "payment_instruction_file": _relative(Path(flow["payment_run"].file), run_dir),
        "national_prevalence": flow["calculation"]["national_prevalence"],
        "national_average_target_population": flow["calculation"].get("national_average_target_population", {}),
        "database": "sqlite (one file per service)" if database_url.startswith("sqlite") else database_url.split(":")[0],
        "timings_s": {"generate": round(generate_s, 3), "up": round(up_s, 3),
                      **{k[:-2]: round(v, 3) for k, v in flow["timings"].items()},
                      "gather": round(gather_s, 3), "down": round(down_s, 3), "oracle": round(oracle_s, 3), "reconcile": round(reconcile_s, 3)},
    }
    t = time.perf_counter()
    write_achievements(run_dir / "achievements.json", achievements)
    from simulator.reporting.data import practice_records
    from simulator.reporting.report import write_report  # altair is slow to import: only when reporting

    records = practice_records(
        catalogue, nation.practices, achievements, gather["bodies"], gather["extracts"], gather["receipts"],
        gather["outboxes"], gather["manual"], gather["workflow"],
        [i.model_dump(mode="json") for i in flow["payment_run"].instructions],
        summary["national_prevalence"], summary["national_average_target_population"], _history(gather["audit"]))
    write_report(run_dir, summary, records, catalogue, pages=scenario.report_pages)
    summary["timings_s"]["report"] = round(time.perf_counter() - t, 3)
    summary["timings_s"]["total"] = round(time.perf_counter() - started, 3)
    (run_dir / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    from simulator.reporting.index import write_index

    write_index(Path(reports_dir))
    return RunResult(run_dir, summary, achievements, nation)


def _history(audit: list[dict] | None) -> dict[str, list[dict]] | None:
    """practice -> its audit entries (who, when, what, before -> after), for the report's practice rows."""
    if audit is None:
        return None
    out: dict[str, list[dict]] = {}
    for a in audit:
        if a["practice_code"]:
            out.setdefault(a["practice_code"], []).append(a)
    return out


def _world_transport(w: World) -> str:
    """How a running world's GPES reaches CQRS: mesh when it runs a mesh-sandbox."""
    return "mesh" if "mesh" in w.file.services else "http"


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


class JsonByKey(Mapping):
    """key -> JSON document, held as its compact bytes and parsed on each read: a national run's
    achievements as Python objects would take gigabytes, as bytes a few hundred megabytes."""

    def __init__(self, pick: Callable[[dict], object] = lambda doc: doc):
        self._raw: dict[str, bytes] = {}
        self._pick = pick

    def put(self, key: str, raw: bytes) -> None:
        self._raw[key] = raw

    def raw(self, key: str) -> bytes:
        return self._raw[key]

    def __getitem__(self, key: str):
        return self._pick(json.loads(self._raw[key], parse_float=exact_number))

    def __iter__(self):
        return iter(self._raw)

    def __len__(self) -> int:
        return len(self._raw)


HISTORY_PRACTICES = 500  # up to this many practices, the report shows each one's history from CQRS's audit log


def _gather(w: World, request_ids: list[str]) -> dict:
    """Everything reconciliation reads, scoped to this collection's requests: read from CQRS a page
    of many practices at a time, each calculated record checked against its contract."""
    cqrs = w.cqrs()
    extracts = cqrs.extracts(request_ids)
    current = {x["practice_code"] for x in extracts if x["current"]}
    achievements = JsonByKey()
    for line in cqrs.achievements_all():
        code = PracticeAchievement.model_validate_json(line).practice_code
        if code in current:
            achievements.put(code, line)
    manual = JsonByKey(lambda doc: doc["entries"])
    for line in cqrs.manual_entries_all():
        code = json.loads(line)["practice_code"]
        if code in achievements:
            manual.put(code, line)
    workflow = {}
    for line in cqrs.workflow_all():
        doc = json.loads(line)
        if doc["practice_code"] in achievements:
            workflow[doc["practice_code"]] = doc
    return {"extracts": extracts,
            "workflow": workflow,
            "bodies": {extract_id: body for extract_id, _, body in cqrs.extract_bodies(request_ids)},
            "achievements": achievements,
            "manual": manual,
            "outboxes": [o for name in w.suppliers for o in w.supplier(name).outbox(request_ids)],
            "receipts": w.gpes().receipts(request_ids),
            "audit": cqrs.audit() if len(current) <= HISTORY_PRACTICES else None}


def write_achievements(path: Path, achievements: JsonByKey) -> None:
    """achievements.json: practice -> its calculated record, one practice a line, written as read."""
    with open(path, "wb") as f:
        f.write(b"{")
        for n, code in enumerate(sorted(achievements)):
            f.write((",\n" if n else "\n").encode() + json.dumps(code).encode() + b": " + achievements.raw(code))
        f.write(b"\n}\n")
