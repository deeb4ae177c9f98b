"""GPES's HTTP face (FastAPI) over :class:`simulator.gpes.collect.Gpes`."""

from __future__ import annotations

from contextlib import asynccontextmanager

from fastapi import FastAPI, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict

from simulator.contracts import BatchAnswer, ExtractBatch, ExtractionRequest, ExtractionSpec, extract_schema
from simulator.gpes.collect import Gpes
from simulator.web.errors import install_error_handlers, rejection


class NewRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    supplier: str
    practices: list[str] | None = None


def create_app(gpes: Gpes, background: bool = True) -> FastAPI:
    """``background``: run the dispatcher and the forwarder in this process (off only in unit tests
    that step them by hand)."""

    @asynccontextmanager
    async def lifespan(_: FastAPI):
        if background:
            gpes.start()
        yield
        if background:
            gpes.stop()

    app = FastAPI(title="qofsim GPES", version="1", lifespan=lifespan)
    install_error_handlers(app)

    @app.get("/health")
    def health():
        return {"service": "gpes", "ok": True, **gpes.counts()}

    @app.get("/spec", response_model=ExtractionSpec)
    def spec():
        return gpes.spec

    @app.get("/spec/schema")
    def schema():
        """JSON Schema of the extract suppliers send for the published spec, generated from the contract."""
        return extract_schema(gpes.spec)

    @app.post("/requests", status_code=201, response_model=ExtractionRequest)
    def new_request(body: NewRequest):
        return gpes.create_request(body.supplier, body.practices)

    @app.post("/collections", status_code=202)
    def collect():
        """A collection: one extraction request per supplier, sent in the background (retried when a
        supplier fails or stalls). Follow it at GET /collections/{collection_id}."""
        return gpes.start_collection()

    @app.get("/collections")
    def collections():
        return gpes.collections()

    @app.get("/collections/{collection_id}", responses={404: {"description": "no such collection"}})
    def collection(collection_id: str):
        """Each request's status, and each practice's: requested, received, rejected (with the reasons),
        forwarded (awaiting CQRS, with the last failure), acknowledged, refused by CQRS, not collected."""
        c = gpes.collection(collection_id)
        return c if c is not None else rejection(404, "collection_id", f"no collection {collection_id}")

    @app.post("/extracts", status_code=201, responses={200: {"description": "already received: the first receipt"}})
    async def receive(request: Request):
        body = await request.body()
        receipt, created = await run_in_threadpool(gpes.receive, body)
        return JSONResponse(receipt.model_dump(mode="json"), status_code=201 if created else 200)

    @app.post("/extracts/batch", response_model=BatchAnswer,
              responses={422: {"description": "the batch itself is malformed"}})
    async def receive_many(body: ExtractBatch):
        """Several extracts from a supplier in one request, each its exact text and SHA-256 (up to 256):
        each is judged as ``POST /extracts`` judges one and answered in order (201 stored, 200 a resend
        of the same bytes, 409 the id with other content, 422 refused with the reasons). Every 201 is
        stored before the answer. For suppliers sending many practices: the request's cost is paid once."""
        items = [(item.body.encode(), item.sha256) for item in body.extracts]
        return JSONResponse({"results": await run_in_threadpool(gpes.receive_many, items)})

    @app.post("/forwarding/retry")
    def retry():
        """Every extract CQRS has not acknowledged is made due now; the forwarder sends them."""
        return {"pending": gpes.retry_forwarding()}

    @app.get("/requests")
    def requests_status(collection_id: str | None = None):
        """Every extraction request with its status (requested, dispatched, failed and why)."""
        return gpes.requests_status(collection_id)

    @app.get("/receipts")
    def receipts(request_id: list[str] = Query(default=[])):
        return gpes.receipts(request_id or None)

    return app
