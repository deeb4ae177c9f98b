"""`qofsim load PROFILE`: target a world, set it up, run Locust headless and bounded, check, summarise.

One run writes ``reports/load/<run-id>/``: ``plan.json`` (what Locust ran), Locust's ``locust_*.csv``,
``locust_stats.json`` and ``locust.html``, ``locust.log``, ``tally.json`` (what the users saw accepted, merged by the
master), ``rss.json`` (each service's resident memory over the run) and ``summary.json``. The exit
code is 0 when the run met its thresholds and every check passed, 1 when not (each reason one
line), 2 when it could not start.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from simulator.loadtest import checks, target as targets
from simulator.loadtest.plan import PLAN_ENV, RUN_TIME_ENV, TALLY_ENV, USERS_ENV
from simulator.loadtest.profiles import Profile, ProfileError, load as load_profile, parse_duration

Say = Callable[[str], None]
ROOT = Path(__file__).resolve().parents[2]


@dataclass
class LoadOptions:
    profile: str
    run_time: str | None = None
    world: Path | None = None
    host: str | None = None
    cqrs_host: str | None = None
    issuer_key: Path | None = None  # --host: the private key of the world the services trust
    practices: int | None = None
    users: int | None = None
    workers: int = 0  # local Locust workers (0: one Locust process)
    remote_workers: int = 0  # more workers the master waits for, started elsewhere (`qofsim load P --worker`)
    master_host: str = "127.0.0.1"
    master_port: int | None = None
    p95_ms: float | None = None
    max_error_ratio: float | None = None
    out: Path = Path("reports/load")
    run_id: str | None = None
    seed: int = 7
    sample: int = 200
    drain_timeout_s: float = 300


class RefuseToStart(RuntimeError):
    """Exit 2: the message, one line, says why."""


def _locust() -> list[str]:
    import importlib.util

    if importlib.util.find_spec("locust") is None:  # found, not imported: it would patch this process
        raise RefuseToStart("Locust is not installed here: pip install -e '.[test]' (make install does)")
    exe = Path(sys.executable).parent / "locust"
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "locust"]


# ---------------------------------------------------------------- memory


class RssSampler:
    """Each service's resident set size (its worker processes included) every ``interval`` seconds, under
    the load and through the checks (CQRS's calculation is its peak), and the CPU it spent under the load."""

    def __init__(self, pids: dict[str, int], interval: float):
        import psutil

        self.procs = {}
        for name, pid in pids.items():
            try:
                self.procs[name] = psutil.Process(pid)
            except psutil.Error:
                pass
        self.interval = interval
        self.samples: list[dict] = []
        self._stop = threading.Event()
        self._t0 = time.monotonic()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _one(self) -> dict:
        import psutil

        row: dict = {"t": round(time.monotonic() - self._t0, 1)}
        for name, p in self.procs.items():
            try:
                row[name] = round((p.memory_info().rss + sum(c.memory_info().rss for c in p.children(recursive=True)))
                                  / 2**20, 1)
            except psutil.Error:
                row[name] = None
        return row

    def _run(self) -> None:
        while not self._stop.is_set():
            self.samples.append(self._one())
            self._stop.wait(self.interval)

    def _cpu(self) -> dict[str, float]:
        import psutil

        out = {}
        for name, p in self.procs.items():
            try:
                out[name] = sum(sum(x.cpu_times()[:2]) for x in [p, *p.children(recursive=True)])
            except psutil.Error:
                pass
        return out

    def __enter__(self):
        self._cpu0 = self._cpu()
        if self.procs:
            self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()
            self.samples.append(self._one())
        if not hasattr(self, "cpu_s"):
            self.load_ended()

    def load_ended(self) -> None:
        """The load is over (the checks follow): CPU seconds each service spent under it, and where its samples end."""
        cpu1 = self._cpu()
        self.cpu_s = {n: round(cpu1[n] - self._cpu0[n], 1) for n in cpu1 if n in self._cpu0}
        self.load_samples = len(self.samples)

    def report(self) -> dict:
        out = {}
        for name in self.procs:
            xs = [s[name] for s in self.samples if s.get(name) is not None]
            if xs:
                under_load = [s[name] for s in self.samples[:getattr(self, "load_samples", None)]
                              if s.get(name) is not None] or xs
                out[name] = {"start": xs[0], "peak_under_load": max(under_load), "end_of_load": under_load[-1],
                             "growth_under_load": round(under_load[-1] - xs[0], 1), "peak_with_checks": max(xs),
                             "cpu_s_under_load": getattr(self, "cpu_s", {}).get(name)}
        return out


# ---------------------------------------------------------------- Locust


def _stop(proc: subprocess.Popen, grace: float = 10) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def run_locust(profile: Profile, run_dir: Path, env: dict, run_time_s: float, workers: int, remote_workers: int,
               master_host: str, master_port: int | None, say: Say) -> int:
    """Locust headless: alone, or a master and ``workers`` local worker processes (plus any remote ones).
    Bounded: the shape stops at the run time; a Locust still running well after it is stopped."""
    log = open(run_dir / "locust.log", "ab")
    common = ["-f", str(profile.path), "--stop-timeout", "5"]
    head = [*common, "--headless", "--csv", str(run_dir / "locust"), "--html", str(run_dir / "locust.html"),
            "--json-file", str(run_dir / "locust_stats"), "--only-summary"]
    procs: list[subprocess.Popen] = []
    try:
        if workers + remote_workers == 0:
            master = subprocess.Popen([*_locust(), *head], env=env, stdout=log, stderr=subprocess.STDOUT,
                                      stdin=subprocess.DEVNULL, cwd=ROOT)
        else:
            from simulator.world.processes import free_port

            port = master_port or free_port()
            master = subprocess.Popen([*_locust(), *head, "--master", "--master-bind-host", master_host,
                                       "--master-bind-port", str(port), "--expect-workers", str(workers + remote_workers),
                                       "--expect-workers-max-wait", "120"],
                                      env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=ROOT)
            worker_env = {k: v for k, v in env.items() if k not in (PLAN_ENV, TALLY_ENV)}  # the master sends the plan
            for _ in range(workers):
                procs.append(subprocess.Popen([*_locust(), *common, "--worker", "--master-host", master_host,
                                               "--master-port", str(port)],
                                              env=worker_env, stdout=log, stderr=subprocess.STDOUT,
                                              stdin=subprocess.DEVNULL, cwd=ROOT))
            say(f"Locust master on {master_host}:{port} (pid {master.pid}), {workers} local workers "
                f"(pids {', '.join(str(p.pid) for p in procs) or '-'})"
                + (f", waiting for {remote_workers} remote" if remote_workers else ""))
        procs.insert(0, master)
        try:
            rc = master.wait(run_time_s + 180 + (120 if remote_workers else 0))
        except subprocess.TimeoutExpired:
            say("Locust did not stop by itself: stopping it")
            _stop(master)
            rc = master.returncode
        deadline = time.monotonic() + 10  # the master told each worker to leave (after its stop timeout)
        for p in procs[1:]:
            try:
                p.wait(max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                p.send_signal(signal.SIGTERM)
        return rc
    finally:
        for p in procs:
            _stop(p)
        log.close()


def _percentile(times: dict[int, int], n: int, q: float) -> float | None:
    """Locust's own percentile over its response-time buckets (``locust.stats.calculate_response_time_percentile``)."""
    if not n:
        return None
    done = 0
    for t in sorted(times, reverse=True):
        done += times[t]
        if n - done <= int(n * q):
            return float(t)
    return 0.0


def _entry(name: str, entries: list[dict]) -> dict:
    times: dict[int, int] = {}
    for e in entries:
        for t, c in e["response_times"].items():
            times[int(float(t))] = times.get(int(float(t)), 0) + c
    n = sum(e["num_requests"] for e in entries)
    span = max(e["last_request_timestamp"] or 0 for e in entries) - min(e["start_time"] for e in entries)
    return {"name": name, "requests": n, "failures": sum(e["num_failures"] for e in entries),
            "per_s": round(n / span, 1) if span > 0 else 0.0, "p50_ms": _percentile(times, n, 0.5),
            "p95_ms": _percentile(times, n, 0.95), "p99_ms": _percentile(times, n, 0.99),
            "max_ms": round(max((e["max_response_time"] or 0) for e in entries))}


def read_stats(run_dir: Path) -> dict:
    """Locust's final statistics (``--json-file``, written as it quits: the CSV is written every second and
    can miss the last); the five most frequent failures from its CSV."""
    path = run_dir / "locust_stats.json"
    if not path.exists():
        return {}
    entries = [e for e in json.loads(path.read_text()) if e["num_requests"] or e["num_failures"]]
    by = [_entry(e["name"], [e]) for e in sorted(entries, key=lambda e: e["name"])]
    fails = []
    fpath = run_dir / "locust_failures.csv"
    if fpath.exists():
        fails = sorted(({"name": r["Name"], "error": r["Error"][:300], "occurrences": int(r["Occurrences"])}
                        for r in csv.DictReader(fpath.open())), key=lambda r: -r["occurrences"])[:5]
    return {"aggregated": _entry("Aggregated", entries) if entries else None, "by_request": by, "top_failures": fails}


# ---------------------------------------------------------------- the run


def _target(opts: LoadOptions, profile: Profile, run_dir: Path, say: Say) -> targets.Target:
    if opts.world is not None and opts.host is not None:
        raise RefuseToStart("--world and --host: give one")
    if opts.world is not None:
        return targets.existing_world(opts.world)
    if opts.host is not None:
        return targets.hosts(opts.host, opts.cqrs_host, opts.issuer_key)
    return targets.own_world(run_dir / "world", opts.practices or profile.practices, opts.seed, say)


def run_load(opts: LoadOptions, argv: list[str], say: Say = print) -> tuple[int, dict]:
    started = time.perf_counter()
    try:
        profile = load_profile(opts.profile)
        run_time_s = parse_duration(opts.run_time) if opts.run_time else profile.run_time_s
    except ProfileError as exc:
        raise RefuseToStart(str(exc)) from None
    if run_time_s <= 0:
        raise RefuseToStart("--run-time: must be more than 0 s")
    _locust()
    started_at = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")  # for the reports index
    run_id = opts.run_id or f"{dt.datetime.now().strftime('%Y%m%dT%H%M%S')}-{profile.name}"
    run_dir = Path(opts.out) / run_id
    run_dir.mkdir(parents=True, exist_ok=True)
    try:
        target = _target(opts, profile, run_dir, say)
    except targets.TargetError as exc:
        raise RefuseToStart(str(exc)) from None
    if profile.commissioners and not all(p.get("ccg_code") for p in target.practices):
        targets.bring_down(target)
        raise RefuseToStart(f"{profile.name} approves as each practice's CCG, and {target.kind} names no CCG for its "
                            "practices: use --world DIR (world.json names them) or its own world")
    say(f"{profile.name}: {profile.purpose}")
    try:
        if opts.practices and target.kind != "own" and opts.practices < len(target.practices):
            target.practices = target.practices[:opts.practices]
        timings: dict[str, float] = {}
        t = time.perf_counter()
        plan = targets.make_plan(target, run_id, profile.name, opts.seed, Path(opts.out) / ".templates", say,
                                 run_time_s, opts.users)
        (run_dir / "plan.json").write_text(json.dumps(plan.to_dict()) + "\n")
        setup_accepted: dict = {}
        setup_manual: dict = {}
        if profile.setup.startswith("collected"):
            setup_accepted = targets.collect(plan, say)
            targets.wait_forwarded(plan.gpes_url, opts.drain_timeout_s)
            if profile.setup == "collected+manual":
                setup_manual = targets.enter_manual(plan, say)
            calc = target.cqrs().calculate()
            say(f"Set-up: CQRS calculated {calc.get('calculated')} practices")
        timings["setup"] = time.perf_counter() - t
        env = {**os.environ, PLAN_ENV: str((run_dir / "plan.json").resolve()), TALLY_ENV: str((run_dir / "tally.json").resolve()),
               RUN_TIME_ENV: str(run_time_s), **({USERS_ENV: str(opts.users)} if opts.users else {})}
        peak = opts.users or profile.users
        say(f"Locust: {profile.name} for {run_time_s:g} s, up to {peak} users, {len(plan.practices):,} practices "
            f"({target.kind} world: GPES {target.gpes_url}, CQRS {target.cqrs_url})")
        t = time.perf_counter()
        with RssSampler(target.pids, 5.0 if run_time_s > 300 else 1.0) as rss:
            rc = run_locust(profile, run_dir, env, run_time_s, opts.workers, opts.remote_workers, opts.master_host,
                            opts.master_port, say)
            timings["locust"] = time.perf_counter() - t
            rss.load_ended()
            tally = json.loads((run_dir / "tally.json").read_text()) if (run_dir / "tally.json").exists() else {}
            t = time.perf_counter()
            say("Checking: conservation, workflow, manual entries, re-derivation of points and payments")
            outcome = checks.run_all(plan, target, tally, setup_accepted, setup_manual, opts.sample, opts.drain_timeout_s)
            timings["checks"] = time.perf_counter() - t
        (run_dir / "rss.json").write_text(json.dumps(rss.samples) + "\n")
    finally:
        targets.bring_down(target)
    stats = read_stats(run_dir)
    summary, failures = _summarise(opts, profile, run_id, run_dir, target, plan, run_time_s, peak, rc, tally, stats,
                                   outcome, rss.report(), timings, started, argv)
    # what the reports index (qofsim report index) lists: kind, verdict, started, title, report
    summary = {"kind": "load", "verdict": "failed" if failures else "passed", "started": started_at,
               "title": f"load {profile.name}: {summary['practices']:,} practices", "report": "locust.html", **summary}
    (run_dir / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    from simulator.reporting.index import write_index

    write_index(Path(opts.out).parent)
    return (1 if failures else 0), summary


def _summarise(opts, profile, run_id, run_dir, target, plan, run_time_s, peak, rc, tally, stats, outcome, rss,
               timings, started, argv) -> tuple[dict, list[str]]:
    failures = list(outcome.failures)
    agg = stats.get("aggregated") or {"requests": 0, "failures": 0, "per_s": 0, "p50_ms": None, "p95_ms": None,
                                      "p99_ms": None}
    ratio = agg["failures"] / agg["requests"] if agg["requests"] else 0.0
    p95_limit = opts.p95_ms if opts.p95_ms is not None else profile.p95_ms
    err_limit = opts.max_error_ratio if opts.max_error_ratio is not None else profile.max_error_ratio
    if not agg["requests"]:
        failures.insert(0, f"Locust made no requests (exit {rc}; see {run_dir / 'locust.log'})")
    p95_from = "--p95-ms" if opts.p95_ms is not None else f"{profile.name}'s p95_ms"
    err_from = "--max-error-ratio" if opts.max_error_ratio is not None else f"{profile.name}'s max_error_ratio"
    if agg["p95_ms"] is not None and agg["p95_ms"] > p95_limit:
        failures.insert(0, f"p95 {agg['p95_ms']:g} ms is above the threshold of {p95_limit:g} ms ({p95_from})")
    if ratio > err_limit:
        failures.insert(0, f"error ratio {ratio:.3%} is above the threshold of {err_limit:.3%} ({err_from}): "
                           f"{agg['failures']} of {agg['requests']} requests failed")
    workers = opts.workers + opts.remote_workers
    if workers and tally.get("workers", 0) != workers:
        failures.append(f"the master holds the tally of {tally.get('workers', 0)} of {workers} workers")
    new = next((r for r in stats.get("by_request", []) if r["name"] == "POST /extracts (new)"), None)
    if new and new["requests"] - new["failures"] != len(tally.get("accepted", {})):
        failures.append(f"Locust counted {new['requests'] - new['failures']} accepted extracts, the tally "
                        f"{len(tally.get('accepted', {}))}: a tally was lost")
    summary = {
        "run_id": run_id, "profile": profile.name, "purpose": profile.purpose, "command": " ".join(argv),
        "passed": not failures, "failures": failures,
        "target": {"kind": target.kind, "gpes": target.gpes_url, "cqrs": target.cqrs_url,
                   "world": str(target.directory) if target.directory else None},
        "practices": len(plan.practices), "suppliers": {s: sum(1 for p in plan.practices if p[1] == s)
                                                        for s in sorted(plan.requests)},
        "run_time_s": run_time_s, "peak_users": peak, "locust_workers": workers, "locust_exit": rc,
        "thresholds": {"p95_ms": {"limit": p95_limit, "value": agg["p95_ms"],
                                  "from": "--p95-ms" if opts.p95_ms is not None else "profile"},
                       "max_error_ratio": {"limit": err_limit, "value": round(ratio, 6),
                                           "from": "--max-error-ratio" if opts.max_error_ratio is not None else "profile"}},
        "requests": agg["requests"], "failed_requests": agg["failures"], "error_ratio": round(ratio, 6),
        "requests_per_s": agg["per_s"], "p50_ms": agg["p50_ms"], "p95_ms": agg["p95_ms"], "p99_ms": agg["p99_ms"],
        "new_extracts_per_s": new["per_s"] if new else None,
        "by_request": stats.get("by_request", []), "top_failures": stats.get("top_failures", []),
        **outcome.summary,
        "rss_mib": rss,
        "timings_s": {**{k: round(v, 2) for k, v in timings.items()}, "total": round(time.perf_counter() - started, 2)},
        "files": {"html": str(run_dir / "locust.html"), "csv": str(run_dir / "locust_stats.csv"),
                  "log": str(run_dir / "locust.log"), "tally": str(run_dir / "tally.json"),
                  "rss": str(run_dir / "rss.json")},
    }
    return summary, failures


def run_worker(profile_name: str, master_host: str, master_port: int) -> int:
    """One Locust worker for a master elsewhere (``qofsim load PROFILE --workers 0 --remote-workers N``
    on the master's machine): it receives the plan from the master and needs no file."""
    try:
        profile = load_profile(profile_name)
    except ProfileError as exc:
        raise RefuseToStart(str(exc)) from None
    return subprocess.call([*_locust(), "-f", str(profile.path), "--worker", "--master-host", master_host,
                            "--master-port", str(master_port), "--stop-timeout", "5"], cwd=ROOT)
