"""`make bench`: the speed and memory figures quoted in the README, measured, not asserted.

Each benchmark runs in a fresh process so its peak RSS is its own. Figures are printed and
written to reports/bench/bench.json with the machine's core count.

    python -m simulator.bench [--patients 1000000] [--scale 10000000] [--practices 8000] [--only generate,scale,engine,calc]

``scale`` generates a second, larger nation so the two generate times can be compared (the
issue's target: 10 M patients in at most 11 x the 1 M time, peak RSS at most 2 GiB whatever N).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import resource
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
    ap.add_argument("--only", default="generate,scale,engine,calc")
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
    a.out.mkdir(parents=True, exist_ok=True)
    (a.out / "bench.json").write_text(json.dumps({"cores": os.cpu_count(), "results": results}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
