"""CQRS ingestion: check the checksum, parse, store the extract and its counts in long layout.

Idempotent on ``extract_id``. A later extract for the same practice and spec supersedes the
earlier one, and the practice's workflow record returns to 'Awaiting Service Provider Approval'.
The database holds one current extract per practice and spec (a partial unique index). Extracts
for one practice are stored one at a time (SQLite locks the database for each write; on
PostgreSQL a transaction-scoped advisory lock per practice); should one still lose the race to
a concurrent one, it is stored again, superseding the winner.
"""

from __future__ import annotations

import logging

from sqlalchemy import insert, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from simulator.contracts import ErrorDetail, Receipt, sha256
from simulator.contracts.errors import Conflict, ExtractInvalid, ExtractRead, read_extract
from simulator.contracts.headers import SHA_HEADER
from simulator.cqrs.longformat import extract_to_rows
from simulator.db import CqrsExtract, CqrsWorkflow, utcnow, writing


log = logging.getLogger("qofsim.cqrs")


def _receipt(row: CqrsExtract) -> Receipt:
    return Receipt(extract_id=row.extract_id, practice_code=row.practice_code, sha256=row.sha256,
                   status="accepted", received_at=row.received_at, forwarded=False)


ATTEMPTS = 5  # of the storing transaction, when extracts for one practice arrive at once


def judge(body: bytes, claimed_sha: str | None, known_practices=None) -> tuple[ExtractRead, str]:
    """The checks every forwarded extract passes before anything of it is stored: its checksum, the
    contract, a practice CQRS knows. Returns the extract and its SHA-256; raises ExtractInvalid."""
    digest = sha256(body)
    if claimed_sha is not None and claimed_sha != digest:
        raise ExtractInvalid([ErrorDetail(field=SHA_HEADER,
                                          reason=f"body checksum {digest} does not match the header {claimed_sha}")])
    x = read_extract(body)
    if known_practices is not None and x.practice_code not in known_practices:
        raise ExtractInvalid([ErrorDetail(field="practice_code", reason=f"unknown practice {x.practice_code}")])
    return x, digest


def ingest(sessions: sessionmaker, body: bytes, claimed_sha: str | None, known_practices=None) -> tuple[Receipt, bool]:
    x, digest = judge(body, claimed_sha, known_practices)
    with sessions() as s:
        existing = s.get(CqrsExtract, x.extract_id)
        if existing is not None:
            if existing.sha256 != digest:
                raise Conflict(f"extract_id {x.extract_id} was already stored with different content")
            return _receipt(existing), False
    received_at = utcnow()
    for attempt in range(1, ATTEMPTS + 1):
        try:
            with writing(sessions) as s:
                _store(s, x, body, digest, received_at)
        except IntegrityError:
            with sessions() as s:
                existing = s.get(CqrsExtract, x.extract_id)
            if existing is None and attempt < ATTEMPTS:
                continue  # another extract for this practice became current as we stored: supersede it in turn
            if existing is None or existing.sha256 != digest:
                raise Conflict(f"extract_id {x.extract_id} was already stored with different content") from None
            return _receipt(existing), False
        break
    return Receipt(extract_id=x.extract_id, practice_code=x.practice_code, sha256=digest, status="accepted",
                   received_at=received_at, forwarded=False), True


def _store(s: Session, x: ExtractRead, body: bytes, digest: str, received_at) -> None:
    _store_many(s, [(x, body, digest)], received_at)


def _store_many(s: Session, batch: list[tuple[ExtractRead, bytes, str]], received_at) -> None:
    """Store extracts of distinct practices in the caller's transaction, each superseding its
    practice's current one. Core statements, one of each kind for the whole batch (the ORM's unit of
    work, or a statement per extract, cost more than the rows here)."""
    conn = s.connection()
    if conn.dialect.name == "postgresql":  # one practice's extracts stored one at a time (SQLite: always)
        for code in sorted({x.practice_code for x, _, _ in batch}):  # in order: two batches never deadlock
            conn.execute(text("SELECT pg_advisory_xact_lock(hashtext(:p))"), {"p": f"cqrs_extracts:{code}"})
    extracts = CqrsExtract.__table__
    by_spec: dict[str, list[str]] = {}
    for x, _, _ in batch:
        by_spec.setdefault(x.spec_id, []).append(x.practice_code)
    for spec_id, codes in by_spec.items():
        conn.execute(update(extracts)
                     .where(extracts.c.practice_code.in_(codes), extracts.c.spec_id == spec_id,
                            extracts.c.current.is_(True))
                     .values(current=False))
    conn.execute(insert(extracts), [
        {"extract_id": x.extract_id, "practice_code": x.practice_code, "spec_id": x.spec_id,
         "achievement_date": x.achievement_date, "supplier": x.supplier, "list_size": x.list_size, "sha256": digest,
         "body": body, "received_at": received_at, "current": True, "request_id": x.request_id}
        for x, body, digest in batch])
    stored = {(x.practice_code, x.achievement_date): x.extract_id for x, _, _ in batch}
    for wf in s.scalars(select(CqrsWorkflow).where(CqrsWorkflow.practice_code.in_({p for p, _ in stored}))):
        extract_id = stored.get((wf.practice_code, wf.achievement_date))
        if extract_id is None or wf.extract_id == extract_id:
            continue
        wf.history = [*wf.history, {"at": utcnow().isoformat(), "from": wf.state,
                                    "to": "Awaiting Service Provider Approval",
                                    "why": f"superseded by extract {extract_id}: awaiting recalculation"}]
        wf.state = "Awaiting Service Provider Approval"
        wf.extract_id = extract_id
        wf.calculated = {**wf.calculated, "stale": True}
        wf.updated_at = utcnow()


def ingest_many(sessions: sessionmaker, items: list[tuple[bytes, str | None]], known_practices=None) -> list[dict]:
    """Several forwarded extracts in one transaction (GPES's outbox sends them in batches). Each is
    judged on its own, exactly as :func:`ingest` judges one: its checksum, the contract, the practice,
    idempotency on extract_id. Returns per item ``{"status", "extract_id", "detail"}``: 201 stored, 200
    already stored (the same bytes), 409 the id with other content, 422 refused (nothing of it stored)."""
    results: list[dict] = [{} for _ in items]
    parsed: list[tuple[int, ExtractRead, bytes, str]] = []
    for n, (body, claimed) in enumerate(items):
        try:
            x, digest = judge(body, claimed, known_practices)
        except ExtractInvalid as exc:
            results[n] = {"status": 422, "extract_id": None, "detail": [e.model_dump() for e in exc.errors]}
            continue
        parsed.append((n, x, body, digest))
    with sessions() as s:
        known = dict(s.execute(select(CqrsExtract.extract_id, CqrsExtract.sha256).where(
            CqrsExtract.extract_id.in_([x.extract_id for _, x, _, _ in parsed]))).all())
    fresh = []
    for n, x, body, digest in parsed:
        if x.extract_id in known:
            same = known[x.extract_id] == digest
            results[n] = {"status": 200 if same else 409, "extract_id": x.extract_id,
                          "detail": None if same else [{"field": "extract_id", "reason": f"extract_id {x.extract_id} "
                                                        "was already stored with different content"}]}
            continue
        known[x.extract_id] = digest
        fresh.append((n, x, body, digest))
    if not fresh:
        return results
    received_at = utcnow()
    try:
        with writing(sessions) as s:
            practices = [x.practice_code for _, x, _, _ in fresh]
            if len(set(practices)) == len(practices):  # the usual batch: one extract per practice
                _store_many(s, [(x, body, digest) for _, x, body, digest in fresh], received_at)
            else:  # in practice order (two batches lock practices alike: no deadlock), then arrival order
                for _, x, body, digest in sorted(fresh, key=lambda f: f[1].practice_code):
                    _store(s, x, body, digest, received_at)
    except Exception:  # a concurrent twin, or one extract the store will not take: judge them one by one
        for n, x, body, digest in fresh:
            try:
                _, created = ingest(sessions, body, digest, known_practices)
                results[n] = {"status": 201 if created else 200, "extract_id": x.extract_id, "detail": None,
                              "practice_code": x.practice_code, "sha256": digest}
            except Conflict as exc:
                results[n] = {"status": 409, "extract_id": x.extract_id,
                              "detail": [{"field": "extract_id", "reason": str(exc)}]}
            except Exception as exc:  # this one only: answered 503 (GPES retries it), the others stand
                log.exception("storing extract %s failed", x.extract_id)
                results[n] = {"status": 503, "extract_id": x.extract_id,
                              "detail": [{"field": "extract_id", "reason": f"not stored: {type(exc).__name__}"}]}
        return results
    for n, x, _, digest in fresh:
        results[n] = {"status": 201, "extract_id": x.extract_id, "detail": None, "practice_code": x.practice_code,
                      "sha256": digest}
    return results


def current_extracts(s: Session, spec_id: str | None = None) -> list[CqrsExtract]:
    q = select(CqrsExtract).where(CqrsExtract.current.is_(True))
    if spec_id:
        q = q.where(CqrsExtract.spec_id == spec_id)
    return list(s.scalars(q.order_by(CqrsExtract.practice_code)))


def rows_of_body(body: bytes, register_indicator: dict[str, str]) -> list[tuple[str, str, int]]:
    """A stored extract's counts as long-layout rows (IND_CODE, FIELD_NAME, VALUE), in extract order,
    read from its body when they are needed (the calculation), not stored beside it: writing them
    at ingest cost more than the rest of storing an extract (migration 0012)."""
    return list(extract_to_rows(read_extract(body), register_indicator))


def extract_values(s: Session, extract_id: str, register_indicator: dict[str, str]) -> list[tuple[str, str, int]]:
    """The stored extract's counts as long-layout rows (IND_CODE, FIELD_NAME, VALUE), in extract order."""
    body = s.scalar(select(CqrsExtract.body).where(CqrsExtract.extract_id == extract_id))
    return [] if body is None else rows_of_body(body, register_indicator)
