"""A supplier's HTTP face (FastAPI): GPES sends extraction requests here."""

from __future__ import annotations

from fastapi import FastAPI

from simulator.contracts import ExtractionRequest, ExtractionRun
from simulator.supplier.service import Supplier
from simulator.web.errors import install_error_handlers, rejection


def create_app(supplier: Supplier) -> FastAPI:
    app = FastAPI(title=f"qofsim supplier {supplier.name}", version="1")
    install_error_handlers(app)

    @app.get("/health")
    def health():
        return {"service": f"supplier-{supplier.name}", "ok": True, "practices": len(supplier.practices)}

    @app.post("/extraction-requests", response_model=ExtractionRun)
    def extraction(request: ExtractionRequest):
        if request.supplier != supplier.name:
            return rejection(422, "supplier", f"this is {supplier.name}, not {request.supplier}")
        try:
            return supplier.run(request)
        except ValueError as exc:
            return rejection(422, "practices", str(exc))

    @app.get("/outbox")
    def outbox():
        """What left this supplier: extract id, practice, checksum, status and the exact body."""
        return supplier.outbox()

    return app
