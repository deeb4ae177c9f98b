"""Assemble the simulated world: CQRS, GPES and one server per supplier, all on loopback."""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from simulator import db
from simulator.cqrs import app as cqrs_app
from simulator.cqrs.service import Cqrs
from simulator.gpes import app as gpes_app
from simulator.gpes.collect import Gpes
from simulator.gpes.spec import build_spec
from simulator.population.schema import SUPPLIERS
from simulator.qof.catalogue import Catalogue
from simulator.services import Served, free_socket, serve, stop
from simulator.supplier import app as supplier_app
from simulator.supplier.faults import Faults
from simulator.supplier.service import Supplier
from simulator.transport.http import CqrsClient, GpesClient, SupplierClient


@dataclass
class World:
    run_dir: Path
    database_url: str
    gpes: Gpes
    cqrs: Cqrs
    suppliers: dict[str, Supplier]
    served: dict[str, Served] = field(default_factory=dict)

    @property
    def urls(self) -> dict[str, str]:
        return {k: v.url for k, v in self.served.items()}

    def gpes_client(self) -> GpesClient:
        return GpesClient(self.served["gpes"].url)

    def cqrs_client(self) -> CqrsClient:
        return CqrsClient(self.served["cqrs"].url)

    def supplier_client(self, name: str) -> SupplierClient:
        return SupplierClient(self.served[f"supplier-{name}"].url)


@contextmanager
def world(catalogue: Catalogue, practices: list[dict], partitions: dict[str, tuple[Path, Path]], run_dir: Path,
          faults: list[dict] | None = None, database_url: str | None = None) -> Iterator[World]:
    """Start every service; stop them all on exit.

    ``practices``: rows with practice_code, supplier, ccg_code. ``partitions``: supplier ->
    (patients.parquet, events.parquet) holding only that supplier's practices.
    """
    run_dir.mkdir(parents=True, exist_ok=True)
    url = database_url or db.database_url(run_dir)
    sessions = db.sessions(url)
    practice_supplier = {p["practice_code"]: p["supplier"] for p in practices}
    commissioner_of = {p["practice_code"]: p["ccg_code"] for p in practices}
    fault_items = list(faults or [])
    served: list[Served] = []
    try:
        cqrs = Cqrs(sessions, catalogue, commissioner_of, run_dir / "payments")
        served.append(serve("cqrs", cqrs_app.create_app(cqrs)))
        suppliers: dict[str, Supplier] = {}
        for name in SUPPLIERS:
            own = sorted(p for p, s in practice_supplier.items() if s == name)
            if not own:
                continue
            mine = Faults.from_list([f for f in fault_items if practice_supplier.get(f["practice"]) == name])
            pat, ev = partitions[name]
            suppliers[name] = Supplier(name, catalogue, pat, ev, own, run_dir / f"outbox-{name}.jsonl", mine)
            served.append(serve(f"supplier-{name}", supplier_app.create_app(suppliers[name])))
        sock = free_socket()
        gpes = Gpes(sessions, build_spec(catalogue), practice_supplier,
                    public_url=f"http://127.0.0.1:{sock.getsockname()[1]}",
                    suppliers={n: SupplierClient(s.url) for n, s in zip(suppliers, served[1:])},
                    cqrs=CqrsClient(served[0].url))
        served.append(serve("gpes", gpes_app.create_app(gpes), sock=sock))
        yield World(run_dir, url, gpes, cqrs, suppliers, {s.name: s for s in served})
    finally:
        for s in reversed(served):
            stop(s)
