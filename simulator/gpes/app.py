"""GPES's HTTP face (FastAPI) over :class:`simulator.gpes.collect.Gpes`."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict

from simulator.contracts import Extract, ExtractionRequest, ExtractionSpec
from simulator.gpes.collect import Gpes
from simulator.web.errors import install_error_handlers


class NewRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    supplier: str
    practices: list[str] | None = None


def create_app(gpes: Gpes) -> FastAPI:
    app = FastAPI(title="qofsim GPES", version="1")
    install_error_handlers(app)

    @app.get("/health")
    def health():
        return {"service": "gpes", "ok": True}

    @app.get("/spec", response_model=ExtractionSpec)
    def spec():
        return gpes.spec

    @app.get("/spec/schema")
    def schema():
        """JSON Schema of the extract suppliers send, generated from the contract."""
        return Extract.model_json_schema()

    @app.post("/requests", status_code=201, response_model=ExtractionRequest)
    def new_request(body: NewRequest):
        return gpes.create_request(body.supplier, body.practices)

    @app.post("/collections")
    def collect():
        return {"runs": [r.model_dump(mode="json") for r in gpes.collect()]}

    @app.post("/extracts", status_code=201, responses={200: {"description": "already received: the first receipt"}})
    async def receive(request: Request):
        body = await request.body()
        receipt, created = await run_in_threadpool(gpes.receive, body)
        return JSONResponse(receipt.model_dump(mode="json"), status_code=201 if created else 200)

    @app.post("/forwarding/retry")
    def retry():
        return {"forwarded": gpes.retry_forwarding()}

    @app.get("/requests")
    def requests_status():
        """Every extraction request with its status (requested, completed, failed and why)."""
        return gpes.requests_status()

    @app.get("/receipts")
    def receipts():
        return gpes.receipts()

    return app
