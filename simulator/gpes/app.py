"""GPES's HTTP face (FastAPI) over :class:`simulator.gpes.collect.Gpes`.

Suppliers submit extracts (each only for the practices it hosts); the GPES operator starts
collections and requests; the auditor reads. Every route but /health names the roles it admits."""

from __future__ import annotations

from contextlib import asynccontextmanager

from fastapi import FastAPI, Header, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict

from simulator.contracts import BatchAnswer, ExtractBatch, ExtractionRequest, ExtractionSpec, Receipt, extract_schema
from simulator.contracts.credentials import Principal
from simulator.contracts.headers import SHA_HEADER
from simulator.gpes.collect import Gpes
from simulator.web.auth import Auth, allow, install_auth
from simulator.web.body import BodyGuard, judge_batch
from simulator.web.errors import install_error_handlers, rejection
from simulator.web.openapi import EXTRACT_BODY, document_errors
from simulator.web.wiretap import install_wire_tap

BATCH_BYTES = 16 << 20  # 256 extracts of up to 64 KB each
OPERATOR = allow("gpes")
READERS = allow("gpes", "auditor")
SPEC_READERS = allow("supplier", "gpes", "auditor")
SUPPLIER = allow("supplier")


class NewRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    supplier: str
    practices: list[str] | None = None


def create_app(gpes: Gpes, auth: Auth, background: bool = True) -> FastAPI:
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
    install_auth(app, auth)
    app.add_middleware(BodyGuard, limits={"/extracts/batch": BATCH_BYTES})
    install_wire_tap(app, "gpes")

    @app.get("/health")
    def health():
        """Liveness and counts, for anyone (no credential: a world's supervisor asks it)."""
        return {"service": "gpes", "ok": True, **gpes.counts()}

    @app.get("/spec", response_model=ExtractionSpec, dependencies=[SPEC_READERS])
    def spec():
        return gpes.spec

    @app.get("/spec/schema", dependencies=[SPEC_READERS])
    def schema():
        """JSON Schema of the extract suppliers send for the published spec, generated from the contract."""
        return extract_schema(gpes.spec)

    @app.post("/requests", status_code=201, response_model=ExtractionRequest, dependencies=[OPERATOR])
    def new_request(body: NewRequest):
        return gpes.create_request(body.supplier, body.practices)

    @app.post("/collections", status_code=202, dependencies=[OPERATOR])
    def collect():
        """A collection: one extraction request per supplier, sent in the background (retried when a
        supplier fails or stalls). Follow it at GET /collections/{collection_id}."""
        return gpes.start_collection()

    @app.get("/collections", dependencies=[READERS])
    def collections():
        return gpes.collections()

    @app.get("/collections/{collection_id}", responses={404: {"description": "no such collection"}},
             dependencies=[READERS])
    def collection(collection_id: str):
        """Each request's status, and each practice's: requested, received, rejected (with the reasons),
        forwarded (awaiting CQRS, with the last failure), acknowledged, refused by CQRS, not collected."""
        c = gpes.collection(collection_id)
        return c if c is not None else rejection(404, "collection_id", f"no collection {collection_id}")

    @app.post("/extracts", status_code=201, response_model=Receipt,
              responses={200: {"description": "already received: the first receipt", "model": Receipt},
                         409: {"description": "this extract_id was received with other content"}},
              openapi_extra=EXTRACT_BODY)
    async def receive(request: Request, who: Principal = SUPPLIER,
                      checksum: str = Header(alias=SHA_HEADER, description="hex SHA-256 of the body",
                                             pattern=r"^[0-9a-f]{64}$")):
        """One extract from a supplier, for a practice it hosts (403 otherwise; nothing stored)."""
        body = await request.body()
        receipt, created = await run_in_threadpool(gpes.receive, body, checksum, who.supplier)
        return JSONResponse(receipt.model_dump(mode="json"), status_code=201 if created else 200)

    @app.post("/extracts/batch", response_model=BatchAnswer,
              responses={422: {"description": "the batch itself is malformed"}})
    async def receive_many(body: ExtractBatch, who: Principal = SUPPLIER):
        """Several extracts from a supplier in one request, each its exact text and SHA-256 (up to 256):
        each is judged as ``POST /extracts`` judges one and answered in order (201 stored, 200 a resend
        of the same bytes, 403 a practice the supplier does not host, 409 the id with other content,
        422 refused with the reasons). Every 201 is stored before the answer. For suppliers sending
        many practices: the request's cost is paid once."""
        items = [(item.body.encode(), item.sha256) for item in body.extracts]
        results = await run_in_threadpool(judge_batch, items, lambda rest: gpes.receive_many(rest, who.supplier))
        return JSONResponse({"results": results})

    @app.post("/forwarding/retry", dependencies=[OPERATOR])
    def retry():
        """Every extract CQRS has not acknowledged is made due now; the forwarder sends them."""
        return {"pending": gpes.retry_forwarding()}

    @app.get("/requests", dependencies=[READERS])
    def requests_status(collection_id: str | None = None):
        """Every extraction request with its status (requested, dispatched, failed and why)."""
        return gpes.requests_status(collection_id)

    @app.get("/receipts", dependencies=[READERS])
    def receipts(request_id: list[str] = Query(default=[])):
        return gpes.receipts(request_id or None)

    document_errors(app)
    return app
