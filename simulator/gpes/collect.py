"""GPES: issue extraction requests to suppliers, receive their extracts, validate, store, forward.

Plain functions over a database session factory; ``gpes/app.py`` is only the HTTP face. Nothing
here waits inside a request for another service: a collection creates one request per supplier
and returns; the *dispatcher* sends each request (retrying a supplier that fails or stalls, with
back-off) and the supplier answers 202 with a job; extracts arrive later on ``receive``, which
stores each valid one before answering; the *forwarder* sends stored extracts to CQRS from GPES's
own table (a transactional outbox), retrying until CQRS acknowledges. A restarted GPES picks up
both queues where its database left them. Over MESH (``mesh`` set) the forwarder sends each extract
as a MESH message to CQRS's mailbox instead, and a third worker reads CQRS's verdicts from GPES's
own mailbox: an extract is acknowledged only when CQRS's verdict says it is stored.
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
from collections import deque
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Mapping

import requests
from sqlalchemy import func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import sessionmaker

from simulator.contracts import ErrorDetail, ExtractionRequest, ExtractionSpec, Receipt, implausible, sha256
from simulator.contracts.errors import Conflict, ExtractInvalid, ExtractRead, Forbidden, read_extract
from simulator.contracts.headers import SHA_HEADER
from simulator.db import GpesBody, GpesCollection, GpesReceipt, GpesRejection, GpesRequest, utcnow, writing
from simulator.gpes.forward import forward_many
from simulator.gpes.validate import RequestView, check_against_spec
from simulator.transport import mesh as meshes
from simulator.transport.http import CqrsClient, ServiceError, SupplierClient

log = logging.getLogger("qofsim.gpes")


def backoff(attempt: int, base: float, cap: float) -> float:
    return min(base * 2 ** max(attempt - 1, 0), cap)


@dataclass
class Gpes:
    sessions: sessionmaker
    spec: ExtractionSpec
    practice_supplier: Mapping[str, str]  # the practice registry GPES trusts (ODS)
    public_url: str = ""  # where suppliers submit
    suppliers: dict[str, SupplierClient] = field(default_factory=dict)
    cqrs: CqrsClient | None = None
    mesh: meshes.Mailbox | None = None  # transport mesh: extracts go to CQRS's MESH mailbox, not over HTTP
    dispatch_attempts: int = 6  # a supplier that fails this often is marked failed, with the last reason
    retry_base_s: float = 0.1
    retry_cap_s: float = 5.0
    lease_s: float = 60.0  # a forwarder's claim on an outbox row (a killed GPES's claims lapse)
    forward_batch: int = 64
    forward_threads: int = 2  # batches in flight to CQRS at once: one is prepared while CQRS stores another
    _wake_dispatch: threading.Event = field(default_factory=threading.Event)
    _wake_forward: threading.Event = field(default_factory=threading.Event)
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list = field(default_factory=list)
    _views: dict = field(default_factory=dict)
    # extracts this process stored and claimed for itself at once (their lease set on insert), handed
    # straight to its forwarder: no claim and no read of the outbox for what arrived a moment ago.
    # The outbox stays the truth: one not acknowledged goes back to it (or, if the process dies, its
    # lease lapses and a restart releases it)
    _handoff: deque = field(default_factory=deque)

    def _write(self):
        """A write transaction, one at a time in this process on SQLite (see :func:`simulator.db.writing`)."""
        return writing(self.sessions)
    # extract_id -> implausible counts, worked out when a status first shows them: not on receipt,
    # where they were a seventh of GPES's work in the national collection and nobody was asking yet
    _warnings: dict = field(default_factory=dict)

    # ------------------------------------------------------------ collections and requests

    def create_request(self, supplier: str, practices: list[str] | None = None,
                       collection_id: str | None = None) -> ExtractionRequest:
        own = sorted(p for p, s in self.practice_supplier.items() if s == supplier)
        if not own and supplier not in self.suppliers:
            raise ExtractInvalid([ErrorDetail(field="supplier", reason=f"unknown supplier {supplier!r}")])
        chosen = own if practices is None else list(practices)
        foreign = [p for p in chosen if p not in own]
        if foreign:
            raise ExtractInvalid([ErrorDetail(field="practices", reason=f"{foreign[0]} is not a {supplier} practice")])
        req = ExtractionRequest(request_id=str(uuid.uuid4()), supplier=supplier, spec=self.spec,
                                practices=tuple(chosen), submit_to=f"{self.public_url}/extracts",
                                submit_batch_to=f"{self.public_url}/extracts/batch")
        with self._write() as s:
            s.add(GpesRequest(request_id=req.request_id, spec_id=self.spec.spec_id, supplier=supplier,
                              practices=list(chosen), status="requested", collection_id=collection_id, attempts=0))
        return req

    def start_collection(self) -> dict:
        """One request per supplier GPES knows, dispatched in the background; returns at once."""
        collection_id = str(uuid.uuid4())
        with self._write() as s:
            s.add(GpesCollection(collection_id=collection_id, spec_id=self.spec.spec_id, created_at=utcnow()))
        for supplier in sorted(set(self.practice_supplier.values()) | set(self.suppliers)):
            self.create_request(supplier, collection_id=collection_id)
        self._wake_dispatch.set()
        return self.collection(collection_id)

    def dispatch_due(self) -> int:
        """Send every request that is due to its supplier; returns how many were dispatched."""
        now = utcnow()
        with self.sessions() as s:
            due = list(s.scalars(select(GpesRequest).where(
                GpesRequest.status == "requested", GpesRequest.collection_id.is_not(None),
                or_(GpesRequest.next_attempt_at.is_(None), GpesRequest.next_attempt_at <= now))
                .order_by(GpesRequest.created_at)))
        return sum(self._dispatch(r) for r in due)

    def _dispatch(self, r: GpesRequest) -> bool:
        client = self.suppliers.get(r.supplier)
        req = ExtractionRequest(request_id=r.request_id, supplier=r.supplier, spec=self.spec,
                                practices=tuple(r.practices), submit_to=f"{self.public_url}/extracts",
                                submit_batch_to=f"{self.public_url}/extracts/batch")
        values: dict = {"attempts": r.attempts + 1}
        if client is None:
            values |= {"status": "failed", "reason": f"no address for supplier {r.supplier} in GPES's configuration"}
        else:
            try:
                job = client.request_extraction(req)
                values |= {"status": "dispatched", "job_id": job.get("job_id"), "reason": None}
            except ServiceError as exc:
                values["reason"] = str(exc)[:500]
                if exc.status < 500:  # refused for good
                    values["status"] = "failed"
            except requests.RequestException as exc:
                values["reason"] = f"{r.supplier} did not answer: {type(exc).__name__}"[:500]
            if "status" not in values:
                if values["attempts"] >= self.dispatch_attempts:
                    values["status"] = "failed"
                    values["reason"] = f"gave up after {values['attempts']} attempts: {values['reason']}"[:500]
                else:
                    values["next_attempt_at"] = utcnow() + timedelta(
                        seconds=backoff(values["attempts"], self.retry_base_s, self.retry_cap_s))
        with self._write() as s:
            s.execute(update(GpesRequest).where(GpesRequest.request_id == r.request_id).values(**values))
        return values.get("status") == "dispatched"

    def requests_status(self, collection_id: str | None = None) -> list[dict]:
        q = select(GpesRequest).order_by(GpesRequest.created_at)
        if collection_id:
            q = q.where(GpesRequest.collection_id == collection_id)
        with self.sessions() as s:
            return [{"request_id": r.request_id, "collection_id": r.collection_id, "supplier": r.supplier,
                     "status": r.status, "reason": r.reason, "attempts": r.attempts, "job_id": r.job_id,
                     "practices": len(r.practices)} for r in s.scalars(q)]

    def collections(self) -> list[dict]:
        with self.sessions() as s:
            return [{"collection_id": c.collection_id, "spec_id": c.spec_id, "created_at": c.created_at.isoformat()}
                    for c in s.scalars(select(GpesCollection).order_by(GpesCollection.created_at))]

    def collection(self, collection_id: str) -> dict | None:
        """Per request and per practice: requested, received, rejected (with reasons), forwarded
        (awaiting CQRS, with the last failure), acknowledged, or refused by CQRS."""
        with self.sessions() as s:
            c = s.get(GpesCollection, collection_id)
            if c is None:
                return None
            reqs = list(s.scalars(select(GpesRequest).where(GpesRequest.collection_id == collection_id)
                                  .order_by(GpesRequest.supplier)))
            ids = [r.request_id for r in reqs]
            receipts = list(s.scalars(select(GpesReceipt).where(GpesReceipt.request_id.in_(ids))
                                      .order_by(GpesReceipt.received_at)))
            rejections = list(s.scalars(select(GpesRejection).where(GpesRejection.request_id.in_(ids))
                                        .order_by(GpesRejection.id)))
        self._work_out_warnings([x.extract_id for x in receipts])
        got: dict[tuple[str, str], list[GpesReceipt]] = {}
        for x in receipts:
            got.setdefault((x.request_id, x.practice_code), []).append(x)
        refused: dict[tuple[str, str], list[GpesRejection]] = {}
        for x in rejections:
            refused.setdefault((x.request_id, x.practice_code), []).append(x)
        practices = []
        for r in reqs:
            for p in r.practices:
                row = {"practice_code": p, "supplier": r.supplier, "request_id": r.request_id, "extract_id": None,
                       "status": "requested", "reason": None, "rejections": 0, "resends": 0, "received_at": None,
                       "warnings": []}
                rej = refused.get((r.request_id, p), [])
                row["rejections"] = len(rej)
                if (r.request_id, p) in got:
                    x = got[(r.request_id, p)][-1]
                    row["extract_id"] = x.extract_id
                    row["resends"] = sum(y.resends for y in got[(r.request_id, p)])
                    row["received_at"] = x.received_at.isoformat()
                    row["status"] = {"acknowledged": "acknowledged", "refused": "refused by CQRS"}.get(
                        x.forward_state, "forwarded" if x.forward_attempts else "received")
                    row["reason"] = x.forward_error
                    row["warnings"] = self._warnings_of(x)
                elif rej:
                    row["status"] = "rejected"
                    row["reason"] = "; ".join(f"{e['field']}: {e['reason']}" for e in rej[-1].reasons)[:1000]
                elif r.status == "failed":
                    row["status"] = "not collected"
                    row["reason"] = f"request to {r.supplier} failed: {r.reason}"
                practices.append(row)
        tally: dict[str, int] = {}
        for row in practices:
            tally[row["status"]] = tally.get(row["status"], 0) + 1
        return {"collection_id": c.collection_id, "spec_id": c.spec_id, "created_at": c.created_at.isoformat(),
                "requests": [{"request_id": r.request_id, "supplier": r.supplier, "status": r.status,
                              "reason": r.reason, "attempts": r.attempts, "job_id": r.job_id,
                              "practices": len(r.practices)} for r in reqs],
                "practices": practices, "tally": tally,
                "practices_with_warnings": sum(1 for row in practices if row["warnings"])}

    def _work_out_warnings(self, extract_ids: list[str]) -> None:
        """The implausible counts of stored extracts not yet worked out (once each: the bodies never
        change), their bodies read 500 at a time."""
        todo = [i for i in extract_ids if i not in self._warnings]
        for k in range(0, len(todo), 500):
            with self.sessions() as s:
                bodies = s.execute(select(GpesBody.extract_id, GpesBody.body)
                                   .where(GpesBody.extract_id.in_(todo[k:k + 500]))).all()
            for extract_id, body in bodies:
                try:
                    self._warnings[extract_id] = tuple(implausible(read_extract(body), self.spec))
                except ExtractInvalid:  # stored, so once valid: nothing to say of it here
                    self._warnings[extract_id] = ()

    def _warnings_of(self, receipt: GpesReceipt) -> list[str]:
        """Implausible counts of a stored extract (see :meth:`_work_out_warnings`)."""
        self._work_out_warnings([receipt.extract_id])
        return list(self._warnings.get(receipt.extract_id, ()))

    def _request_view(self, request_id: str) -> RequestView | None:
        """A request never changes once made: read once, then kept (a miss is asked again)."""
        view = self._views.get(request_id)
        if view is None:
            with self.sessions() as s:
                r = s.get(GpesRequest, request_id)
                if r is None:
                    return None
                view = self._views[request_id] = RequestView(r.request_id, r.supplier, frozenset(r.practices))
        return view

    # ------------------------------------------------------------ extracts

    def receive(self, body: bytes, claimed_sha: str | None = None, sender: str | None = None) -> tuple[Receipt, bool]:
        """Validate and store (the receipt row is the outbox row). Returns (receipt, created); a
        resubmission of the same bytes returns the first receipt. The body is parsed once.
        ``claimed_sha``: the checksum the sender sent (must match); ``sender``: the supplier whose
        credential sent it, which must host the practice (403, nothing recorded, otherwise)."""
        digest = sha256(body)
        try:
            if claimed_sha is not None and claimed_sha != digest:
                raise ExtractInvalid([ErrorDetail(field=SHA_HEADER, reason=f"body checksum {digest} does not "
                                                                           f"match the header {claimed_sha}")])
            x = read_extract(body)
        except ExtractInvalid as exc:
            self._reject(body, digest, exc)
            raise
        if sender is not None:
            if x.supplier != sender:
                raise Forbidden("supplier", f"supplier {sender} may not submit as {x.supplier}")
            host = self.practice_supplier.get(x.practice_code)  # unknown to GPES: refused as invalid below
            if host is not None and host != sender:
                raise Forbidden("practice_code", f"practice {x.practice_code} uses {host}, not {sender}")
        try:
            check_against_spec(x, self.spec, self.practice_supplier, self._request_view(x.request_id))
        except ExtractInvalid as exc:
            existing = self._receipt(x.extract_id)
            if existing is not None and existing.sha256 == digest:  # a resend of what was accepted
                self._count_resend(x.extract_id)
                return existing, False
            self._reject(body, digest, exc, x.request_id, x.supplier, x.practice_code, x.extract_id)
            raise
        received_at = utcnow()
        try:  # the primary key decides: a resend (or a concurrent twin) finds the first receipt
            with self._write() as s:
                _store_receipts(s.connection(), [(x, body, digest)], received_at, self._claim_until(received_at))
        except IntegrityError:
            existing = self._receipt(x.extract_id)
            if existing is None or existing.sha256 != digest:
                raise Conflict(f"extract_id {x.extract_id} was already received with different content") from None
            self._count_resend(x.extract_id)
            return existing, False
        self._hand_off([(x.extract_id, body)])
        return Receipt(extract_id=x.extract_id, practice_code=x.practice_code, sha256=digest, status="accepted",
                       received_at=received_at, forwarded=False), True

    def receive_many(self, items: list[tuple[bytes, str | None]], sender: str | None = None) -> list[dict]:
        """Several extracts from a supplier in one request (``POST /extracts/batch``), each judged exactly
        as :meth:`receive` judges one, and answered in order: ``{"status", "extract_id", "sha256",
        "detail"}`` with 201 stored, 200 already received (the same bytes: a resend), 403 not the
        sender's to submit (nothing recorded), 409 the id with other content, 422 refused with the
        reasons (recorded; nothing of it stored). The accepted ones are stored in one transaction
        before the answer, so a 201 here is as durable as one from ``POST /extracts``; the per-request
        cost (HTTP, commit) is paid once for the batch."""
        results: list[dict] = [{} for _ in items]
        judged: list[tuple[int, ExtractRead, bytes, str, ExtractInvalid | None]] = []
        rejections: list[dict] = []
        for n, (body, claimed) in enumerate(items):
            digest = sha256(body)
            try:
                if claimed is not None and claimed != digest:
                    raise ExtractInvalid([ErrorDetail(field=f"extracts[{n}].sha256", reason=(
                        f"body checksum {digest} does not match the claimed {claimed}"))])
                x = read_extract(body)
            except ExtractInvalid as exc:
                rejections.append(_rejection_row(body, digest, exc))
                results[n] = _refused(digest, exc)
                continue
            if sender is not None:
                host = self.practice_supplier.get(x.practice_code)
                why = (("supplier", f"supplier {sender} may not submit as {x.supplier}") if x.supplier != sender
                       else ("practice_code", f"practice {x.practice_code} uses {host}, not {sender}")
                       if host is not None and host != sender else None)
                if why is not None:  # as POST /extracts: 403, and nothing of it recorded
                    results[n] = {"status": 403, "extract_id": x.extract_id, "sha256": digest,
                                  "detail": [{"field": why[0], "reason": why[1]}]}
                    continue
            try:
                check_against_spec(x, self.spec, self.practice_supplier, self._request_view(x.request_id))
                judged.append((n, x, body, digest, None))
            except ExtractInvalid as exc:
                judged.append((n, x, body, digest, exc))
        with self.sessions() as s:
            known = dict(s.execute(select(GpesReceipt.extract_id, GpesReceipt.sha256).where(
                GpesReceipt.extract_id.in_({x.extract_id for _, x, _, _, _ in judged}))).all())
        fresh: list[tuple[int, ExtractRead, bytes, str]] = []
        resent: list[str] = []
        received_at = utcnow()
        for n, x, body, digest, invalid in judged:
            seen = known.get(x.extract_id)
            if seen == digest:  # a resend of what was accepted (before, or earlier in this batch)
                resent.append(x.extract_id)
                results[n] = {"status": 200, "extract_id": x.extract_id, "sha256": digest, "detail": None}
            elif invalid is not None:
                rejections.append(_rejection_row(body, digest, invalid, x))
                results[n] = _refused(digest, invalid, x.extract_id)
            elif seen is not None:
                results[n] = {"status": 409, "extract_id": x.extract_id, "sha256": digest, "detail": [
                    {"field": "extract_id", "reason": f"extract_id {x.extract_id} was already received "
                                                      "with different content"}]}
            else:
                known[x.extract_id] = digest
                fresh.append((n, x, body, digest))
                results[n] = {"status": 201, "extract_id": x.extract_id, "sha256": digest, "detail": None}
        try:
            with self._write() as s:
                conn = s.connection()
                if fresh:
                    _store_receipts(conn, [(x, body, digest) for _, x, body, digest in fresh], received_at,
                                    self._claim_until(received_at))
                if rejections:
                    conn.execute(GpesRejection.__table__.insert(), rejections)
                for extract_id in resent:
                    conn.execute(update(_RECEIPTS).where(_RECEIPTS.c.extract_id == extract_id)
                                 .values(resends=_RECEIPTS.c.resends + 1))
        except IntegrityError:  # a concurrent twin stored one of them first: judge the fresh ones one by one
            fresh_stored, fresh = fresh, []
            for n, x, body, digest in fresh_stored:
                try:
                    _, created = self.receive(body)
                    results[n]["status"] = 201 if created else 200
                except Conflict as exc:
                    results[n] = {"status": 409, "extract_id": x.extract_id, "sha256": digest,
                                  "detail": [{"field": "extract_id", "reason": str(exc)}]}
            if rejections or resent:
                self._record(rejections)
                for extract_id in resent:
                    self._count_resend(extract_id)
        if fresh:
            self._hand_off([(x.extract_id, body) for _, x, body, _ in fresh])
        return results

    def _record(self, rejections: list[dict]) -> None:
        """Store rejection rows (what was refused and why)."""
        with self._write() as s:
            if rejections:
                s.connection().execute(GpesRejection.__table__.insert(), rejections)

    def _count_resend(self, extract_id: str) -> None:
        with self._write() as s:
            s.execute(update(GpesReceipt).where(GpesReceipt.extract_id == extract_id)
                      .values(resends=GpesReceipt.resends + 1))

    def _reject(self, body: bytes, digest: str, exc: ExtractInvalid, request_id=None, supplier=None, practice=None,
                extract_id=None) -> None:
        """Record that an extract was refused and why (not the extract: nothing of it is stored)."""
        row = _rejection_row(body, digest, exc)
        if request_id is not None:
            row |= {"request_id": request_id, "supplier": supplier, "practice_code": practice, "extract_id": extract_id}
        self._record([row])

    # ------------------------------------------------------------ the outbox to CQRS

    def _claim_until(self, received_at):
        """The lease an extract is stored with when this process will forward it itself (see _handoff)."""
        return received_at + timedelta(seconds=self.lease_s) if self._forwards else None

    def _hand_off(self, stored: list[tuple[str, bytes]]) -> None:
        if self._forwards:
            self._handoff.extend((extract_id, body, 0) for extract_id, body in stored)
        self._wake_forward.set()

    def forward_due(self) -> int:
        """Forward what this process has just stored (its hand-off), else claim due outbox rows; forward
        each (over HTTP, or as a MESH message), record the answer. Returns how many went."""
        if not self._forwards:
            return 0
        rows = []
        while len(rows) < self.forward_batch:
            try:
                rows.append(self._handoff.popleft())
            except IndexError:
                break
        rows = rows or self._claim_due()
        if not rows:
            return 0
        return self._send_mesh(rows) if self.mesh is not None else self._forward_batch(rows)

    @property
    def _forwards(self) -> bool:
        return self.cqrs is not None or self.mesh is not None

    def _claim_due(self) -> list:
        """Due outbox rows no live forwarder holds, claimed (leased) for this one: (extract_id, body, attempts)."""
        now = utcnow()
        with self._write() as s:
            ids = list(s.scalars(select(GpesReceipt.extract_id).where(
                GpesReceipt.forward_state == "pending",
                or_(GpesReceipt.next_forward_at.is_(None), GpesReceipt.next_forward_at <= now),
                or_(GpesReceipt.lease_until.is_(None), GpesReceipt.lease_until <= now))
                .order_by(GpesReceipt.received_at).limit(self.forward_batch)))
            if not ids:
                return []
            claimed = s.execute(update(GpesReceipt).where(
                GpesReceipt.extract_id.in_(ids), GpesReceipt.forward_state == "pending",
                or_(GpesReceipt.lease_until.is_(None), GpesReceipt.lease_until <= now))
                .values(lease_until=now + timedelta(seconds=self.lease_s)).returning(GpesReceipt.extract_id))
            ids = [row[0] for row in claimed]
        with self.sessions() as s:
            return list(s.execute(select(GpesReceipt.extract_id, GpesBody.body, GpesReceipt.forward_attempts)
                                  .join(GpesBody, GpesBody.extract_id == GpesReceipt.extract_id)
                                  .where(GpesReceipt.extract_id.in_(ids))).all())

    def _send_mesh(self, rows) -> int:
        """Each extract as one MESH message to CQRS's mailbox (its exact bytes; its id and SHA-256 in the
        headers). The row stays pending, with the message id, until CQRS's verdict arrives; one that
        MESH did not take is retried with back-off, one with no verdict after ``resend_s`` sent again."""
        sent = 0
        for extract_id, body, attempts in rows:
            sent_as: dict = {"forward_attempts": attempts + 1, "lease_until": None}
            try:
                sent_as["mesh_message_id"] = self.mesh.send(body, local_id=extract_id,
                                                            subject=meshes.extract_subject(sha256(body)))
                outcome = {"forward_error": None,
                           "next_forward_at": utcnow() + timedelta(seconds=self.mesh.settings.resend_s)}
                sent += 1
            except meshes.ERRORS as exc:
                outcome = {"forward_error": f"MESH did not take it: {type(exc).__name__}: {exc}"[:500],
                           "next_forward_at": utcnow() + timedelta(
                               seconds=backoff(attempts + 1, self.retry_base_s, self.retry_cap_s))}
            with self._write() as s:  # CQRS's verdict may be in already: it keeps its state and reason
                s.execute(update(GpesReceipt).where(GpesReceipt.extract_id == extract_id).values(**sent_as))
                s.execute(update(GpesReceipt).where(GpesReceipt.extract_id == extract_id,
                                                    GpesReceipt.forward_state == "pending").values(**outcome))
        return sent

    def receive_verdicts(self) -> int:
        """CQRS's verdicts from GPES's MESH mailbox, each recorded on its extract's outbox row (201/200:
        acknowledged, 409/422: refused with CQRS's reason), then acknowledged. Returns how many."""
        if self.mesh is None:
            return 0
        done = 0
        for message_id in self.mesh.inbox():
            m = self.mesh.receive(message_id)
            try:
                v = meshes.read_verdict(m.body)
            except ValueError:
                log.warning("MESH message %s from %s is not a verdict: acknowledged and ignored", message_id, m.sender)
                self.mesh.acknowledge(message_id)
                continue
            now = utcnow()
            if v["status"] in (200, 201):
                values = {"forward_state": "acknowledged", "forwarded_at": now, "forward_error": None}
            else:
                values = {"forward_state": "refused", "forward_error": (
                    f"CQRS answered {v['status']} over MESH: {json.dumps(v.get('detail'))}")[:500]}
            with self._write() as s:  # by checksum too: the verdict is about these bytes
                s.execute(update(GpesReceipt).where(
                    GpesReceipt.extract_id == v.get("extract_id"), GpesReceipt.sha256 == v["sha256"],
                    GpesReceipt.forward_state == "pending").values(cqrs_status=v["status"], lease_until=None, **values))
            self.mesh.acknowledge(message_id)
            done += 1
        return done

    def _forward_batch(self, rows) -> int:
        """One request to CQRS for the batch; each extract's answer recorded on its own row (its
        acknowledgement time is when CQRS's answer arrived)."""
        done: dict[str, dict] = {}
        try:
            answers = forward_many(self.cqrs, [body for _, body, _ in rows])
            if len(answers) != len(rows):
                raise ValueError(f"CQRS answered {len(answers)} results for {len(rows)} extracts")
        except (requests.RequestException, ServiceError, ValueError) as exc:
            status = getattr(exc, "status", None)
            why = (f"CQRS answered {status} to the batch: {getattr(exc, 'body', '')[:300]}" if status
                   else f"CQRS did not answer: {type(exc).__name__}")[:500]
            if status and 400 <= status < 500 and status not in (401, 403):
                answers = [self._forward_one(body) for _, body, _ in rows]  # one bad extract holds up no other
            else:  # no answer, 5xx, or GPES's own credential refused: every row retried later, the reason kept
                answers = [{"status": 0, "why": why}] * len(rows)
        now = utcnow()
        for (extract_id, _, attempts), a in zip(rows, answers):
            values: dict = {"forward_attempts": attempts + 1, "lease_until": None, "cqrs_status": a["status"] or None}
            if a["status"] in (200, 201):
                values |= {"forward_state": "acknowledged", "forwarded_at": now, "forward_error": None}
            elif 400 <= a["status"] < 500:
                values |= {"forward_state": "refused",
                           "forward_error": f"CQRS answered {a['status']}: {json.dumps(a.get('detail'))}"[:500]}
            else:
                values |= {"forward_error": a.get("why") or f"CQRS answered {a['status']}",
                           "next_forward_at": now + timedelta(seconds=backoff(attempts + 1, self.retry_base_s,
                                                                              self.retry_cap_s))}
            done[extract_id] = values
        acked = [i for i, v in done.items() if v.get("forward_state") == "acknowledged"]
        with self._write() as s:
            if acked:
                s.execute(update(GpesReceipt).where(GpesReceipt.extract_id.in_(acked)).values(
                    forward_state="acknowledged", forwarded_at=now, forward_error=None, lease_until=None,
                    forward_attempts=GpesReceipt.forward_attempts + 1))
            for extract_id, values in done.items():
                if extract_id not in acked:
                    s.execute(update(GpesReceipt).where(GpesReceipt.extract_id == extract_id).values(**values))
        return len(acked)

    def _forward_one(self, body: bytes) -> dict:
        """One extract alone (POST /extracts), when CQRS refused the batch it was in as a whole."""
        try:
            a = self.cqrs.forward(body)
        except requests.RequestException as exc:
            return {"status": 0, "why": f"CQRS did not answer: {type(exc).__name__}"}
        if a.status in (401, 403):
            return {"status": 0, "why": f"CQRS answered {a.status}: {json.dumps(a.json)[:300]}"}
        return {"status": a.status, "detail": (a.json or {}).get("detail") if isinstance(a.json, dict) else None}

    def retry_forwarding(self) -> int:
        """Make every pending extract due now (e.g. CQRS is back) and wake the forwarder; returns how many."""
        with self._write() as s:
            n = s.execute(update(GpesReceipt).where(GpesReceipt.forward_state == "pending")
                          .values(next_forward_at=None)).rowcount
        self._wake_forward.set()
        return n

    def outbox_pending(self) -> int:
        with self.sessions() as s:
            return s.scalar(select(func.count()).select_from(GpesReceipt).where(GpesReceipt.forward_state == "pending"))

    # ------------------------------------------------------------ background workers

    def start(self) -> None:
        """Start the dispatcher and the forwarder. Claims a killed process held are released: a row
        it may already have forwarded is forwarded again, which CQRS answers as the first time."""
        self._handoff.clear()  # claimed in the outbox: released just below, and forwarded from there
        with self._write() as s:
            s.execute(update(GpesReceipt).where(GpesReceipt.forward_state == "pending", GpesReceipt.lease_until.is_not(None))
                      .values(lease_until=None))
        self._stop.clear()
        workers = [("dispatch", self.dispatch_due, self._wake_dispatch)]
        workers += [(f"forward-{n}", self.forward_due, self._wake_forward) for n in range(self.forward_threads)]
        if self.mesh is not None:
            workers.append(("mesh-verdicts", self.receive_verdicts, threading.Event()))
        for name, step, wake in workers:
            t = threading.Thread(target=self._loop, args=(step, wake), name=f"gpes-{name}", daemon=True)
            t.start()
            self._threads.append(t)

    def stop(self, timeout: float = 10) -> None:
        self._stop.set()
        self._wake_dispatch.set()
        self._wake_forward.set()
        for t in self._threads:
            t.join(timeout)
        self._threads.clear()
        if self.mesh is not None:
            self.mesh.close()

    def _loop(self, step, wake: threading.Event) -> None:
        idle_s = self.mesh.settings.poll_s if self.mesh is not None else 0.2
        while not self._stop.is_set():
            try:
                busy = step()
            except meshes.ERRORS as exc:  # MESH unreachable for a moment: said once a round, tried again
                log.warning("MESH: %s: %s", type(exc).__name__, exc)
                busy = 0
            except Exception:  # a failing step is logged and retried, never kills the worker
                log.exception("background step failed")
                busy = 0
            if not busy:
                wake.wait(idle_s)
                wake.clear()

    # ------------------------------------------------------------ views

    def _receipt(self, extract_id: str) -> Receipt | None:
        with self.sessions() as s:
            r = s.get(GpesReceipt, extract_id)
            if r is None:
                return None
            return Receipt(extract_id=r.extract_id, practice_code=r.practice_code, sha256=r.sha256,
                           status="accepted", received_at=r.received_at, forwarded=r.forward_state == "acknowledged")

    def receipts(self, request_ids: list[str] | None = None) -> list[dict]:
        q = select(GpesReceipt).order_by(GpesReceipt.received_at, GpesReceipt.extract_id)
        if request_ids:
            q = q.where(GpesReceipt.request_id.in_(request_ids))
        with self.sessions() as s:
            return [{"extract_id": r.extract_id, "request_id": r.request_id, "supplier": r.supplier,
                     "practice_code": r.practice_code, "sha256": r.sha256,
                     "forwarded": r.forward_state == "acknowledged", "forward_state": r.forward_state,
                     "forward_attempts": r.forward_attempts, "forward_error": r.forward_error, "resends": r.resends,
                     "cqrs_status": r.cqrs_status, "mesh_message_id": r.mesh_message_id,
                     "received_at": r.received_at.isoformat(),
                     "acknowledged_at": r.forwarded_at.isoformat() if r.forwarded_at else None} for r in s.scalars(q)]

    def counts(self) -> dict:
        with self.sessions() as s:
            by_state = dict(s.execute(select(GpesReceipt.forward_state, func.count()).group_by(GpesReceipt.forward_state)).all())
            return {"collections": s.scalar(select(func.count()).select_from(GpesCollection)),
                    "receipts": sum(by_state.values()), "forward": by_state,
                    "rejections": s.scalar(select(func.count()).select_from(GpesRejection))}


_RECEIPTS = GpesReceipt.__table__


def _store_receipts(conn, accepted: list[tuple[ExtractRead, bytes, str]], received_at, lease_until=None) -> None:
    """Receipt (and outbox) rows, then the bodies, in the caller's transaction; Core statements, one
    of each for the lot (the ORM's unit of work costs more than the rows). ``lease_until``: claimed
    by the storing process's forwarder from the start."""
    conn.execute(_RECEIPTS.insert(), [
        {"extract_id": x.extract_id, "request_id": x.request_id, "supplier": x.supplier,
         "practice_code": x.practice_code, "sha256": digest, "received_at": received_at,
         "forward_state": "pending", "forward_attempts": 0, "resends": 0, "lease_until": lease_until}
        for x, _, digest in accepted])
    conn.execute(GpesBody.__table__.insert(), [{"extract_id": x.extract_id, "body": body} for x, body, _ in accepted])


def _rejection_row(body: bytes, digest: str, exc: ExtractInvalid, x: ExtractRead | None = None) -> dict:
    """What is kept of a refused extract: who sent it for what, and why; never its body."""
    if x is not None:
        request_id, supplier, practice, extract_id = x.request_id, x.supplier, x.practice_code, x.extract_id
    else:
        head = _head(body)
        pick = lambda k, n: head.get(k)[:n] if isinstance(head.get(k), str) else None  # noqa: E731
        request_id, supplier, practice, extract_id = (pick("request_id", 64), pick("supplier", 16),
                                                      pick("practice_code", 16), pick("extract_id", 128))
    return {"request_id": request_id, "supplier": supplier, "practice_code": practice, "extract_id": extract_id,
            "sha256": digest, "reasons": [e.model_dump() for e in exc.errors][:50], "at": utcnow()}


def _refused(digest: str, exc: ExtractInvalid, extract_id: str | None = None) -> dict:
    return {"status": 422, "extract_id": extract_id, "sha256": digest, "detail": [e.model_dump() for e in exc.errors]}


def _head(body: bytes) -> dict:
    """The body's top-level fields if it is a JSON object (used only to label a rejection)."""
    try:
        obj = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return {}
    return obj if isinstance(obj, dict) else {}
