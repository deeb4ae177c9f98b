"""A supplier's extraction: run the spec's rules over its own practices, aggregate, build extracts.

Only counts leave: the engine returns per-practice totals, and the Extract contract has no
field a patient identifier could ride in.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from pathlib import Path

from simulator.contracts import Extract, ExtractionRequest, IndicatorCount
from simulator.qof import targets
from simulator.qof.catalogue import Catalogue
from simulator.qof.engines import PracticeCounts
from simulator.qof.engines import duckdb as duckdb_engine

EXTRACT_NS = uuid.UUID("6b1d7f0e-2f0c-4d0e-9a51-0f0a20121303")


def count(catalogue: Catalogue, patients: Path, events: Path, practices: list[str]) -> dict[str, PracticeCounts]:
    return duckdb_engine.run(catalogue.rules, catalogue.clusters, str(patients), str(events), practices=practices)


def target_populations(request: ExtractionRequest, patients: Path) -> dict[str, dict[str, int]]:
    """practice -> group -> count of the spec's additional services target populations."""
    spec = request.spec
    return targets.count_duckdb(spec.target_populations, str(patients), spec.list_size_date, request.practices)


def build_extract(request: ExtractionRequest, counts: PracticeCounts, attempt: int = 1,
                  target_populations: Mapping[str, int] | None = None) -> Extract:
    """One practice's extract. The id is derived from request, practice and attempt, so a rerun of
    the same request yields the same ids (and GPES sees a resend as a resend)."""
    spec = request.spec
    return Extract(
        extract_id=str(uuid.uuid5(EXTRACT_NS, f"{request.request_id}/{counts.practice_code}/{attempt}")),
        request_id=request.request_id, spec_id=spec.spec_id, supplier=request.supplier,
        practice_code=counts.practice_code, achievement_date=spec.achievement_date, list_size=counts.list_size,
        registers={r.id: counts.registers[r.id] for r in spec.registers},
        indicators=tuple(IndicatorCount(id=i.id, numerator=counts.indicators[i.id].numerator,
                                        denominator=counts.indicators[i.id].denominator,
                                        exceptions=counts.indicators[i.id].exceptions) for i in spec.indicators),
        target_populations={t.group: (target_populations or {}).get(t.group, 0) for t in spec.target_populations})
