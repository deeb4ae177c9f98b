"""A supplier's HTTP face (FastAPI): GPES sends extraction requests here; they are answered at once."""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager

from fastapi import FastAPI, Query
from fastapi.concurrency import run_in_threadpool

from simulator.contracts import ExtractionJob, ExtractionRequest
from simulator.supplier.service import RequestRefused, Supplier
from simulator.web.errors import install_error_handlers, rejection


def create_app(supplier: Supplier, background: bool = True) -> FastAPI:
    @asynccontextmanager
    async def lifespan(_: FastAPI):
        if background:
            supplier.start()
        yield
        if background:
            supplier.stop()

    app = FastAPI(title=f"qofsim supplier {supplier.name}", version="1", lifespan=lifespan)
    install_error_handlers(app)

    @app.get("/health")
    def health():
        jobs = supplier.jobs()
        return {"service": f"supplier-{supplier.name}", "ok": True, "practices": len(supplier.practices),
                "jobs": len(jobs), "jobs_open": sum(1 for j in jobs if j["status"] in ("accepted", "running"))}

    @app.post("/extraction-requests", status_code=202, response_model=ExtractionJob,
              responses={422: {"description": "not this supplier's request, practices or GPES"},
                         503: {"description": "the supplier's personality says fail this call"}})
    async def extraction(request: ExtractionRequest):
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

    @app.get("/jobs", response_model=list[ExtractionJob])
    def jobs():
        return supplier.jobs()

    @app.get("/jobs/{job_id}", response_model=ExtractionJob, responses={404: {"description": "no such job"}})
    def job(job_id: str):
        j = supplier.job(job_id)
        return j if j is not None else rejection(404, "job_id", f"no job {job_id}")

    @app.get("/outbox")
    def outbox(request_id: list[str] = Query(default=[])):
        """What left this supplier: extract id, practice, checksum, GPES's answer and the exact body."""
        return supplier.outbox(request_id or None)

    return app
