"""The world a load run targets, the real counts it sends, and the set-up a profile needs.

* its **own** world: GPES and CQRS as separate processes (``qofsim serve``, as ``qofsim up``
  starts them) over a registry of N practices in the 2012/13 supplier shares; Locust plays the
  suppliers. Counts come from a small generated nation's practices, run through the extraction
  engine (cached under ``reports/load/.templates/``), each registry practice taking one of them;
* ``--world DIR``: a world already up (``qofsim up``); its practices send their own counts, run
  through the engine over the world's nation;
* ``--host GPES_URL --cqrs-host CQRS_URL``: services started by other means; the practices are
  what GPES names in an extraction request for each supplier, with the template counts.

A world that cannot be reached, or has no practices, is refused (:class:`TargetError`).
"""

from __future__ import annotations

import json
import os
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import requests

from simulator.contracts import ExtractionSpec
from simulator.loadtest.plan import Plan, sha256, template_from_counts
from simulator.transport.http import CqrsClient, GpesClient, ServiceError, new_session

Say = Callable[[str], None]
SUPPLIERS = ("EMIS", "TPP", "INPS", "Microtest")
TEMPLATE_PRACTICES = 12  # generated practices whose counts the registry's practices take, in turn


class TargetError(RuntimeError):
    """The run cannot start: the message says why, in one line."""


@dataclass
class Target:
    kind: str  # own | world | host
    gpes_url: str
    cqrs_url: str
    practices: list[dict]  # practice_code, supplier, ccg_code ("" when unknown)
    pids: dict[str, int] = field(default_factory=dict)  # service -> pid (RSS sampling)
    directory: Path | None = None  # the world's folder (own, world)
    nation: Path | None = None  # the generated nation whose counts the practices send (world)
    issuer_key: Path | None = None  # the world's private issuer key (host: $QOFSIM_ISSUER_KEY; None: no-auth)

    def token(self, role: str, **scope) -> str | None:
        if self.issuer_key is None:
            return None
        from simulator.contracts.credentials import Issuer

        return Issuer.from_file(self.issuer_key).issue(role, **scope)

    def gpes(self) -> GpesClient:
        """GPES as its operator."""
        return GpesClient(self.gpes_url, token=self.token("gpes"))

    def cqrs(self, role: str = "finance") -> CqrsClient:
        return CqrsClient(self.cqrs_url, token=self.token(role))


def _health(url: str, name: str) -> dict:
    try:
        r = new_session().get(f"{url.rstrip('/')}/health", timeout=5)
    except requests.RequestException as exc:
        raise TargetError(f"{name} at {url} cannot be reached ({type(exc).__name__})") from None
    if r.status_code != 200:
        raise TargetError(f"{name} at {url} answered /health with {r.status_code}")
    return r.json()


def existing_world(directory: Path) -> Target:
    """A world started with ``qofsim up``: every service must answer, and it must have practices."""
    from simulator.world import World, WorldError

    try:
        w = World.open(directory)
        w.reachable()
    except WorldError as exc:
        raise TargetError(f"--world: {exc}") from None
    if not w.practices:
        raise TargetError(f"--world: {directory} has no practices in world.json")
    for name in ("gpes", "cqrs"):
        if name not in w.urls:
            raise TargetError(f"--world: {directory} has no {name} service")
    return Target("world", w.urls["gpes"], w.urls["cqrs"], w.practices,
                  pids={n: s.pid for n, s in w.file.services.items()}, directory=Path(directory),
                  nation=Path(w.file.nation),
                  issuer_key=Path(w.file.issuer.private_key) if w.file.issuer else None)


def hosts(gpes_url: str, cqrs_url: str | None, issuer_key: Path | None = None) -> Target:
    """Services at these URLs; the practices are those GPES names in a request for each supplier."""
    if not cqrs_url:
        raise TargetError("--host: give CQRS's URL too (--cqrs-host): the checks read what CQRS stored")
    _health(gpes_url, "GPES")
    _health(cqrs_url, "CQRS")
    if issuer_key is not None and not Path(issuer_key).is_file():
        raise TargetError(f"--issuer-key: no such file {issuer_key}")
    target = Target("host", gpes_url.rstrip("/"), cqrs_url.rstrip("/"), [], issuer_key=issuer_key)
    gpes = target.gpes()
    practices = []
    for s in SUPPLIERS:
        try:
            req = gpes.create_request(s)
        except ServiceError:
            continue
        practices += [{"practice_code": p, "supplier": s, "ccg_code": ""} for p in req.practices]
    if not practices:
        raise TargetError(f"--host: GPES at {gpes_url} names no practice for any supplier ({', '.join(SUPPLIERS)})")
    target.practices = practices
    return target


def own_world(directory: Path, n_practices: int, seed: int, say: Say) -> Target:
    """GPES and CQRS as processes over a registry of ``n_practices`` in the 2012/13 supplier shares."""
    from simulator.population.practices import build_practices
    from simulator.population.profile import load_profile
    from simulator.world.processes import free_port, launch

    directory = Path(directory).resolve()
    registry = [{k: r[k] for k in ("practice_code", "supplier", "ccg_code")}
                for r in build_practices(load_profile("england-2012-13"), n_practices, seed)]
    for sub in ("config", "logs", "payments"):
        (directory / sub).mkdir(parents=True, exist_ok=True)
    reg = directory / "config" / "practices.json"
    reg.write_text(json.dumps(registry) + "\n")
    ports: dict[str, int] = {}
    while len(set(ports.values())) < 2:
        ports = {"cqrs": free_port(), "gpes": free_port()}
    cqrs_url, gpes_url = (f"http://127.0.0.1:{ports[n]}" for n in ("cqrs", "gpes"))
    db = lambda name: os.environ.get(f"QOFSIM_{name.upper()}_DATABASE_URL") or f"sqlite:///{directory / f'{name}.db'}"  # noqa: E731
    configs = {"cqrs": {"database_url": db("cqrs"), "practices_file": str(reg), "payments_dir": str(directory / "payments")},
               "gpes": {"database_url": db("gpes"), "practices_file": str(reg), "cqrs_url": cqrs_url,
                        "public_url": gpes_url}}
    from simulator.world import WorldError

    try:
        w = launch(directory, configs, ports, "load", seed, "", registry)
    except WorldError as exc:
        raise TargetError(str(exc)) from None
    say(f"World up in {directory}: GPES {gpes_url}, CQRS {cqrs_url}, {len(registry):,} practices")
    return Target("own", gpes_url, cqrs_url, registry, pids={n: s.pid for n, s in w.services.items()},
                  directory=directory, issuer_key=Path(w.issuer.private_key) if w.issuer else None)


def bring_down(target: Target) -> None:
    if target.kind == "own" and target.directory is not None:
        from simulator.world import down

        down(target.directory)


# ---------------------------------------------------------------- counts


def _engine_counts(spec: ExtractionSpec, nation_dir: Path, practices: list[dict]) -> dict[str, tuple]:
    """practice -> (PracticeCounts, target populations) from the nation's records, supplier by supplier."""
    from simulator.population.generate import load_nation
    from simulator.qof import targets
    from simulator.qof.catalogue import default_catalogue
    from simulator.qof.engines import duckdb as engine

    cat = default_catalogue()
    nation = load_nation(str(nation_dir))
    wanted = {p["practice_code"] for p in practices}
    out: dict[str, tuple] = {}
    for sup in sorted({p["supplier"] for p in nation.practices}):
        codes = [p["practice_code"] for p in nation.practices_of(sup) if p["practice_code"] in wanted]
        if not codes:
            continue
        counts = engine.run(cat.rules, cat.clusters, str(nation.patients_path(sup)), str(nation.events_path(sup)),
                            practices=codes)
        groups = targets.count_duckdb(spec.target_populations, str(nation.patients_path(sup)), spec.list_size_date,
                                      codes)
        for c in codes:
            out[c] = (counts[c], groups.get(c, {}))
    return out


def _template_nation(cache: Path, seed: int, say: Say) -> Path:
    """A small generated nation (its practices' records are the templates' source), generated once."""
    from simulator.population.generate import generate_nation
    from simulator.population.profile import load_profile

    out = cache / f"nation-{seed}-{TEMPLATE_PRACTICES}"
    if not (out / "practices.parquet").exists():
        say(f"Generating {TEMPLATE_PRACTICES} template practices (once; cached in {out})")
        generate_nation(load_profile("england-2012-13"), n_practices=TEMPLATE_PRACTICES, seed=seed, out_dir=out,
                        list_size_range=(2000, 12000))
    return out


def templates_for(target: Target, spec: ExtractionSpec, cache: Path, seed: int, say: Say) -> tuple[list[dict], list[int]]:
    """Templates, and the template index of each of the target's practices (in order)."""
    spec_d = json.loads(spec.model_dump_json())
    cache.mkdir(parents=True, exist_ok=True)
    if target.kind == "world" and target.nation is not None and (target.nation / "practices.parquet").exists():
        import hashlib

        stamp = f"{target.nation.resolve()}/{(target.nation / 'practices.parquet').stat().st_mtime_ns}/{spec.spec_id}"
        cached = cache / f"world-{hashlib.sha256(stamp.encode()).hexdigest()[:16]}.json"
        if cached.exists():
            got = json.loads(cached.read_text())
        else:
            counts = _engine_counts(spec, target.nation, target.practices)
            got = {c: template_from_counts(spec_d, *v) for c, v in counts.items()}
            cached.write_text(json.dumps(got))
        codes = [p["practice_code"] for p in target.practices if p["practice_code"] in got]
        if len(codes) == len(target.practices):
            return [got[c] for c in codes], list(range(len(codes)))
        say(f"{len(target.practices) - len(codes)} of the world's practices are not in its nation: template counts")
    cached = cache / f"templates-{seed}-{TEMPLATE_PRACTICES}-{spec.spec_id}.json"
    if cached.exists():
        tpl = json.loads(cached.read_text())
    else:
        nation_dir = _template_nation(cache, seed, say)
        from simulator.population.generate import load_nation

        nation = load_nation(str(nation_dir))
        counts = _engine_counts(spec, nation_dir, nation.practices)
        tpl = [template_from_counts(spec_d, *counts[p["practice_code"]]) for p in nation.practices]
        cached.write_text(json.dumps(tpl))
    return tpl, [i % len(tpl) for i in range(len(target.practices))]


def make_plan(target: Target, run_id: str, profile: str, seed: int, cache: Path, say: Say, run_time_s: float,
              users: int | None) -> Plan:
    """This run's extraction requests (one per supplier) and the practices with their counts."""
    gpes = target.gpes()
    spec = gpes.spec()
    templates, which = templates_for(target, spec, cache, seed, say)
    suppliers = sorted({p["supplier"] for p in target.practices})
    reqs = {s: gpes.create_request(s).request_id for s in suppliers}
    return Plan(run_id=run_id, profile=profile, gpes_url=target.gpes_url, cqrs_url=target.cqrs_url,
                spec_id=spec.spec_id, achievement_date=spec.achievement_date.isoformat(), seed=seed, requests=reqs,
                practices=[[p["practice_code"], p["supplier"], p.get("ccg_code") or "", t]
                           for p, t in zip(target.practices, which)],
                templates=templates, run_time_s=run_time_s, users=users,
                issuer_key=str(target.issuer_key) if target.issuer_key else None)


# ---------------------------------------------------------------- set-up before the clock starts


def wait_forwarded(gpes_url: str, timeout_s: float) -> float:
    """Until GPES's outbox holds nothing pending (everything forwarded to CQRS); returns the seconds waited."""
    import time

    http = new_session()
    t = time.monotonic()
    while True:
        h = http.get(f"{gpes_url}/health", timeout=60).json()
        if not h.get("forward", {}).get("pending", 0):
            return time.monotonic() - t
        if time.monotonic() - t > timeout_s:
            raise TargetError(f"GPES still has {h['forward']['pending']} extracts to forward after {timeout_s:.0f} s")
        time.sleep(0.1)


def collect(plan: Plan, say: Say, threads: int = 8) -> dict[str, list]:
    """One extract per practice through GPES (as the suppliers would), forwarded to CQRS; returns
    the accepted ids as the tally does (extract_id -> [practice, sha256])."""
    import threading

    local = threading.local()
    accepted: dict[str, list] = {}

    def send(row: list) -> None:
        if not hasattr(local, "http"):
            local.http = new_session()
        extract_id = str(uuid.uuid4())
        body = plan.body(row[0], extract_id)
        r = local.http.post(f"{plan.gpes_url}/extracts", data=body, timeout=120,
                            headers={"Content-Type": "application/json", "X-Content-SHA256": sha256(body),
                                     **plan.auth("supplier", supplier=row[1])})
        if r.status_code != 201:
            raise TargetError(f"set-up: GPES answered {r.status_code} to {row[0]}'s extract: {r.text[:300]}")
        accepted[extract_id] = [row[0], sha256(body)]

    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(send, plan.practices))
    say(f"Set-up: {len(accepted):,} extracts through GPES")
    return accepted


def enter_manual(plan: Plan, say: Say, threads: int = 4) -> dict[str, int]:
    """Every practice enters its 44 manual indicators (round 0); returns practice -> round."""
    from simulator.practice import manual_entries
    from simulator.qof.catalogue import default_catalogue

    import threading

    cat = default_catalogue()
    cqrs = plan.cqrs_url
    local = threading.local()

    def enter(row: list) -> None:
        if not hasattr(local, "http"):
            local.http = new_session()
        body = manual_entries(cat, row[0], plan.seed).model_dump_json()
        r = local.http.post(f"{cqrs}/practices/{row[0]}/manual-entries", data=body, timeout=120,
                            headers={"Content-Type": "application/json", **plan.auth("practice", practice=row[0])})
        if r.status_code not in (200, 201):
            raise TargetError(f"set-up: CQRS answered {r.status_code} to {row[0]}'s manual entries: {r.text[:300]}")

    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(enter, plan.practices))
    say(f"Set-up: {len(plan.practices):,} practices entered their manual indicators")
    return {row[0]: 0 for row in plan.practices}
