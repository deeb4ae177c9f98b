"""One interface to both engines: the neutral records in; counts, target populations and (from the
reference engine) each patient's verdict with its deciding step out.

The supplier, reconciliation, calibration and the conformance kit all need the same three things
from the same records; before this seam each fed the engines a different input (``Patient``
objects, Parquet paths, a separate target-population counter). The record types live in the
population's schema (``simulator.population.schema``), not inside either engine.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

import pyarrow as pa

from simulator.qof import targets
from simulator.qof.engines import PracticeCounts
from simulator.qof.engines import duckdb as duckdb_engine
from simulator.qof.engines import reference
from simulator.qof.rules import RuleSet

ENGINES = ("reference", "duckdb")


@dataclass(frozen=True)
class Records:
    """The neutral ``patients`` and ``events`` tables (population/schema.py), as Arrow tables or Parquet
    paths; ``practices`` limits a run to those practices and makes each appear even when empty."""

    patients: pa.Table | str | Path
    events: pa.Table | str | Path
    practices: tuple[str, ...] | None = None


@dataclass
class Result:
    counts: dict[str, PracticeCounts]
    target_populations: dict[str, dict[str, int]] = field(default_factory=dict)
    verdicts: dict[int, reference.Verdict] | None = None  # reference only: patient id -> outcome and step per list


def _src(x):
    return x if isinstance(x, pa.Table) else str(x)


def _every(tp: dict[str, dict[str, int]], practices: list[str] | None, groups: list) -> dict[str, dict[str, int]]:
    """Every practice asked for has every group, 0 when it has no such patient (or no patient at all)."""
    for code in practices or () if groups else ():
        tp.setdefault(code, {g.group: 0 for g in groups})
    return tp


def count(engine: str, ruleset: RuleSet, clusters: dict[str, tuple[tuple[str, str], ...]], records: Records,
          groups: Iterable[targets.Group] = (), on: dt.date | None = None, verdicts: bool = True) -> Result:
    """Counts per practice from ``engine`` ("reference" or "duckdb"); target populations of ``groups``
    on ``on`` (default: the rules' list size date); the reference's per-patient verdicts unless
    ``verdicts`` is False (a big oracle run need not hold one per patient)."""
    groups, on = list(groups), on or ruleset.list_size_date
    practices = list(records.practices) if records.practices is not None else None
    if engine == "duckdb":
        counts = duckdb_engine.run(ruleset, clusters, _src(records.patients), _src(records.events), practices=practices)
        tp = targets.count_duckdb(groups, _src(records.patients), on, practices) if groups else {}
        return Result(counts, _every(tp, practices, groups))
    if engine == "reference":
        patients = list(reference.read_patients(_src(records.patients), _src(records.events),
                                                set(practices) if practices else None))
        kept: dict[int, reference.Verdict] | None = {} if verdicts else None
        counts = reference.run(ruleset, clusters, patients, practices or (), verdicts=kept)
        tp = targets.count_reference(groups, patients, on) if groups else {}
        return Result(counts, _every(tp, practices, groups), kept)
    raise ValueError(f"unknown engine {engine!r} (one of {', '.join(ENGINES)})")
