"""CQRS's HTTP face (FastAPI) over :class:`simulator.cqrs.service.Cqrs`."""

from __future__ import annotations

from fastapi import FastAPI, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from simulator.contracts import (AchievementSummary, BatchAnswer, ApprovalDecision, BulkApprovals, BulkDeclarations, BulkManualEntries,
                                 BulkResult, Declaration, ExtractBatch, ManualEntries, ManualEntryResult,
                                 PaymentRun, PracticeAchievement, StoredManualEntry)
from simulator.contracts.headers import SHA_HEADER
from simulator.cqrs.manual import EntryInvalid
from simulator.cqrs.service import PAGE, Cqrs

MAX_PAGE = 2000
from simulator.cqrs.workflow import RequestInvalid, WorkflowError
from simulator.web.errors import install_error_handlers, rejection


def create_app(cqrs: Cqrs) -> FastAPI:
    app = FastAPI(title="qofsim CQRS", version="1")
    install_error_handlers(app)

    @app.exception_handler(WorkflowError)
    async def _wf(_: Request, exc: WorkflowError):
        return rejection(exc.status, exc.field, exc.reason)

    @app.exception_handler(EntryInvalid)
    @app.exception_handler(RequestInvalid)
    async def _entry(_: Request, exc: EntryInvalid | RequestInvalid):
        return JSONResponse(status_code=422, content={"detail": [e.model_dump() for e in exc.errors]})

    @app.get("/health")
    def health():
        return {"service": "cqrs", "ok": True, **cqrs.counts()}

    @app.post("/extracts", status_code=201, responses={200: {"description": "already stored: the first receipt"}})
    async def receive(request: Request):
        body = await request.body()
        receipt, created = await run_in_threadpool(cqrs.ingest, body, request.headers.get(SHA_HEADER))
        return JSONResponse(receipt.model_dump(mode="json"), status_code=201 if created else 200)

    @app.post("/extracts/batch", response_model=BatchAnswer,
              responses={422: {"description": "the batch itself is malformed"}})
    async def receive_many(body: ExtractBatch):
        """Several extracts in one request, each with its exact text and checksum (GPES's outbox sends
        them so); each is judged as ``POST /extracts`` judges one, and answered in order."""
        items = [(item.body.encode(), item.sha256) for item in body.extracts]
        return JSONResponse({"results": await run_in_threadpool(cqrs.ingest_many, items)})

    @app.get("/extracts")
    def extracts(request_id: list[str] = Query(default=[])):
        """Stored extracts (``request_id``, repeatable: only those answering these requests)."""
        return cqrs.extracts(request_id or None)

    @app.get("/extracts/{extract_id}/body")
    def extract_body(extract_id: str):
        body = cqrs.extract_body(extract_id)
        if body is None:
            return rejection(404, "extract_id", f"no extract {extract_id}")
        return Response(body, media_type="application/json")

    ndjson = {200: {"content": {"application/x-ndjson": {}},
                    "description": "one JSON document a line, in key order after ``after``; fewer than "
                                   "``limit`` lines: the last page"}}

    def lines(docs: list[bytes]) -> Response:
        return Response(b"".join(d + b"\n" for d in docs), media_type="application/x-ndjson")

    @app.get("/extract-bodies", responses=ndjson)
    def extract_bodies(request_id: list[str] = Query(default=[]), after: str = "",
                       limit: int = Query(PAGE, ge=1, le=MAX_PAGE)):
        """{extract_id, sha256, body} per stored extract (``body`` the stored bytes, as text), by extract id."""
        return lines(cqrs.extract_bodies_page(request_id or None, after, limit))

    @app.get("/achievements", responses=ndjson)
    def achievements(after: str = "", limit: int = Query(PAGE, ge=1, le=MAX_PAGE)):
        """Every calculated record (PracticeAchievement), by practice code."""
        return lines(cqrs.achievements_page(after, limit))

    @app.get("/workflow", responses=ndjson)
    def workflow_all(after: str = "", limit: int = Query(PAGE, ge=1, le=MAX_PAGE)):
        """{practice_code, state, extract_id, history: [{at, from, to, why}]} per practice record, by practice code."""
        return lines(cqrs.workflow_page(after, limit))

    @app.get("/manual-entries", responses=ndjson)
    def manual_entries_all(after: str = "", limit: int = Query(PAGE, ge=1, le=MAX_PAGE)):
        """{practice_code, entries} per practice that entered any, by practice code."""
        return lines(cqrs.manual_entries_page(after, limit))

    @app.post("/calculations")
    def calculate():
        return cqrs.calculate()

    @app.get("/practices/{practice_code}/achievement", response_model=PracticeAchievement)
    def achievement(practice_code: str):
        return cqrs.achievement(practice_code)

    @app.get("/practices/{practice_code}/achievement/summary", response_model=AchievementSummary)
    def summary(practice_code: str):
        return cqrs.summary(practice_code)

    @app.post("/practices/{practice_code}/manual-entries", response_model=ManualEntryResult,
              responses={404: {"description": "unknown practice"},
                         409: {"description": "entry window closed, no extract yet, or record approved"},
                         422: {"description": "a bad entry, naming its field; nothing stored"}})
    def enter_manual(practice_code: str, body: ManualEntries):
        """Yes/no: {ind_code, achieved}; manual percentage: {ind_code, numerator, denominator}."""
        return cqrs.enter_manual(practice_code, body)

    @app.get("/practices/{practice_code}/manual-entries", response_model=list[StoredManualEntry])
    def manual_entries(practice_code: str):
        return cqrs.manual_entries(practice_code)

    @app.post("/practices/{practice_code}/declaration")
    def declare(practice_code: str, body: Declaration):
        return {"practice_code": practice_code, "state": cqrs.declare(practice_code, body.declared_by)}

    @app.post("/practices/{practice_code}/approval")
    def decide(practice_code: str, body: ApprovalDecision):
        return {"practice_code": practice_code,
                "state": cqrs.decide(practice_code, body.approver, body.decision, body.reason)}

    bulk_doc = ("Each practice is checked on its own, by the rules and with the errors of the one-practice endpoint, "
                "and answered in ``results`` (``status``, ``outcome`` done / unchanged / refused, ``detail``); a "
                "practice refused stores nothing and stops no other. 422 (nothing stored): a malformed request or "
                "a practice given twice.")

    @app.post("/manual-entries", response_model=BulkResult, description=bulk_doc)
    def enter_manual_many(body: BulkManualEntries):
        """Many practices' manual entries: {practices: [{practice_code, entered_by, entries}, ...]}."""
        return cqrs.enter_manual_many(body)

    @app.post("/declarations", response_model=BulkResult, description=bulk_doc)
    def declare_many(body: BulkDeclarations):
        """Many practices declare: {declarations: [{practice_code, declared_by}, ...]}."""
        return cqrs.declare_many(body)

    @app.post("/approvals", response_model=BulkResult, description=bulk_doc)
    def decide_many(body: BulkApprovals):
        """Commissioners approve or reject many records: {approvals: [{practice_code, approver, decision, reason}, ...]}."""
        return cqrs.decide_many(body)

    @app.post("/payment-runs", status_code=201, response_model=PaymentRun)
    def payment_run():
        return cqrs.payment_run()

    return app
