"""A supplier's HTTP face (FastAPI): GPES sends extraction requests here; they are answered at once."""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager

from fastapi import FastAPI, Query
from fastapi.concurrency import run_in_threadpool

from simulator.contracts import ExtractionJob, ExtractionRequest
from simulator.contracts.credentials import Principal
from simulator.supplier.service import RequestRefused, Supplier
from simulator.web.auth import Auth, allow, install_auth, own_supplier
from simulator.web.body import BodyGuard
from simulator.web.errors import install_error_handlers, rejection
from simulator.web.openapi import document_errors
from simulator.web.wiretap import install_wire_tap

GPES = allow("gpes")
READERS = allow("supplier", "gpes", "auditor")


def create_app(supplier: Supplier, auth: Auth, background: bool = True) -> FastAPI:
    """Only GPES asks for extracts; the supplier itself, GPES and the auditor read its jobs and outbox."""
    @asynccontextmanager
    async def lifespan(_: FastAPI):
        if background:
            supplier.start()
        yield
        if background:
            supplier.stop()

    app = FastAPI(title=f"qofsim supplier {supplier.name}", version="1", lifespan=lifespan)
    install_error_handlers(app)
    install_auth(app, auth)
    app.add_middleware(BodyGuard)
    install_wire_tap(app, "supplier")

    @app.get("/health")
    def health():
        """Liveness and counts, for anyone (no credential: a world's supervisor asks it)."""
        jobs = supplier.jobs()
        return {"service": f"supplier-{supplier.name}", "ok": True, "practices": len(supplier.practices),
                "jobs": len(jobs), "jobs_open": sum(1 for j in jobs if j["status"] in ("accepted", "running"))}

    @app.post("/extraction-requests", status_code=202, response_model=ExtractionJob,
              responses={422: {"description": "not this supplier's request, practices or GPES"},
                         503: {"description": "the supplier's personality says fail this call"}})
    async def extraction(request: ExtractionRequest, _: Principal = GPES):
        """Accepted at once with a job id; the extracts follow, each submitted to GPES."""
        p = supplier.personality
        mood = supplier.gate.next_call()
        if p.latency_ms:
            await asyncio.sleep(p.latency_ms / 1000)
        if mood == "stall":
            await asyncio.sleep(p.stall_s)
        if mood == "error":
            return rejection(503, "supplier", f"{supplier.name} is unavailable (simulated: error_rate {p.error_rate})")
        try:
            return await run_in_threadpool(supplier.accept, request)
        except RequestRefused as exc:
            return rejection(422, exc.field, exc.reason)

    def mine(who: Principal) -> None:
        own_supplier(who, supplier.name)

    @app.get("/jobs", response_model=list[ExtractionJob])
    def jobs(who: Principal = READERS):
        mine(who)
        return supplier.jobs()

    @app.get("/jobs/{job_id}", response_model=ExtractionJob, responses={404: {"description": "no such job"}})
    def job(job_id: str, who: Principal = READERS):
        mine(who)
        j = supplier.job(job_id)
        return j if j is not None else rejection(404, "job_id", f"no job {job_id}")

    @app.get("/outbox")
    def outbox(request_id: list[str] = Query(default=[]), who: Principal = READERS):
        """What left this supplier: extract id, practice, checksum, GPES's answer and the exact body."""
        mine(who)
        return supplier.outbox(request_id or None)

    document_errors(app)
    return app
