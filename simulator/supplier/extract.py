"""A supplier's extraction: run the spec's rules over its own practices, aggregate, build extracts.

Only counts leave: the engine returns per-practice totals, and the Extract contract has no
field a patient identifier could ride in.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pyarrow.compute as pc
import pyarrow.parquet as pq

from simulator.contracts import Extract, ExtractionRequest, IndicatorCount
from simulator.qof import targets
from simulator.qof.catalogue import Catalogue
from simulator.qof.engines import PracticeCounts
from simulator.qof.engines import seam

EXTRACT_NS = uuid.UUID("6b1d7f0e-2f0c-4d0e-9a51-0f0a20121303")


# Practices' records read and counted at once: bounds a supplier's memory whatever its size
# (a supplier process peaks ~550 MiB counting 250,000 patients, ~480 at 200,000, ~600 at 300,000;
# EMIS hosts ~31 M in a national run, and four suppliers count at once). Each chunk costs
# ~0.4 s of CPU more than counting its patients with the next chunk's.
CHUNK_PATIENTS = 250_000


def count(catalogue: Catalogue, patients: Path, events: Path, practices: list[str]) -> dict[str, PracticeCounts]:
    """Counts for ``practices``, over the whole files at once (see :func:`count_chunks` for a
    supplier's partition of any size)."""
    return seam.count("duckdb", catalogue.rules, catalogue.clusters,
                      seam.Records(str(patients), str(events), tuple(practices))).counts


@dataclass(frozen=True)
class Layout:
    """How many rows each practice has in a Parquet file, in file order (the generator writes one
    row group per practice, in practice order: read from the file's metadata alone)."""

    path: Path
    rows: dict[str, int]

    @classmethod
    def of(cls, path: Path) -> "Layout":
        md = pq.ParquetFile(path).metadata
        col = md.schema.names.index("practice_code")
        rows: dict[str, int] = {}
        for i in range(md.num_row_groups):
            rg = md.row_group(i)
            st = rg.column(col).statistics
            if st is None or not st.has_min_max or st.min != st.max:  # row groups mix practices: count them
                codes = pq.read_table(path, columns=["practice_code"])["practice_code"]
                first = pc.unique(codes).to_pylist()  # in order of first appearance
                counts = dict(zip(*(x.to_pylist() for x in pc.value_counts(codes).flatten())))
                return cls(Path(path), {c: counts[c] for c in first})
            rows[st.min] = rows.get(st.min, 0) + rg.num_rows
        return cls(Path(path), rows)


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
    patients at a time. DuckDB reads only the chunk's row groups (a chunk is a run of practices in
    file order, so the practice filter it pushes into the Parquet scan skips every other row group
    by its statistics), and only that chunk's records are held."""
    spec = request.spec
    for chunk in chunks(Layout.of(patients), practices, max_patients):
        r = seam.count("duckdb", catalogue.rules, catalogue.clusters, seam.Records(str(patients), str(events), tuple(chunk)),
                       spec.target_populations, spec.list_size_date)
        yield r.counts, r.target_populations


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
