"""``qofsim conform extract``: qofsim's own supplier over an exported population, so a supplier sees
what right extracts look like (and the kit has a known-good run to check itself against).

Each supplier reads *its own tables* (``supplier/<SUPPLIER>/``) through its backend, as it would in
its own system, runs the supplier's engine and writes one extract per practice, the exact bytes it
would post to GPES.
"""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from simulator.conform.export import load_spec
from simulator.contracts import ExtractionRequest
from simulator.qof.catalogue import Catalogue
from simulator.qof.engines import seam
from simulator.qof.rules import RuleSet
from simulator.supplier.backends import backend
from simulator.supplier.extract import build_extract

SUBMIT_TO = "http://127.0.0.1:9/extracts"  # written to files, never posted


def manifest(population: Path) -> dict:
    path = Path(population) / "manifest.json"
    if not path.is_file():
        raise FileNotFoundError(f"{population}: no manifest.json (make one with `qofsim conform export --out DIR`)")
    return json.loads(path.read_text())


def ruleset_for(catalogue: Catalogue, population: Path) -> RuleSet:
    """The rules the population was exported for (all of them, or the subset it names)."""
    m = manifest(population)
    ids = m["indicators"]
    return catalogue.rules if set(ids) >= set(catalogue.extracted_ids()) else catalogue.rules.subset(ids)


def supplier_records(population: Path, supplier: str) -> tuple[pa.Table, pa.Table]:
    """A supplier's own tables read back into the neutral model through its backend."""
    folder = Path(population) / "supplier" / supplier
    b = backend(supplier)
    return b.to_neutral({name: pq.read_table(folder / f"{name}.parquet") for name in b.tables})


def request_for(population: Path, supplier: str) -> ExtractionRequest:
    m = manifest(population)
    return ExtractionRequest(request_id=f"conform-{supplier}", supplier=supplier, spec=load_spec(population),
                             practices=tuple(m["suppliers"][supplier]), submit_to=SUBMIT_TO)


def run(catalogue: Catalogue, population: Path, out: Path, engine: str = "duckdb") -> list[Path]:
    """Write ``out/<practice>.json`` for every practice of the population; returns the paths."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    rules = ruleset_for(catalogue, population)
    written = []
    for supplier, practices in manifest(population)["suppliers"].items():
        if not practices:
            continue
        request = request_for(population, supplier)
        patients, events = supplier_records(population, supplier)
        result = seam.count(engine, rules, catalogue.clusters, seam.Records(patients, events, tuple(practices)),
                            request.spec.target_populations, request.spec.list_size_date)
        for code in practices:
            x = build_extract(request, result.counts[code], target_populations=result.target_populations.get(code, {}))
            path = out / f"{code}.json"
            path.write_bytes(x.canonical_bytes())
            written.append(path)
    return written
