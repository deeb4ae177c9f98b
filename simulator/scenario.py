"""Scenario files: which nation, which faults, how far the workflow goes, what to expect."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml
from pydantic import ValidationError

from simulator.population.faults import RecordFaultError, parse_record_faults
from simulator.qof.catalogue import default_catalogue
from simulator.supplier.faults import KINDS
from simulator.supplier.personality import Personality

SUPPLIER_NAMES = ("EMIS", "TPP", "INPS", "Microtest")
# what a scenario may say it expects (anything else is refused, naming the key)
EXPECT_KEYS = ("missing",)
# a practice whose extract does not reach CQRS, and the status GPES must report for it
MISSING_STATUSES = ("requested", "rejected", "not collected", "refused by CQRS")
TRANSPORTS = ("http", "mesh")  # how GPES forwards to CQRS: POST over loopback HTTP, or MESH (a mesh-sandbox)


class ScenarioError(ValueError):
    pass


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    profile: str
    practices: int
    seed: int
    list_size_range: tuple[int, int] | None
    faults: tuple[dict, ...] = ()  # supplier faults: what a supplier sends (simulator/supplier/faults.py)
    record_faults: tuple = ()  # faults in the practices' records (simulator/population/faults.py)
    declare: str = "all"
    manual_entries: str = "all"  # practices enter their non-extracted indicators in CQRS
    approve: str = "all"
    oracle: bool = True  # re-count with the reference engine
    oracle_sample: int | None = None  # ... only this many practices, drawn with oracle_seed (None: every one)
    oracle_seed: int = 0
    expect: dict = field(default_factory=dict)
    suppliers: dict = field(default_factory=dict)  # supplier -> Personality (simulator/supplier/personality.py)
    collection_timeout_s: float = 600.0
    report_pages: bool = True  # report.practice_pages: a page per practice and commissioner (linear in practices)
    transport: str = "http"  # GPES -> CQRS: http, or mesh (the world runs a mesh-sandbox)
    path: Path | None = None


def parse_scenario(data: dict, source: str = "scenario") -> Scenario:
    def fail(where: str, msg: str) -> ScenarioError:
        return ScenarioError(f"{source}: {where}: {msg}")

    if not isinstance(data, dict):
        raise ScenarioError(f"{source}: expected a mapping")
    unknown = set(data) - {"name", "description", "population", "faults", "workflow", "oracle", "expect", "suppliers",
                           "collection_timeout_s", "report", "transport"}
    if unknown:
        raise fail(sorted(unknown)[0], "unknown field")
    pop = data.get("population") or {}
    if not isinstance(pop, dict):
        raise fail("population", "expected a mapping")
    n = pop.get("practices", 12)
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise fail("population.practices", f"a whole number of practices >= 1, got {n!r}")
    seed = pop.get("seed", 20130331)
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise fail("population.seed", f"a whole number >= 0, got {seed!r}")
    rng = pop.get("list_size_range")
    if rng is not None:
        if (not isinstance(rng, list) or len(rng) != 2 or not all(isinstance(x, int) for x in rng)
                or rng[0] < 1 or rng[0] > rng[1]):
            raise fail("population.list_size_range", f"[low, high] with 1 <= low <= high, got {rng!r}")
        rng = (rng[0], rng[1])
    unknown_pop = set(pop) - {"profile", "practices", "seed", "list_size_range", "faults"}
    if unknown_pop:
        raise fail(f"population.{sorted(unknown_pop)[0]}", "unknown field")
    try:
        record_faults = parse_record_faults(pop.get("faults"), default_catalogue().rules.registers)
    except RecordFaultError as exc:
        raise ScenarioError(f"{source}: {exc}") from None
    faults = data.get("faults") or []
    if not isinstance(faults, list):
        raise fail("faults", "expected a list")
    for i, f in enumerate(faults):
        if not isinstance(f, dict) or f.get("kind") not in KINDS:
            raise fail(f"faults[{i}].kind", f"one of {', '.join(KINDS)}")
        if not isinstance(f.get("practice"), str):
            raise fail(f"faults[{i}].practice", "a practice code is required")
    wf = data.get("workflow") or {}
    for step in ("manual_entries", "declare", "approve"):
        if wf.get(step, "all") not in ("all", "none"):
            raise fail(f"workflow.{step}", "all or none")
    suppliers = data.get("suppliers") or {}
    if not isinstance(suppliers, dict):
        raise fail("suppliers", "expected a mapping of supplier name to its personality")
    personalities = {}
    for name, spec in suppliers.items():
        if name not in SUPPLIER_NAMES:
            raise fail(f"suppliers.{name}", f"not a supplier (one of {', '.join(SUPPLIER_NAMES)})")
        try:
            personalities[name] = Personality.model_validate(spec or {})
        except ValidationError as exc:
            e = exc.errors()[0]
            raise fail(".".join(["suppliers", name, *map(str, e["loc"])]), e["msg"]) from None
    expect = data.get("expect") or {}
    if not isinstance(expect, dict):
        raise fail("expect", "expected a mapping")
    for key in expect:
        if key not in EXPECT_KEYS:
            raise fail(f"expect.{key}", f"unknown expectation (known: {', '.join(EXPECT_KEYS)})")
    missing = expect.get("missing") or {}
    if not isinstance(missing, dict):
        raise fail("expect.missing", "a mapping of practice code to the status GPES reports, e.g. {A81005: requested}")
    for code, st in missing.items():
        if st not in MISSING_STATUSES:
            raise fail(f"expect.missing.{code}", f"{st!r} is not one of {', '.join(MISSING_STATUSES)}")
    oracle, oracle_sample, oracle_seed = parse_oracle(data.get("oracle", True), n, seed, fail)
    timeout = data.get("collection_timeout_s", 600.0)
    if not isinstance(timeout, (int, float)) or isinstance(timeout, bool) or timeout <= 0:
        raise fail("collection_timeout_s", f"seconds > 0, got {timeout!r}")
    report = data.get("report") or {}
    if not isinstance(report, dict) or set(report) - {"practice_pages"}:
        raise fail("report", "a mapping with practice_pages: true|false")
    pages = report.get("practice_pages", True)
    if not isinstance(pages, bool):
        raise fail("report.practice_pages", f"true or false, got {pages!r}")
    transport = data.get("transport", "http")
    if transport not in TRANSPORTS:
        raise fail("transport", f"one of {', '.join(TRANSPORTS)}, got {transport!r}")
    return Scenario(name=str(data.get("name") or source), description=str(data.get("description") or ""),
                    profile=str(pop.get("profile", "england-2012-13")), practices=n, seed=seed, list_size_range=rng,
                    faults=tuple(faults), record_faults=record_faults, declare=wf.get("declare", "all"), manual_entries=wf.get("manual_entries", "all"), approve=wf.get("approve", "all"),
                    oracle=oracle, oracle_sample=oracle_sample, oracle_seed=oracle_seed, expect={"missing": dict(missing)},
                    suppliers=personalities, collection_timeout_s=float(timeout), report_pages=pages,
                    transport=transport)


def parse_oracle(raw, practices: int, population_seed: int, fail) -> tuple[bool, int | None, int]:
    """``oracle: true`` (every practice re-counted by the reference engine), ``false`` (none), or
    ``{sample: N, seed: S}``: N practices drawn with seed S (default: the population's seed)."""
    if isinstance(raw, bool):
        return raw, None, 0
    if not isinstance(raw, dict):
        raise fail("oracle", f"true, false or {{sample: N, seed: S}}, got {raw!r}")
    unknown = set(raw) - {"sample", "seed"}
    if unknown:
        raise fail(f"oracle.{sorted(unknown)[0]}", "unknown field (known: sample, seed)")
    if "sample" not in raw:
        raise fail("oracle.sample", "how many practices the reference engine re-counts, e.g. {sample: 40, seed: 1}")
    sample, seed = raw["sample"], raw.get("seed", population_seed)
    if not isinstance(sample, int) or isinstance(sample, bool) or sample < 1:
        raise fail("oracle.sample", f"a whole number of practices >= 1, got {sample!r}")
    if sample > practices:
        raise fail("oracle.sample", f"{sample} is more than the population's {practices} practices")
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise fail("oracle.seed", f"a whole number >= 0, got {seed!r}")
    return True, sample, seed


def load_scenario(path: Path) -> Scenario:
    path = Path(path)
    if not path.exists():
        raise ScenarioError(f"{path}: no such scenario file")
    with open(path) as f:
        data = yaml.safe_load(f)
    sc = parse_scenario(data, source=path.name)
    return Scenario(**{**sc.__dict__, "path": path})
