"""CQRS's HTTP face (FastAPI) over :class:`simulator.cqrs.service.Cqrs`.

Every route but /health names the roles it admits (``allow``); practice routes check the caller owns
the practice (a practice itself, a commissioner its CCG's). Every state change is written to the
audit log with the caller's role and identity, taken from its credential."""

from __future__ import annotations

from contextlib import asynccontextmanager

from fastapi import FastAPI, Header, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from simulator.contracts import (AchievementSummary, BatchAnswer, ApprovalDecision, BulkApprovals, BulkDeclarations, BulkManualEntries,
                                 BulkResult, Declaration, ExtractBatch, ManualEntries, ManualEntryResult,
                                 PaymentRun, PracticeAchievement, Receipt, StoredManualEntry)
from simulator.contracts.credentials import Principal
from simulator.contracts.headers import SHA_HEADER
from simulator.cqrs import audit
from simulator.cqrs.manual import EntryInvalid
from simulator.cqrs.service import PAGE, Cqrs
from simulator.cqrs.workflow import RequestInvalid, WorkflowError
from simulator.web.auth import Auth, Refused, allow, install_auth, own_practice
from simulator.web.body import BodyGuard, judge_batch
from simulator.web.errors import install_error_handlers, rejection
from simulator.web.openapi import EXTRACT_BODY, document_errors
from simulator.web.wiretap import install_wire_tap

MAX_PAGE = 2000
BATCH_BYTES = 16 << 20  # 256 extracts of up to 64 KB each
BULK_BYTES = 16 << 20  # 2,000 practices' manual entries

GPES = allow("gpes")
READERS = allow("gpes", "auditor")
FINANCE = allow("finance")
ALL_RECORDS = allow("finance", "auditor")
PRACTICE_VIEW = allow("practice", "commissioner", "finance", "auditor")
PRACTICE = allow("practice")
COMMISSIONER = allow("commissioner")
AUDITOR = allow("auditor")


def create_app(cqrs: Cqrs, auth: Auth) -> FastAPI:
    @asynccontextmanager
    async def lifespan(_: FastAPI):
        """The process's background workers (the MESH inbox poller, when extracts come over MESH)."""
        for worker in cqrs.workers:
            worker.start()
        yield
        for worker in cqrs.workers:
            worker.stop()

    app = FastAPI(title="qofsim CQRS", version="1", lifespan=lifespan)
    install_error_handlers(app)
    install_auth(app, auth)
    app.add_middleware(BodyGuard, limits={"/extracts/batch": BATCH_BYTES, "/manual-entries": BULK_BYTES,
                                          "/declarations": BULK_BYTES, "/approvals": BULK_BYTES})
    install_wire_tap(app, "cqrs")
    ccg_of = cqrs.commissioner_of
    service, when = cqrs.config.quality_service, cqrs.catalogue.parameters.achievement_date

    def owns(who: Principal, codes, field: str) -> None:
        for n, code in enumerate(codes):
            own_practice(who, code, ccg_of, field.format(n=n))

    def log_states(who: Principal, action: str, before: dict[str, str], outcomes, extra=None) -> None:
        audit.record(cqrs.sessions, who, action,
                     ((o.practice_code, {"state": before.get(o.practice_code)},
                       {"state": o.state, **((extra or {}).get(o.practice_code) or {})})
                      for o in outcomes if o.outcome == "done"))

    def log_manual(who: Principal, before: dict, given: dict[str, list], outcomes) -> None:
        rows = []
        for o in outcomes:
            if o.outcome != "done":
                continue
            old = before.get(o.practice_code, {})
            new = {audit.ind_code(e): audit.entry_value(e) for e in given[o.practice_code]}
            changed = sorted(i for i in new if old.get(i) != new[i])
            rows.append((o.practice_code, {i: old.get(i) for i in changed}, {i: new[i] for i in changed}))
        audit.record(cqrs.sessions, who, "manual entry", rows)

    @app.exception_handler(WorkflowError)
    async def _wf(_: Request, exc: WorkflowError):
        return rejection(exc.status, exc.field, exc.reason)

    @app.exception_handler(EntryInvalid)
    @app.exception_handler(RequestInvalid)
    async def _entry(_: Request, exc: EntryInvalid | RequestInvalid):
        return JSONResponse(status_code=422, content={"detail": [e.model_dump() for e in exc.errors]})

    @app.get("/health")
    def health():
        """Liveness and counts, for anyone (no credential: a world's supervisor asks it)."""
        return {"service": "cqrs", "ok": True, **cqrs.counts()}

    @app.post("/extracts", status_code=201, response_model=Receipt,
              responses={200: {"description": "already stored: the first receipt", "model": Receipt},
                         409: {"description": "this extract_id was stored with other content"}},
              openapi_extra=EXTRACT_BODY)
    async def receive(request: Request, who: Principal = GPES,
                      checksum: str = Header(alias=SHA_HEADER, description="hex SHA-256 of the body",
                                             pattern=r"^[0-9a-f]{64}$")):
        """One extract, forwarded by GPES (only GPES: an extract id is GPES's to give)."""
        body = await request.body()
        receipt, created = await run_in_threadpool(cqrs.ingest, body, checksum)
        if created:
            await run_in_threadpool(audit.record, cqrs.sessions, who, "extract stored",
                                    [(receipt.practice_code, None, {"extract_id": receipt.extract_id,
                                                                    "sha256": receipt.sha256})])
        return JSONResponse(receipt.model_dump(mode="json"), status_code=201 if created else 200)

    @app.post("/extracts/batch", response_model=BatchAnswer,
              responses={422: {"description": "the batch itself is malformed"}})
    async def receive_many(body: ExtractBatch, who: Principal = GPES):
        """Several extracts in one request, each with its exact text and checksum (GPES's outbox sends
        them so); each is judged as ``POST /extracts`` judges one, the body guard's checks first (a body
        with duplicate keys or NaN is refused naming ``extracts[n].body``, the others stand), and
        answered in order."""
        items = [(item.body.encode(), item.sha256) for item in body.extracts]
        results = await run_in_threadpool(judge_batch, items, cqrs.ingest_many)
        stored = [(r["practice_code"], None, {"extract_id": r["extract_id"], "sha256": r["sha256"]})
                  for r in results if r["status"] == 201]
        if stored:
            await run_in_threadpool(audit.record, cqrs.sessions, who, "extract stored", stored)
        return JSONResponse({"results": [{k: r.get(k) for k in ("status", "extract_id", "detail")} for r in results]})

    @app.get("/extracts", dependencies=[READERS])
    def extracts(request_id: list[str] = Query(default=[])):
        """Stored extracts (``request_id``, repeatable: only those answering these requests)."""
        return cqrs.extracts(request_id or None)

    @app.get("/extracts/{extract_id}/body", dependencies=[READERS], responses={404: {"description": "no such extract"}})
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

    @app.get("/extract-bodies", responses=ndjson, dependencies=[READERS])
    def extract_bodies(request_id: list[str] = Query(default=[]), after: str = "",
                       limit: int = Query(PAGE, ge=1, le=MAX_PAGE)):
        """{extract_id, sha256, body} per stored extract (``body`` the stored bytes, as text), by extract id."""
        return lines(cqrs.extract_bodies_page(request_id or None, after, limit))

    @app.get("/achievements", responses=ndjson, dependencies=[ALL_RECORDS])
    def achievements(after: str = "", limit: int = Query(PAGE, ge=1, le=MAX_PAGE)):
        """Every calculated record (PracticeAchievement), by practice code."""
        return lines(cqrs.achievements_page(after, limit))

    @app.get("/workflow", responses=ndjson, dependencies=[ALL_RECORDS])
    def workflow_all(after: str = "", limit: int = Query(PAGE, ge=1, le=MAX_PAGE)):
        """{practice_code, state, extract_id, history: [{at, from, to, why}]} per practice record, by practice code."""
        return lines(cqrs.workflow_page(after, limit))

    @app.get("/manual-entries", responses=ndjson, dependencies=[ALL_RECORDS])
    def manual_entries_all(after: str = "", limit: int = Query(PAGE, ge=1, le=MAX_PAGE)):
        """{practice_code, entries} per practice that entered any, by practice code."""
        return lines(cqrs.manual_entries_page(after, limit))

    @app.post("/calculations")
    def calculate(who: Principal = FINANCE):
        result = cqrs.calculate()
        audit.record(cqrs.sessions, who, "calculation", [(None, None, {"calculated": result.get("calculated")})])
        return result

    @app.get("/practices/{practice_code}/achievement", response_model=PracticeAchievement)
    def achievement(practice_code: str, who: Principal = PRACTICE_VIEW):
        own_practice(who, practice_code, ccg_of)
        return cqrs.achievement(practice_code)

    @app.get("/practices/{practice_code}/achievement/summary", response_model=AchievementSummary)
    def summary(practice_code: str, who: Principal = PRACTICE_VIEW):
        own_practice(who, practice_code, ccg_of)
        return cqrs.summary(practice_code)

    @app.post("/practices/{practice_code}/manual-entries", response_model=ManualEntryResult,
              responses={404: {"description": "unknown practice"},
                         409: {"description": "entry window closed, no extract yet, or record approved"},
                         422: {"description": "a bad entry, naming its field; nothing stored"}})
    def enter_manual(practice_code: str, body: ManualEntries, who: Principal = PRACTICE):
        """Yes/no: {ind_code, achieved}; manual percentage: {ind_code, numerator, denominator}."""
        own_practice(who, practice_code, ccg_of)
        before = audit.manual_values(cqrs.sessions, [practice_code], service, when)
        result = cqrs.enter_manual(practice_code, body)
        if result.stored:
            log_manual(who, before, {practice_code: list(body.entries)},
                       [_Done(practice_code, result.state)])
        return result

    @app.get("/practices/{practice_code}/manual-entries", response_model=list[StoredManualEntry])
    def manual_entries(practice_code: str, who: Principal = PRACTICE_VIEW):
        own_practice(who, practice_code, ccg_of)
        return cqrs.manual_entries(practice_code)

    state_conflict = {409: {"description": "not in the state this step needs (the reason says which)"}}

    @app.post("/practices/{practice_code}/declaration", responses=state_conflict)
    def declare(practice_code: str, body: Declaration, who: Principal = PRACTICE):
        own_practice(who, practice_code, ccg_of)
        before = audit.states(cqrs.sessions, [practice_code], service, when)
        state = cqrs.declare(practice_code, body.declared_by)
        if before.get(practice_code) != state:
            log_states(who, "declaration", before, [_Done(practice_code, state)],
                       {practice_code: {"declared_by": body.declared_by}})
        return {"practice_code": practice_code, "state": state}

    @app.post("/practices/{practice_code}/approval", responses=state_conflict)
    def decide(practice_code: str, body: ApprovalDecision, who: Principal = COMMISSIONER):
        """The caller decides as itself; whether it commissions the practice is the workflow's 403 (``approver``)."""
        if who.ccg is not None and body.approver != who.ccg:
            raise Refused(403, "approver", f"commissioner {who.ccg} may not decide as {body.approver}")
        before = audit.states(cqrs.sessions, [practice_code], service, when)
        state = cqrs.decide(practice_code, body.approver, body.decision, body.reason)
        if before.get(practice_code) != state:
            log_states(who, body.decision, before, [_Done(practice_code, state)],
                       {practice_code: {"reason": body.reason} if body.reason else {}})
        return {"practice_code": practice_code, "state": state}

    bulk_doc = ("Each practice is checked on its own, by the rules and with the errors of the one-practice endpoint, "
                "and answered in ``results`` (``status``, ``outcome`` done / unchanged / refused, ``detail``); a "
                "practice refused stores nothing and stops no other. 422 (nothing stored): a malformed request or "
                "a practice given twice. 403 (nothing stored): a practice the caller may not act for, or an approver "
                "who is not the caller.")

    @app.post("/manual-entries", response_model=BulkResult, description=bulk_doc)
    def enter_manual_many(body: BulkManualEntries, who: Principal = PRACTICE):
        """Many practices' manual entries: {practices: [{practice_code, entered_by, entries}, ...]}."""
        codes = [p.practice_code for p in body.practices]
        owns(who, codes, "practices[{n}].practice_code")
        before = audit.manual_values(cqrs.sessions, codes, service, when)
        result = cqrs.enter_manual_many(body)
        given = {p.practice_code: list(p.entries) if isinstance(p.entries, (list, tuple)) else []
                 for p in body.practices}
        log_manual(who, before, given, [o for o in result.results if o.manual is None or o.manual.stored])
        return result

    @app.post("/declarations", response_model=BulkResult, description=bulk_doc)
    def declare_many(body: BulkDeclarations, who: Principal = PRACTICE):
        """Many practices declare: {declarations: [{practice_code, declared_by}, ...]}."""
        codes = [d.practice_code for d in body.declarations]
        owns(who, codes, "declarations[{n}].practice_code")
        before = audit.states(cqrs.sessions, codes, service, when)
        result = cqrs.declare_many(body)
        log_states(who, "declaration", before, result.results,
                   {d.practice_code: {"declared_by": d.declared_by} for d in body.declarations})
        return result

    @app.post("/approvals", response_model=BulkResult, description=bulk_doc)
    def decide_many(body: BulkApprovals, who: Principal = COMMISSIONER):
        """Commissioners approve or reject many records: {approvals: [{practice_code, approver, decision, reason}, ...]}."""
        codes = [a.practice_code for a in body.approvals]  # whose each is: judged per practice (403 refused)
        for n, a in enumerate(body.approvals):
            if who.ccg is not None and a.approver != who.ccg:
                raise Refused(403, f"approvals[{n}].approver", f"commissioner {who.ccg} may not decide as {a.approver}")
        before = audit.states(cqrs.sessions, codes, service, when)
        result = cqrs.decide_many(body)
        decision = {a.practice_code: a for a in body.approvals}
        for kind in ("approve", "reject"):
            log_states(who, kind, before, [o for o in result.results if decision[o.practice_code].decision == kind],
                       {c: {"reason": a.reason} for c, a in decision.items() if a.reason})
        return result

    @app.post("/payment-runs", status_code=201, response_model=PaymentRun)
    def payment_run(who: Principal = FINANCE):
        run = cqrs.payment_run()
        audit.record(cqrs.sessions, who, "payment instructed",
                     [(i.practice_code, {"state": "Approved"},
                       {"state": "Payment Instructed", "instruction_id": i.instruction_id, "amount_gbp": i.amount_gbp})
                      for i in run.instructions])
        return run

    @app.get("/audit", dependencies=[AUDITOR])
    def audit_log(practice_code: str | None = None, after: int = Query(0, ge=0),
                  limit: int = Query(PAGE, ge=1, le=MAX_PAGE)):
        """Every state change and manual entry, oldest first: who (role, identity), when, what, before and
        after; ``practice_code``: that practice's only; ``after``: entries after this id (a page at a time)."""
        return audit.page(cqrs.sessions, practice_code, after, limit)

    document_errors(app)
    return app


class _Done:
    """A one-practice change, in the shape the bulk outcomes have (for the audit helpers)."""

    outcome = "done"

    def __init__(self, practice_code: str, state: str | None):
        self.practice_code, self.state = practice_code, state
