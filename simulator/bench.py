"""`make bench`: the speed and memory figures quoted in the README, measured, not asserted.

Each benchmark runs in a fresh process so its peak RSS is its own. Figures are printed and
written to reports/bench/bench.json with the machine's core count.

    python -m simulator.bench [--patients 1000000] [--scale 10000000] [--practices 8000] [--extracts 8000]
                              [--rate 1000] [--national scenarios/national-2012-13.yaml]
                              [--only generate,scale,engine,calc,collection,national]

``scale`` generates a second, larger nation so the two generate times can be compared (the
issue's target: 10 M patients in at most 11 x the 1 M time, peak RSS at most 2 GiB whatever N).

``collection`` is the national collection through the services, twice: as fast as they take the
extracts (throughput), then offered at ``--rate`` extracts a second (latency at that rate).

``national`` is `qofsim run scenarios/national-2012-13.yaml` (~8,000 practices, ~56 M patients),
end to end, with the peak RSS of its whole process tree (issue #8's targets: at most 30 minutes
and 4 GiB on 2 cores); its run folder is kept in reports/bench/national/.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import multiprocessing as mp
import os
import resource
import shutil
import tempfile
import time
from pathlib import Path


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _nation(patients: int, out: Path):
    from simulator.population.generate import generate_nation
    from simulator.population.profile import load_profile

    n_practices = max(1, round(patients / 7100))
    return generate_nation(load_profile("england-2012-13"), n_practices=n_practices, seed=1, out_dir=out)


def bench_generate(patients: int, workdir: str) -> dict:
    t = time.perf_counter()
    nation = _nation(patients, Path(workdir) / "gen")
    secs = time.perf_counter() - t
    return {"benchmark": "generate", "practices": len(nation.practices), "patients": nation.n_patients,
            "seconds": round(secs, 2), "patients_per_s": round(nation.n_patients / secs), "peak_rss_mib": round(_peak_rss_mib())}


def bench_engine(patients: int, workdir: str) -> dict:
    """The DuckDB engine: every extracted indicator with rules, over one Parquet nation of ~N patients."""
    import pyarrow.dataset as ds

    from simulator.qof.catalogue import default_catalogue
    from simulator.qof.engines import duckdb as engine

    nation_dir = Path(workdir) / "gen"
    if not (nation_dir / "practices.parquet").exists():
        _nation(patients, nation_dir)
    cat = default_catalogue()
    base_rss = _peak_rss_mib()
    n_patients = n_events = 0
    secs = 0.0
    suppliers = sorted(p.name for p in (nation_dir / "suppliers").iterdir())
    pats = [str(nation_dir / "suppliers" / s / "patients.parquet") for s in suppliers]
    evs = [str(nation_dir / "suppliers" / s / "events.parquet") for s in suppliers]
    n_patients = sum(ds.dataset(p).count_rows() for p in pats)
    n_events = sum(ds.dataset(e).count_rows() for e in evs)
    t = time.perf_counter()
    counts = {}
    for p, e in zip(pats, evs):
        counts.update(engine.run(cat.rules, cat.clusters, p, e))
    secs = time.perf_counter() - t
    return {"benchmark": "engine (DuckDB)", "indicators": len(cat.rules.indicators), "registers": len(cat.rules.registers),
            "practices": len(counts), "patients": n_patients, "events": n_events, "seconds": round(secs, 2),
            "patients_per_s": round(n_patients / secs), "peak_rss_mib": round(_peak_rss_mib()),
            "rss_before_mib": round(base_rss)}


def bench_calc(practices: int, workdir: str) -> dict:
    """CQRS calculation: every catalogue indicator scored and paid for N practices (the bulk path
    CQRS uses: simulator.cqrs.bulk; counts -> arrays -> exact points -> payments settled to pence)."""
    import random
    from decimal import Decimal

    from simulator.cqrs import bulk
    from simulator.cqrs.longformat import DENOMINATOR, EXCEPTIONS, NUMERATOR, REGISTER
    from simulator.qof.catalogue import default_catalogue

    cat = default_catalogue()
    rng = random.Random(1)
    data = []
    for n in range(practices):
        fields = {}
        for code, d in cat.indicators.items():
            if d.kind == "register":
                fields[code] = {REGISTER: rng.randint(0, 900)}
            else:
                den = rng.randint(0, 800)
                fields[code] = {NUMERATOR: rng.randint(0, den), DENOMINATOR: den, EXCEPTIONS: rng.randint(0, 30)}
        data.append((f"P{n:05d}", rng.randint(1000, 20000), fields))
    bulk.compile_catalogue(cat)  # per-catalogue constants, built once per process
    t = time.perf_counter()
    counts = bulk.counts_from_fields(bulk.compile_catalogue(cat), [c for c, _, _ in data], [s for _, s, _ in data],
                                     [f for _, _, f in data])
    result = bulk.calculate(cat, counts)
    total = sum(result.total_gbp, Decimal(0))
    secs = time.perf_counter() - t
    return {"benchmark": "calculation (CQRS)", "practices": practices, "indicators": len(cat.indicators),
            "seconds": round(secs, 2), "peak_rss_mib": round(_peak_rss_mib()), "total_gbp": str(total)}


def bench_collection(extracts: int, workdir: str, clients: int | None = None, gpes_workers: int | None = None,
                     batch: int | None = None, rate: float | None = None) -> dict:
    """The national collection through the services: ``extracts`` practice extracts (a registry of
    that many practices in the 2012/13 supplier shares) posted by supplier clients to GPES, stored,
    forwarded from GPES's outbox to CQRS, stored and acknowledged. GPES and CQRS run as the separate
    processes ``qofsim up`` starts. The extracts are prepared before the clock starts, with counts
    taken from a generated nation's practices (so this measures the services, not the engine).

    The clients send as qofsim's suppliers do: ``batch`` extracts a request to ``submit_batch_to``
    (``POST /extracts/batch``; 1: one extract a request to ``POST /extracts``). An extract's latency
    is from the moment its request was sent to the moment CQRS acknowledged it to GPES (``p95_ms``);
    ``submit_p95_ms`` is until GPES answered that it is stored, ``outbox_p95_ms`` from GPES storing it
    to CQRS's acknowledgement.

    ``rate`` 0 sends as fast as the services take them (the throughput, and the latency when
    saturated: extracts queue in GPES's outbox); ``rate`` N > 0 offers N extracts a second on a
    fixed schedule (open loop: a batch sent late is timed from when it was due, so a slow service
    cannot hide its delay by slowing the clients down), which is the latency at that rate.
    """
    import statistics
    import threading
    from concurrent.futures import ThreadPoolExecutor

    import psutil
    import requests

    from simulator.gpes.spec import build_spec
    from simulator.population.generate import generate_nation
    from simulator.population.practices import build_practices
    from simulator.population.profile import load_profile
    from simulator.qof.catalogue import default_catalogue
    from simulator.supplier.extract import build_extract, count
    from simulator.transport.http import new_session, post_extract, post_extracts
    from simulator.world import down
    from simulator.world.processes import free_port, launch
    from simulator.contracts import ExtractionRequest

    work = Path(workdir) / "collection"
    profile = load_profile("england-2012-13")
    cat = default_catalogue()
    spec = build_spec(cat)
    templates = generate_nation(profile, n_practices=24, seed=1, out_dir=work / "nation", list_size_range=(2000, 12000))
    counts = {}
    for sup in {p["supplier"] for p in templates.practices}:
        counts.update(count(cat, templates.patients_path(sup), templates.events_path(sup),
                            [p["practice_code"] for p in templates.practices_of(sup)]))
    template_counts = [counts[p["practice_code"]] for p in templates.practices]
    registry = [{k: r[k] for k in ("practice_code", "supplier", "ccg_code")} for r in build_practices(profile, extracts, 7)]
    for sub in ("config", "logs", "payments"):
        (work / "world" / sub).mkdir(parents=True, exist_ok=True)
    (work / "world" / "config" / "practices.json").write_text(json.dumps(registry))
    ports = {"cqrs": free_port(), "gpes": free_port()}
    configs = {
        "cqrs": {"database_url": f"sqlite:///{work / 'world' / 'cqrs.db'}",
                 "practices_file": str(work / "world" / "config" / "practices.json"),
                 "payments_dir": str(work / "world" / "payments")},
        "gpes": {"database_url": f"sqlite:///{work / 'world' / 'gpes.db'}",
                 "practices_file": str(work / "world" / "config" / "practices.json"),
                 "cqrs_url": f"http://127.0.0.1:{ports['cqrs']}", "public_url": f"http://127.0.0.1:{ports['gpes']}"},
    }
    gpes_workers = gpes_workers or int(os.environ.get("QOFSIM_BENCH_GPES_WORKERS", "1"))
    clients = clients or int(os.environ.get("QOFSIM_BENCH_CLIENTS", "4"))
    batch = batch or int(os.environ.get("QOFSIM_BENCH_BATCH", "50"))
    rate = float(os.environ.get("QOFSIM_BENCH_RATE", "0")) if rate is None else rate
    world = launch(work / "world", configs, ports, "bench-collection", 7, str(templates.out_dir), registry,
                   workers={"gpes": gpes_workers})
    gpes_url = world.services["gpes"].url
    from simulator.contracts.credentials import Issuer

    signer = Issuer.from_file(Path(world.issuer.private_key))
    tokens = {s: signer.issue("supplier", supplier=s) for s in {r["supplier"] for r in registry}}
    try:
        http = new_session(signer.issue("gpes"))  # GPES's operator: requests, receipts, what CQRS holds
        requests_by_supplier = {}
        for sup in sorted({r["supplier"] for r in registry}):
            r = http.post(f"{gpes_url}/requests", json={"supplier": sup}, timeout=60)
            r.raise_for_status()
            requests_by_supplier[sup] = ExtractionRequest.model_validate_json(r.content)
        bodies = []
        for i, p in enumerate(registry):
            c = template_counts[i % len(template_counts)]
            c = dataclasses.replace(c, practice_code=p["practice_code"])
            bodies.append((build_extract(requests_by_supplier[p["supplier"]], c).canonical_bytes(), p["supplier"]))
        procs = {n: psutil.Process(s.pid) for n, s in world.services.items()}
        peak = {n: 0 for n in procs}
        sampling = threading.Event()

        # each service's process tree (uvicorn workers), found once: walking every process on the machine
        # 20 times a second cost the client more CPU than sending the extracts
        trees = {n: [proc, *proc.children(recursive=True)] for n, proc in procs.items()}

        def sample():
            while not sampling.is_set():
                for n, tree in trees.items():
                    try:
                        peak[n] = max(peak[n], sum(p.memory_info().rss for p in tree))
                    except psutil.Error:
                        pass
                sampling.wait(0.1)

        cpu_of = lambda tree: sum(sum(p.cpu_times()[:2]) for p in tree)  # noqa: E731
        cpu0 = {n: cpu_of(tree) for n, tree in trees.items()}
        me = psutil.Process()
        cpu0["client"] = sum(me.cpu_times()[:2])
        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        local = threading.local()
        sent_at: dict[str, float] = {}
        answered_ms: list[float] = []
        statuses: dict[int, int] = {}
        lock = threading.Lock()

        def post(numbered: tuple[int, tuple[str, list[bytes]]]) -> None:
            n, (supplier, chunk) = numbered
            if not hasattr(local, "http"):
                local.http = {}
            if supplier not in local.http:  # each supplier sends with its own credential
                local.http[supplier] = new_session(tokens[supplier])
            http_ = local.http[supplier]
            t0 = time.time()
            if rate:
                due = wall0 + n * batch / rate
                time.sleep(max(0.0, due - t0))
                t0 = due
            if batch == 1:
                a = post_extract(http_, one_url, chunk[0])
                answers = [{"status": a.status, **(a.json or {})}]
            else:
                a = post_extracts(http_, batch_url, chunk)
                answers = a.json["results"] if a.status == 200 else [{"status": a.status}] * len(chunk)
            ms = (time.time() - t0) * 1000
            with lock:
                for ans in answers:
                    sent_at[ans.get("extract_id") or ""] = t0
                    answered_ms.append(ms)
                    statuses[ans["status"]] = statuses.get(ans["status"], 0) + 1

        any_request = next(iter(requests_by_supplier.values()))  # GPES takes every supplier's at the same URLs
        one_url, batch_url = any_request.submit_to, any_request.submit_batch_to
        by_supplier: dict[str, list[tuple[int, bytes]]] = {}
        for i, (body, supplier) in enumerate(bodies):
            by_supplier.setdefault(supplier, []).append((i, body))
        chunks = sorted(((mine[k][0], sup, [b for _, b in mine[k:k + batch]])  # in registry order: every
                         for sup, mine in by_supplier.items() for k in range(0, len(mine), batch)))  # supplier at once
        chunks = [(sup, chunk) for _, sup, chunk in chunks]
        start, wall0 = time.perf_counter(), time.time()
        with ThreadPoolExecutor(clients) as pool:
            list(pool.map(post, enumerate(chunks)))
        submitted = time.perf_counter() - start
        progress = []
        while True:
            h = http.get(f"{gpes_url}/health", timeout=60).json()
            progress.append((round(time.perf_counter() - start, 2), h["forward"].get("acknowledged", 0)))
            if h["forward"].get("pending", 0) == 0 or time.perf_counter() - start > 600:
                break
            time.sleep(0.2)  # only to know when to stop: the time is taken from the acknowledgements
        polled = time.perf_counter() - start
        cpu = {n: round(cpu_of(tree) - cpu0[n], 2) for n, tree in trees.items()}
        cpu["client"] = round(sum(me.cpu_times()[:2]) - cpu0["client"], 2)
        sampling.set()
        sampler.join()
        receipts = http.get(f"{gpes_url}/receipts", timeout=120).json()
        stored = http.get(f"{world.services['cqrs'].url}/extracts", timeout=120).json()
        import datetime as dt

        e2e, outbox, last_ack = [], [], wall0
        stamp = lambda iso: dt.datetime.fromisoformat(iso).replace(tzinfo=dt.timezone.utc).timestamp()  # noqa: E731
        for r in receipts:
            if r["extract_id"] in sent_at and r["acknowledged_at"]:
                acked = stamp(r["acknowledged_at"])
                e2e.append((acked - sent_at[r["extract_id"]]) * 1000)
                outbox.append((acked - stamp(r["received_at"])) * 1000)
                last_ack = max(last_ack, acked)
        seconds = last_ack - wall0 if len(e2e) == len(bodies) else polled  # first send to last acknowledgement
        ids = [x["extract_id"] for x in stored]
        accepted = {x["extract_id"] for x in receipts}
        q = lambda xs, p: statistics.quantiles(xs, n=100)[p - 1] if len(xs) > 1 else (xs[0] if xs else None)  # noqa: E731
        return {"benchmark": "collection", "extracts": len(bodies), "clients": clients, "batch": batch,
                "offered_per_s": rate or "as fast as taken",
                "gpes_workers": gpes_workers,
                "seconds": round(seconds, 2), "extracts_per_s": round(len(bodies) / seconds),
                "submit_seconds": round(submitted, 2),
                "p95_ms": round(q(e2e, 95), 1) if e2e else None, "p50_ms": round(q(e2e, 50), 1) if e2e else None,
                "submit_p95_ms": round(q(answered_ms, 95), 1),
                "outbox_p95_ms": round(q(outbox, 95), 1) if outbox else None, "statuses": statuses,
                "lost": len(accepted - set(ids)), "doubled": len(ids) - len(set(ids)),
                "peak_rss_mib": {n: round(v / 2**20) for n, v in peak.items()}, "cpu_seconds": cpu,
                "acknowledged_over_time": progress[::max(len(progress) // 20, 1)]}
    finally:
        down(work / "world")


def _role(proc, root_pid: int) -> str:
    """What a process of the run's tree is: the runner, a service (by its configuration file), or a
    worker of the runner (the oracle's processes)."""
    if proc.pid == root_pid:
        return "runner"
    try:
        args = proc.cmdline()
    except Exception:
        return "other"
    if "serve" in args and "--config" in args:
        return Path(args[args.index("--config") + 1]).stem
    return "runner workers"


def bench_national(scenario: str, workdir: str, sample_s: float = 0.5) -> dict:
    """`qofsim run` on the national scenario as a child process; its whole process tree (the runner,
    every service it brings up, the oracle's workers) sampled with psutil every ``sample_s``: the
    peak of the tree's summed RSS and each role's own peak. The stage times are the run's own
    (summary.json ``timings_s``)."""
    import subprocess
    import sys

    import psutil

    reports = Path(workdir)  # the run folder is workdir/national
    cmd = [sys.executable, "-m", "simulator.cli", "run", scenario, "--reports", str(reports), "--run-id", "national"]
    log = open(Path(workdir) / "national.log", "wb")
    t = time.perf_counter()
    child = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    root = psutil.Process(child.pid)
    peak_tree, peak_role, peak_at, timeline, next_row = 0, {}, 0.0, [], 0.0
    cpu_of: dict[int, tuple[str, float]] = {}  # pid -> (role, CPU seconds at its last sample)
    while child.poll() is None:
        try:
            procs = [root, *root.children(recursive=True)]
        except psutil.Error:
            procs = []
        total, by_role = 0, {}
        for proc in procs:
            try:
                rss = proc.memory_info().rss
                cpu = proc.cpu_times()
                cpu_of[proc.pid] = (cpu_of.get(proc.pid, (_role(proc, child.pid), 0))[0], cpu.user + cpu.system)
            except psutil.Error:
                continue
            total += rss
            role = _role(proc, child.pid)
            by_role[role] = by_role.get(role, 0) + rss
        if total > peak_tree:
            peak_tree, peak_at = total, time.perf_counter() - t
        now = time.perf_counter() - t
        for role, rss in by_role.items():
            if rss > peak_role.get(role, (0, 0))[0]:
                peak_role[role] = (rss, now)
        if now >= next_row:  # the tree every 10 s, to see which stage holds the memory
            timeline.append([round(now), round(total / 2**20), {k: round(v / 2**20) for k, v in sorted(by_role.items())}])
            next_row = now + 10
        time.sleep(sample_s)
    seconds = time.perf_counter() - t
    log.close()
    summary_path = reports / "national" / "summary.json"
    if child.returncode != 0 or not summary_path.exists():
        tail = (Path(workdir) / "national.log").read_text(errors="replace").strip().splitlines()[-5:]
        return {"benchmark": "national", "scenario": scenario, "exit_code": child.returncode,
                "seconds": round(seconds, 1), "error": " | ".join(tail)}
    s = json.loads(summary_path.read_text())
    import shutil

    shutil.rmtree(reports / "national" / "nation", ignore_errors=True)  # gigabytes of Parquet; the rest is kept
    return {"benchmark": "national", "scenario": scenario, "exit_code": child.returncode,
            "practices": s["practices"], "patients": s["patients"], "suppliers": s["suppliers"],
            "seconds": round(seconds, 1), "timings_s": s["timings_s"], "oracle": s.get("oracle"),
            "discrepancies": len(s["discrepancies"]), "comparisons": sum(s["checks"].values()),
            "total_points": s["total_points"], "total_payment_gbp": s["total_payment_gbp"],
            "peak_rss_mib": round(peak_tree / 2**20), "peak_rss_at_s": round(peak_at, 1),
            "peak_rss_mib_by_process": {k: round(v / 2**20) for k, (v, _) in sorted(peak_role.items())},
            "peak_rss_at_s_by_process": {k: round(at, 1) for k, (_, at) in sorted(peak_role.items())},
            "cpu_s_by_process": {role: round(sum(c for r, c in cpu_of.values() if r == role), 1)
                                 for role in sorted({r for r, _ in cpu_of.values()})},
            "rss_timeline_mib": timeline}


def bench_collection_paced(extracts: int, workdir: str) -> dict:
    """The same collection offered at a fixed rate (``--rate``, default 1,000 extracts/s): the latency
    each extract sees when the services are not saturated."""
    out = bench_collection(extracts, str(Path(workdir) / "paced"), rate=float(os.environ.get("QOFSIM_BENCH_PACE", "1000")))
    return {**out, "benchmark": "collection (paced)"}


def _worker(fn_name: str, arg: int, workdir: str, q) -> None:
    q.put(globals()[fn_name](arg, workdir))


def run_isolated(fn_name: str, arg: int, workdir: str) -> dict:
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    p = ctx.Process(target=_worker, args=(fn_name, arg, workdir, q))
    p.start()
    result = q.get()
    p.join()
    return result


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--patients", type=int, default=1_000_000)
    ap.add_argument("--scale", type=int, default=10_000_000)
    ap.add_argument("--practices", type=int, default=8000)
    ap.add_argument("--only", default="generate,scale,engine,calc,collection,national")
    ap.add_argument("--national", default="scenarios/national-2012-13.yaml", help="scenario of the national benchmark")
    ap.add_argument("--extracts", type=int, default=8000, help="practice extracts in the collection benchmark")
    ap.add_argument("--rate", type=float, default=1000.0,
                    help="extracts a second offered in the paced collection run (its latency at that rate)")
    ap.add_argument("--out", type=Path, default=Path("reports/bench"))
    a = ap.parse_args(argv)
    wanted = a.only.split(",")
    results = []
    with tempfile.TemporaryDirectory(prefix="qofsim-bench-") as tmp:
        if "generate" in wanted:
            results.append(run_isolated("bench_generate", a.patients, tmp))
            print(json.dumps(results[-1]), flush=True)
        if "scale" in wanted:
            with tempfile.TemporaryDirectory(prefix="qofsim-bench-scale-") as big:
                results.append(run_isolated("bench_generate", a.scale, big))
            print(json.dumps(results[-1]), flush=True)
            small = next((r for r in results if r["benchmark"] == "generate" and r is not results[-1]), None)
            if small:
                ratio = results[-1]["seconds"] / small["seconds"]
                print(json.dumps({"benchmark": "generate scaling", "patients_ratio": round(results[-1]["patients"] / small["patients"], 2),
                                  "time_ratio": round(ratio, 2)}), flush=True)
        if "engine" in wanted:
            results.append(run_isolated("bench_engine", a.patients, tmp))
            print(json.dumps(results[-1]), flush=True)
        if "calc" in wanted:
            results.append(run_isolated("bench_calc", a.practices, tmp))
            print(json.dumps(results[-1]), flush=True)
        if "collection" in wanted:  # as fast as the services take them, then offered at --rate
            os.environ["QOFSIM_BENCH_PACE"] = str(a.rate)
            for fn in ("bench_collection", "bench_collection_paced"):
                results.append(run_isolated(fn, a.extracts, tmp))
                print(json.dumps(results[-1]), flush=True)
        if "national" in wanted:  # last: the longest; its run folder is kept beside bench.json (reports/bench/national/)
            shutil.rmtree(a.out / "national", ignore_errors=True)
            a.out.mkdir(parents=True, exist_ok=True)
            results.append(bench_national(a.national, str(a.out)))
            print(json.dumps({k: v for k, v in results[-1].items() if k != "rss_timeline_mib"}), flush=True)
    a.out.mkdir(parents=True, exist_ok=True)
    path = a.out / "bench.json"  # a partial run (--only) keeps the other benchmarks' last figures
    kept = json.loads(path.read_text()).get("results", []) if path.exists() else []
    names = {r["benchmark"] for r in results}
    merged = [r for r in kept if r.get("benchmark") not in names] + results
    path.write_text(json.dumps({"cores": os.cpu_count(), "results": merged}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
