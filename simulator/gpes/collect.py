"""GPES: issue extraction requests to suppliers, receive their extracts, validate, track, forward.

Plain functions over a database session factory; ``gpes/app.py`` is only the HTTP face.
"""

from __future__ import annotations

import json
import uuid

import requests
from dataclasses import dataclass, field
from typing import Mapping

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import sessionmaker

from simulator.contracts import ErrorDetail, ExtractionRequest, ExtractionRun, ExtractionSpec, Receipt, sha256
from simulator.contracts.errors import Conflict, ExtractInvalid
from simulator.db import GpesReceipt, GpesRequest, utcnow
from simulator.gpes.forward import forward
from simulator.gpes.validate import RequestView, validate
from simulator.transport.http import CqrsClient, ServiceError, SupplierClient


@dataclass
class Gpes:
    sessions: sessionmaker
    spec: ExtractionSpec
    practice_supplier: Mapping[str, str]  # the practice registry GPES trusts (ODS)
    public_url: str = ""  # where suppliers submit; set once the server is listening
    suppliers: dict[str, SupplierClient] = field(default_factory=dict)
    cqrs: CqrsClient | None = None

    # ------------------------------------------------------------ requests

    def create_request(self, supplier: str, practices: list[str] | None = None) -> ExtractionRequest:
        own = sorted(p for p, s in self.practice_supplier.items() if s == supplier)
        if not own and supplier not in self.suppliers:
            raise ExtractInvalid([ErrorDetail(field="supplier", reason=f"unknown supplier {supplier!r}")])
        chosen = own if practices is None else list(practices)
        foreign = [p for p in chosen if p not in own]
        if foreign:
            raise ExtractInvalid([ErrorDetail(field="practices", reason=f"{foreign[0]} is not a {supplier} practice")])
        req = ExtractionRequest(request_id=str(uuid.uuid4()), supplier=supplier, spec=self.spec,
                                practices=tuple(chosen), submit_to=f"{self.public_url}/extracts")
        with self.sessions.begin() as s:
            s.add(GpesRequest(request_id=req.request_id, spec_id=self.spec.spec_id, supplier=supplier,
                              practices=list(chosen), status="requested"))
        return req

    def collect(self) -> list[ExtractionRun]:
        """Ask every supplier for its practices' extracts (they submit each one back to us).

        A supplier that cannot be reached or answers with an error does not stop the collection:
        its request is marked failed with the reason, and the others go on (GPES tracked status
        per supplier; what is missing shows up in reconciliation)."""
        runs = []
        for supplier, client in self.suppliers.items():
            req = self.create_request(supplier)
            try:
                run = client.request_extraction(req)
            except (ServiceError, requests.RequestException) as exc:
                with self.sessions.begin() as s:
                    r = s.get(GpesRequest, req.request_id)
                    r.status, r.reason = "failed", str(exc)[:500]
                continue
            with self.sessions.begin() as s:
                s.get(GpesRequest, req.request_id).status = "completed"
            runs.append(run)
        return runs

    def requests_status(self) -> list[dict]:
        with self.sessions() as s:
            return [{"request_id": r.request_id, "supplier": r.supplier, "status": r.status, "reason": r.reason,
                     "practices": len(r.practices)}
                    for r in s.scalars(select(GpesRequest).order_by(GpesRequest.created_at))]

    def _request_view(self, request_id: str) -> RequestView | None:
        with self.sessions() as s:
            r = s.get(GpesRequest, request_id)
            return None if r is None else RequestView(r.request_id, r.supplier, frozenset(r.practices))

    # ------------------------------------------------------------ extracts

    def receive(self, body: bytes) -> tuple[Receipt, bool]:
        """Validate, store, forward. Returns (receipt, created); a resubmission returns the first receipt."""
        head = _head(body)
        extract_id = head.get("extract_id") if isinstance(head.get("extract_id"), str) and head["extract_id"] else None
        if extract_id is not None:
            existing = self._receipt(extract_id)
            if existing is not None:
                if existing.sha256 != sha256(body):
                    raise Conflict(f"extract_id {extract_id} was already received with different content")
                return existing, False
        request_id = head.get("request_id")
        x = validate(body, self.spec, self.practice_supplier,
                     self._request_view(request_id) if isinstance(request_id, str) else None)
        digest = sha256(body)
        received_at = utcnow()
        try:
            with self.sessions.begin() as s:
                s.execute(insert(GpesReceipt).values(extract_id=x.extract_id, request_id=x.request_id,
                                                     supplier=x.supplier, practice_code=x.practice_code,
                                                     sha256=digest, body=body, received_at=received_at))
        except IntegrityError:  # a concurrent twin got there first
            existing = self._receipt(x.extract_id)
            if existing is None or existing.sha256 != digest:
                raise Conflict(f"extract_id {x.extract_id} was already received with different content") from None
            return existing, False
        forwarded = False
        if self.cqrs is not None:
            forwarded = self._forward(x.extract_id, body)
        return Receipt(extract_id=x.extract_id, practice_code=x.practice_code, sha256=digest, status="accepted",
                       received_at=received_at, forwarded=forwarded), True

    def _forward(self, extract_id: str, body: bytes) -> bool:
        answer = forward(self.cqrs, body)
        ok = answer.status in (200, 201)
        with self.sessions.begin() as s:
            s.execute(update(GpesReceipt).where(GpesReceipt.extract_id == extract_id)
                      .values(cqrs_status=answer.status, forwarded_at=utcnow() if ok else None))
        return ok

    def retry_forwarding(self) -> int:
        """Forward again every accepted extract CQRS has not acknowledged (e.g. CQRS was down)."""
        with self.sessions() as s:
            pending = s.scalars(select(GpesReceipt).where(GpesReceipt.forwarded_at.is_(None))).all()
        return sum(self._forward(rec.extract_id, rec.body) for rec in pending)

    def _receipt(self, extract_id: str) -> Receipt | None:
        with self.sessions() as s:
            r = s.get(GpesReceipt, extract_id)
            if r is None:
                return None
            return Receipt(extract_id=r.extract_id, practice_code=r.practice_code, sha256=r.sha256,
                           status="accepted", received_at=r.received_at, forwarded=r.forwarded_at is not None)

    def receipts(self) -> list[dict]:
        with self.sessions() as s:
            return [{"extract_id": r.extract_id, "request_id": r.request_id, "supplier": r.supplier,
                     "practice_code": r.practice_code, "sha256": r.sha256, "forwarded": r.forwarded_at is not None,
                     "cqrs_status": r.cqrs_status}
                    for r in s.scalars(select(GpesReceipt).order_by(GpesReceipt.received_at, GpesReceipt.extract_id))]


def _head(body: bytes) -> dict:
    """The body's top-level fields if it is a JSON object (validation proper comes later)."""
    try:
        obj = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return {}
    return obj if isinstance(obj, dict) else {}
