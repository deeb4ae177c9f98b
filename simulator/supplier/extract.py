"""A supplier's extraction: run the spec's rules over its own practices, aggregate, build extracts.

Only counts leave: the engine returns per-practice totals, and the Extract contract has no
field a patient identifier could ride in.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from simulator.contracts import Extract, ExtractionRequest, IndicatorCount
from simulator.qof import targets
from simulator.qof.catalogue import Catalogue
from simulator.qof.engines import PracticeCounts
from simulator.qof.engines import duckdb as duckdb_engine

EXTRACT_NS = uuid.UUID("6b1d7f0e-2f0c-4d0e-9a51-0f0a20121303")


# Practices' records read and counted at once: bounds a supplier's memory whatever its size
# (~450 MiB for the engine over 300,000 patients; EMIS hosts ~31 M in a national run).
CHUNK_PATIENTS = 300_000


def count(catalogue: Catalogue, patients: Path, events: Path, practices: list[str]) -> dict[str, PracticeCounts]:
    """Counts for ``practices``, over the whole files at once (see :func:`count_chunks` for a
    supplier's partition of any size)."""
    return duckdb_engine.run(catalogue.rules, catalogue.clusters, str(patients), str(events), practices=practices)


@dataclass(frozen=True)
class Layout:
    """Where each practice's rows are in a Parquet file: row groups per practice (the generator
    writes one per practice, in practice order), or None when a row group holds several
    practices (then a chunk is read with a filter instead)."""

    path: Path
    groups: dict[str, list[int]] | None
    rows: dict[str, int]

    @classmethod
    def of(cls, path: Path) -> "Layout":
        md = pq.ParquetFile(path).metadata
        col = md.schema.names.index("practice_code")
        groups: dict[str, list[int]] | None = {}
        rows: dict[str, int] = {}
        for i in range(md.num_row_groups):
            rg = md.row_group(i)
            st = rg.column(col).statistics
            if groups is not None and (st is None or not st.has_min_max or st.min != st.max):
                groups = None
            if groups is not None:
                groups.setdefault(st.min, []).append(i)
                rows[st.min] = rows.get(st.min, 0) + rg.num_rows
        if groups is None:  # not one practice per row group: count rows per practice the slow way
            t = pq.read_table(path, columns=["practice_code"])
            codes, n = pc.value_counts(t["practice_code"]).flatten()
            rows = dict(zip(codes.to_pylist(), n.to_pylist()))
        return cls(Path(path), groups, rows)

    def read(self, practices: list[str]) -> pa.Table:
        """The rows of ``practices`` only."""
        if self.groups is None:
            return pq.read_table(self.path, filters=[("practice_code", "in", sorted(practices))])
        wanted = sorted(i for p in practices for i in self.groups.get(p, ()))
        f = pq.ParquetFile(self.path)
        return f.read_row_groups(wanted) if wanted else f.schema_arrow.empty_table()


def chunks(layout: Layout, practices: list[str], max_patients: int) -> Iterator[list[str]]:
    """``practices`` in file order, in runs of at most ``max_patients`` patients (a practice larger
    than that is a chunk of its own); practices with no rows ride in the first chunk."""
    order = {p: n for n, p in enumerate(layout.rows)}
    present = sorted((p for p in dict.fromkeys(practices) if p in order), key=order.__getitem__)
    absent = [p for p in dict.fromkeys(practices) if p not in order]
    chunk, size = list(absent), 0
    for p in present:
        if size and size + layout.rows[p] > max_patients:
            yield chunk
            chunk, size = [], 0
        chunk.append(p)
        size += layout.rows[p]
    if chunk:
        yield chunk


def count_chunks(catalogue: Catalogue, request: ExtractionRequest, patients: Path, events: Path,
                 practices: list[str], max_patients: int = CHUNK_PATIENTS,
                 ) -> Iterator[tuple[dict[str, PracticeCounts], dict[str, dict[str, int]]]]:
    """(counts, target populations) of ``practices``, one chunk of at most ``max_patients``
    patients at a time: only that chunk's records are read (its row groups) and held."""
    spec = request.spec
    pl, el = Layout.of(patients), Layout.of(events)
    for chunk in chunks(pl, practices, max_patients):
        pts, evs = pl.read(chunk), el.read(chunk)
        counts = duckdb_engine.run(catalogue.rules, catalogue.clusters, pts, evs, practices=chunk)
        groups = targets.count_duckdb(spec.target_populations, pts, spec.list_size_date, chunk)
        del pts, evs
        yield counts, groups


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
