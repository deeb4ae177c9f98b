"""One GP-system supplier: its own practices' records, extraction jobs run in the background, an outbox.

GPES's extraction request is answered at once (202 and a job id); the job runs the rules over the
requested practices and submits each extract to the GPES this supplier is registered with, as the
suppliers' extraction tools did. Jobs and every send live in the supplier's own database, so a
supplier killed mid-job resumes on restart and resends (same extract ids) only what GPES never
acknowledged or refused.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import requests
from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import sessionmaker

from simulator.contracts import ExtractionRequest, sha256
from simulator.db import SupplierJob, SupplierSend, utcnow, writing
from simulator.qof.catalogue import Catalogue
from simulator.supplier.extract import CHUNK_PATIENTS, build_extract, count_chunks
from simulator.supplier.faults import Faults
from simulator.supplier.personality import Personality
from simulator.transport.http import new_session, post_extract, post_extracts

log = logging.getLogger("qofsim.supplier")
JOB_NS = uuid.UUID("0f3c2a52-6a43-4d55-9c51-2f6a20121303")


class RequestRefused(ValueError):
    """An extraction request this supplier will not take: (field, reason) for a 422."""

    def __init__(self, field_name: str, reason: str):
        super().__init__(f"{field_name}: {reason}")
        self.field = field_name
        self.reason = reason


def final(status: int) -> bool:
    """GPES answered for good: accepted (2xx) or refused (4xx). 0 (no answer) and 5xx are retried."""
    return 200 <= status < 500


@dataclass
class Supplier:
    name: str
    catalogue: Catalogue
    patients: Path
    events: Path
    practices: list[str]
    sessions: sessionmaker
    gpes_url: str | None = None  # the GPES this supplier is registered with (None: whichever asks)
    faults: Faults = field(default_factory=Faults)
    personality: Personality = field(default_factory=Personality)
    submit_deadline_s: float = 180.0  # keep retrying one extract this long (GPES down, restarting)
    http_timeout_s: float = 30.0
    token: str | None = None  # this supplier's credential, sent with every extract
    chunk_patients: int = CHUNK_PATIENTS  # records read and counted at once (memory stays bounded)
    batch_size: int = 50  # extracts in one request to GPES, when its request offers submit_batch_to (1: one a request)
    _wake: threading.Event = field(default_factory=threading.Event)
    _stop: threading.Event = field(default_factory=threading.Event)
    _worker: threading.Thread | None = None

    def __post_init__(self):
        self.gate = self.personality.gate()

    # ------------------------------------------------------------ the face calls these

    def accept(self, request: ExtractionRequest) -> dict:
        """Take an extraction request (idempotent on request_id): stored, then worked in the background."""
        if request.supplier != self.name:
            raise RequestRefused("supplier", f"this is {self.name}, not {request.supplier}")
        foreign = [p for p in request.practices if p not in self.practices]
        if foreign:
            raise RequestRefused("practices", f"{foreign[0]} is not a {self.name} practice")
        if self.gpes_url and not request.submit_to.startswith(self.gpes_url.rstrip("/") + "/"):
            raise RequestRefused("submit_to", f"{self.name} submits only to the GPES it is registered with "
                                              f"({self.gpes_url}), not {request.submit_to}")
        job_id = str(uuid.uuid5(JOB_NS, f"{self.name}/{request.request_id}"))
        try:
            with writing(self.sessions) as s:
                s.execute(insert(SupplierJob).values(job_id=job_id, request_id=request.request_id, supplier=self.name,
                                                     request=request.model_dump_json(), status="accepted",
                                                     created_at=utcnow()))
        except IntegrityError:
            pass  # the same request again (GPES retried after a timeout): the same job
        self._wake.set()
        return self.job(job_id)

    def job(self, job_id: str) -> dict | None:
        with self.sessions() as s:
            j = s.get(SupplierJob, job_id)
            if j is None:
                return None
            sends = s.execute(select(SupplierSend.practice_code, SupplierSend.status)
                              .where(SupplierSend.job_id == job_id)).all()
        practices = len(ExtractionRequest.model_validate_json(j.request).practices)
        answered = {p for p, st in sends if final(st)}
        return {"job_id": j.job_id, "request_id": j.request_id, "supplier": j.supplier, "status": j.status,
                "reason": j.reason, "practices": practices, "practices_answered": len(answered),
                "sends": len(sends), "accepted": sum(1 for _, st in sends if st in (200, 201)),
                "refused": sum(1 for _, st in sends if 400 <= st < 500),
                "retried": sum(1 for _, st in sends if not final(st))}

    def jobs(self) -> list[dict]:
        with self.sessions() as s:
            ids = list(s.scalars(select(SupplierJob.job_id).order_by(SupplierJob.created_at)))
        return [self.job(i) for i in ids]

    def outbox(self, request_ids: list[str] | None = None) -> list[dict]:
        """Every body sent and GPES's answer, in order; ``final`` is False for an attempt that got no
        answer or a 5xx (it was retried)."""
        q = select(SupplierSend).order_by(SupplierSend.id)
        if request_ids:
            q = q.where(SupplierSend.request_id.in_(request_ids))
        with self.sessions() as s:
            return [{"extract_id": o.extract_id, "practice_code": o.practice_code, "request_id": o.request_id,
                     "job_id": o.job_id, "sha256": o.sha256, "status": o.status, "final": final(o.status),
                     "answer": o.answer, "body": o.body.decode()} for o in s.scalars(q)]

    # ------------------------------------------------------------ the background worker

    def start(self) -> None:
        """Start the worker; it resumes any job a previous process left unfinished."""
        self._stop.clear()
        self._worker = threading.Thread(target=self._loop, name=f"supplier-{self.name}-jobs", daemon=True)
        self._worker.start()
        self._wake.set()

    def stop(self, timeout: float = 10) -> None:
        self._stop.set()
        self._wake.set()
        if self._worker is not None:
            self._worker.join(timeout)

    def _loop(self) -> None:
        while not self._stop.is_set():
            with self.sessions() as s:
                job = s.scalars(select(SupplierJob).where(SupplierJob.status.in_(("accepted", "running")))
                                .order_by(SupplierJob.created_at)).first()
            if job is None:
                self._wake.wait(1.0)
                self._wake.clear()
                continue
            try:
                self._run(job.job_id, ExtractionRequest.model_validate_json(job.request))
            except Exception as exc:  # a job that cannot run is reported, never silently dropped
                log.exception("job %s failed", job.job_id)
                self._finish(job.job_id, "failed", f"{type(exc).__name__}: {exc}"[:500])

    def _finish(self, job_id: str, status: str, reason: str | None = None) -> None:
        with writing(self.sessions) as s:
            s.execute(update(SupplierJob).where(SupplierJob.job_id == job_id)
                      .values(status=status, reason=reason, finished_at=utcnow()))

    def _run(self, job_id: str, request: ExtractionRequest) -> None:
        with writing(self.sessions) as s:
            s.execute(update(SupplierJob).where(SupplierJob.job_id == job_id).values(status="running"))
            done = {p for p, st in s.execute(select(SupplierSend.practice_code, SupplierSend.status)
                                             .where(SupplierSend.job_id == job_id)) if final(st)}
        todo = [p for p in request.practices if p not in done]
        if todo:
            late = set(self.personality.late)
            held = []  # late practices' extracts, sent after every other
            http = new_session(self.token)
            # One chunk of practices at a time: counted, then sent by the sender thread while the
            # next chunk is counted (GPES's answers overlap the engine's work; one chunk in flight).
            with ThreadPoolExecutor(1, thread_name_prefix=f"supplier-{self.name}-send") as sender:
                sending = None
                for counts, groups in count_chunks(self.catalogue, request, self.patients, self.events, todo,
                                                   self.chunk_patients):
                    ready = []
                    for code in [p for p in todo if p in counts]:
                        x = build_extract(request, counts[code], target_populations=groups.get(code, {}))
                        (held if code in late else ready).append((code, x))
                    if sending is not None and not sending.result():
                        return  # stopping: resumed by the next process
                    sending = sender.submit(self._send_all, http, job_id, request, ready)
                if sending is not None and not sending.result():
                    return
            if held:
                self._stop.wait(self.personality.late_s)
            if not self._send_all(http, job_id, request, sorted(held, key=lambda h: todo.index(h[0]))):
                return
        self._finish(job_id, "done")

    def _send_all(self, http: requests.Session, job_id: str, request: ExtractionRequest, extracts: list) -> bool:
        """Each (practice, extract) as its faults shape it: in batches when GPES takes them
        (``submit_batch_to``, and ``batch_size`` > 1), else one at a time. False: stopping."""
        sends = [(code, x.extract_id, body) for code, x in extracts
                 for body in self.faults.bodies(code, x.canonical_bytes())]
        if request.submit_batch_to and self.batch_size > 1:
            for i in range(0, len(sends), self.batch_size):
                if self._stop.is_set() or not self._submit_many(http, job_id, request, sends[i:i + self.batch_size]):
                    return False
            return True
        for code, extract_id, body in sends:
            if self._stop.is_set() or not self._submit(http, job_id, request, code, extract_id, body):
                return False
        return True

    def _submit_many(self, http: requests.Session, job_id: str, request: ExtractionRequest,
                     sends: list[tuple[str, str, bytes]]) -> bool:
        """A batch (``POST submit_batch_to``), each body answered on its own. False: stopping."""
        def post(batch: list[tuple[str, str, bytes]]) -> list[tuple[int, str | None]]:
            answer = post_extracts(http, request.submit_batch_to, [body for _, _, body in batch],
                                   timeout=self.http_timeout_s)
            results = answer.json.get("results") if isinstance(answer.json, dict) else None
            if answer.status == 200 and isinstance(results, list) and len(results) == len(batch):
                return [(r["status"], None if r["status"] < 300 else json.dumps(r.get("detail"))[:2000])
                        for r in results]
            status = answer.status if answer.status != 200 else 0  # refused whole (final) or not answered
            return [(status, f"batch answered {answer.status}: {str(answer.json)[:1900]}")] * len(batch)

        return self._send_until_answered(job_id, request, sends, post)

    def _submit(self, http: requests.Session, job_id: str, request: ExtractionRequest, practice: str,
                extract_id: str, body: bytes) -> bool:
        """One body alone (``POST submit_to``). False: stopping."""
        def post(one: list[tuple[str, str, bytes]]) -> list[tuple[int, str | None]]:
            answer = post_extract(http, request.submit_to, one[0][2], timeout=self.http_timeout_s)
            return [(answer.status, None if answer.status < 300 else str(answer.json)[:2000])]

        return self._send_until_answered(job_id, request, [(practice, extract_id, body)], post)

    def _send_until_answered(self, job_id: str, request: ExtractionRequest, sends: list[tuple[str, str, bytes]],
                             post) -> bool:
        """Send until GPES has answered each body for good (2xx or 4xx); what got no answer or a 5xx is
        sent again (on its own, without the answered ones), backing off, until ``submit_deadline_s``.
        Every attempt is recorded with GPES's answer. False: stopping."""
        deadline = time.monotonic() + self.submit_deadline_s
        delay = 0.05
        while sends:
            try:
                verdicts = post(sends)
            except requests.RequestException as exc:
                verdicts = [(0, f"{type(exc).__name__}: {exc}"[:2000])] * len(sends)
            at = utcnow()
            with writing(self.sessions) as s:
                s.connection().execute(SupplierSend.__table__.insert(), [
                    {"job_id": job_id, "request_id": request.request_id, "practice_code": code,
                     "extract_id": extract_id, "sha256": sha256(body), "body": body, "status": status,
                     "answer": reason, "at": at} for (code, extract_id, body), (status, reason) in zip(sends, verdicts)])
            sends = [send for send, (status, _) in zip(sends, verdicts) if not final(status)]
            if not sends:
                return True
            if time.monotonic() + delay > deadline:
                raise RuntimeError(f"GPES gave no answer for {sends[0][0]} within {self.submit_deadline_s:.0f} s "
                                   f"(last: {verdicts[-1][1]})")
            if self._stop.wait(delay):
                return False
            delay = min(delay * 2, 2.0)
        return True
