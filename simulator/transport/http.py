"""HTTP clients between the services, on ``requests`` (so tests mock them with ``responses``).

Extract bodies travel as raw bytes with their SHA-256 in ``X-Content-SHA256``: GPES forwards the
bytes it received, untouched, and CQRS checks the checksum before it stores anything.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import requests

from simulator.contracts import (BulkManualEntries, BulkResult, ExtractionRequest, ExtractionSpec, ManualEntries,
                                 ManualEntryResult, PaymentRun, PracticeAchievement, PracticeManualEntries, sha256)
from simulator.contracts.headers import SHA_HEADER

JSON = {"Content-Type": "application/json"}
LONG_S = 3600.0  # what one call doing a whole run's work (calculation, payment run) is given to answer


class ServiceError(RuntimeError):
    """A peer answered with an unexpected status; carries the status and the peer's reason."""

    def __init__(self, url: str, status: int, body: str):
        super().__init__(f"{url} answered {status}: {body[:500]}")
        self.status = status
        self.body = body


def new_session(token: str | None = None) -> requests.Session:
    """A keep-alive session that ignores proxy variables: services meet on loopback only (and reading
    the environment on every request costs more than the request). ``token``: the caller's bearer
    credential, sent on every request of the session."""
    s = requests.Session()
    s.trust_env = False
    if token:
        s.headers["Authorization"] = f"Bearer {token}"
    return s


@dataclass
class Answer:
    status: int
    json: dict | list | None


class _Client:
    def __init__(self, base_url: str, session: requests.Session | None = None, timeout: float = 60.0,
                 token: str | None = None):
        self.base_url = base_url.rstrip("/")
        self.http = session or new_session(token)
        self.timeout = timeout

    def _url(self, path: str) -> str:
        return f"{self.base_url}{path}"

    def _ok(self, r: requests.Response, *ok: int) -> requests.Response:
        if r.status_code not in (ok or (200,)):
            raise ServiceError(r.request.url, r.status_code, r.text)
        return r

    def get_json(self, path: str):
        return self._ok(self.http.get(self._url(path), timeout=self.timeout)).json()

    def post_json(self, path: str, payload: dict | None = None, *ok: int):
        return self._ok(self.http.post(self._url(path), json=payload or {}, timeout=self.timeout), *ok).json()


def post_extract(http: requests.Session, url: str, body: bytes, timeout: float = 60.0) -> Answer:
    """POST an extract's exact bytes with their checksum; every status is returned, none raised."""
    r = http.post(url, data=body, headers={**JSON, SHA_HEADER: sha256(body)}, timeout=timeout)
    try:
        payload = r.json()
    except ValueError:
        payload = None
    return Answer(r.status_code, payload)


def post_extracts(http: requests.Session, url: str, bodies: list[bytes], timeout: float = 60.0) -> Answer:
    """POST several extracts as one ExtractBatch (each its exact text and checksum); every status is
    returned, none raised. On 200 the answer's ``results`` hold one verdict per body, in order."""
    payload = {"extracts": [{"sha256": sha256(b), "body": b.decode()} for b in bodies]}
    r = http.post(url, data=json.dumps(payload, separators=(",", ":")), headers=JSON, timeout=timeout)
    try:
        answer = r.json()
    except ValueError:
        answer = None
    return Answer(r.status_code, answer)


class SupplierClient(_Client):
    def request_extraction(self, request: ExtractionRequest) -> dict:
        """The supplier answers 202 at once with its job (the extracts follow, each sent to GPES)."""
        r = self.http.post(self._url("/extraction-requests"), data=request.model_dump_json(), headers=JSON,
                           timeout=self.timeout)
        return self._ok(r, 202).json()

    def job(self, job_id: str) -> dict:
        return self.get_json(f"/jobs/{job_id}")

    def jobs(self) -> list[dict]:
        return self.get_json("/jobs")

    def outbox(self, request_ids: list[str] | None = None) -> list[dict]:
        return self._ok(self.http.get(self._url("/outbox"), params={"request_id": request_ids or []},
                                      timeout=self.timeout)).json()


class GpesClient(_Client):
    def spec(self) -> ExtractionSpec:
        return ExtractionSpec.model_validate_json(self._ok(self.http.get(self._url("/spec"), timeout=self.timeout)).content)

    def submit(self, body: bytes) -> Answer:
        return post_extract(self.http, self._url("/extracts"), body, self.timeout)

    def start_collection(self) -> dict:
        """A new collection: one request per supplier, dispatched by GPES in the background."""
        return self._ok(self.http.post(self._url("/collections"), timeout=self.timeout), 202).json()

    def collection(self, collection_id: str) -> dict:
        return self.get_json(f"/collections/{collection_id}")

    def retry_forwarding(self) -> dict:
        return self.post_json("/forwarding/retry")

    def create_request(self, supplier: str, practices: list[str] | None = None) -> ExtractionRequest:
        r = self._ok(self.http.post(self._url("/requests"), json={"supplier": supplier, "practices": practices},
                                    timeout=self.timeout), 201)
        return ExtractionRequest.model_validate_json(r.content)

    def receipts(self, request_ids: list[str] | None = None) -> list[dict]:
        return self._ok(self.http.get(self._url("/receipts"), params={"request_id": request_ids or []},
                                      timeout=self.timeout)).json()


class CqrsClient(_Client):
    def forward(self, body: bytes) -> Answer:
        return post_extract(self.http, self._url("/extracts"), body, self.timeout)

    def forward_many(self, bodies: list[bytes]) -> list[dict]:
        """Several extracts in one request, each its exact text and checksum; per-item results in order."""
        payload = {"extracts": [{"sha256": sha256(b), "body": b.decode()} for b in bodies]}
        r = self.http.post(self._url("/extracts/batch"), json=payload, timeout=self.timeout)
        return self._ok(r).json()["results"]

    def extracts(self, request_ids: list[str] | None = None) -> list[dict]:
        return self._ok(self.http.get(self._url("/extracts"), params={"request_id": request_ids or []},
                                      timeout=self.timeout)).json()

    def extract_body(self, extract_id: str) -> bytes:
        return self._ok(self.http.get(self._url(f"/extracts/{extract_id}/body"), timeout=self.timeout)).content

    def calculate(self) -> dict:
        """The whole run's calculation (minutes for a national run: waited for as long as it takes)."""
        return self._ok(self.http.post(self._url("/calculations"), json={}, timeout=max(self.timeout, LONG_S))).json()

    def achievement(self, practice_code: str) -> PracticeAchievement:
        r = self._ok(self.http.get(self._url(f"/practices/{practice_code}/achievement"), timeout=self.timeout))
        return PracticeAchievement.model_validate_json(r.content)

    def enter_manual(self, practice_code: str, entries: ManualEntries) -> ManualEntryResult:
        r = self.http.post(self._url(f"/practices/{practice_code}/manual-entries"), data=entries.model_dump_json(),
                           headers=JSON, timeout=self.timeout)
        return ManualEntryResult.model_validate_json(self._ok(r, 200, 201).content)

    def manual_entries(self, practice_code: str) -> list[dict]:
        return self.get_json(f"/practices/{practice_code}/manual-entries")

    def declare(self, practice_code: str, declared_by: str) -> dict:
        return self.post_json(f"/practices/{practice_code}/declaration", {"declared_by": declared_by})

    def decide(self, practice_code: str, approver: str, decision: str = "approve", reason: str = "") -> dict:
        return self.post_json(f"/practices/{practice_code}/approval",
                              {"approver": approver, "decision": decision, "reason": reason})

    def enter_manual_many(self, items: list[tuple[str, ManualEntries]]) -> BulkResult:
        """Many practices' manual entries in one request; each practice answered in the result."""
        body = BulkManualEntries(practices=tuple(
            PracticeManualEntries(practice_code=code, entered_by=e.entered_by,
                                  entries=[x.model_dump(exclude_none=True) for x in e.entries]) for code, e in items))
        r = self.http.post(self._url("/manual-entries"), data=body.model_dump_json(), headers=JSON, timeout=self.timeout)
        return BulkResult.model_validate_json(self._ok(r).content)

    def declare_many(self, items: list[tuple[str, str]]) -> BulkResult:
        """(practice, declared_by) each, in one request."""
        body = {"declarations": [{"practice_code": c, "declared_by": by} for c, by in items]}
        return BulkResult.model_validate_json(self._ok(self.http.post(self._url("/declarations"), json=body,
                                                                      timeout=self.timeout)).content)

    def decide_many(self, items: list[tuple[str, str, str, str]]) -> BulkResult:
        """(practice, approver, decision, reason) each, in one request."""
        body = {"approvals": [{"practice_code": c, "approver": a, "decision": d, "reason": r} for c, a, d, r in items]}
        return BulkResult.model_validate_json(self._ok(self.http.post(self._url("/approvals"), json=body,
                                                                      timeout=self.timeout)).content)

    def _pages(self, path: str, key: str, params: dict | None = None, limit: int = 500):
        """Every line of an NDJSON listing, a page at a time (``after`` the last line's ``key``)."""
        after = ""
        while True:
            r = self._ok(self.http.get(self._url(path), params={**(params or {}), "after": after, "limit": limit},
                                       timeout=self.timeout))
            page = r.content.splitlines()
            for line in page:
                yield line
            if len(page) < limit:
                return
            after = json.loads(page[-1])[key]

    def achievements_all(self, limit: int = 500):
        """Every calculated record, as one JSON document (bytes) each, by practice code."""
        return self._pages("/achievements", "practice_code", limit=limit)

    def workflow_all(self, limit: int = 500):
        """{practice_code, state, extract_id, history} (bytes) per practice record CQRS holds."""
        return self._pages("/workflow", "practice_code", limit=limit)

    def manual_entries_all(self, limit: int = 500):
        """{practice_code, entries} (bytes) per practice that entered any."""
        return self._pages("/manual-entries", "practice_code", limit=limit)

    def extract_bodies(self, request_ids: list[str] | None = None, limit: int = 500):
        """(extract_id, sha256, body bytes) of every stored extract (of these requests)."""
        for line in self._pages("/extract-bodies", "extract_id", {"request_id": request_ids or []}, limit):
            x = json.loads(line)
            yield x["extract_id"], x["sha256"], x["body"].encode()

    def audit(self, practice_code: str | None = None, limit: int = 2000) -> list[dict]:
        """CQRS's audit log (the auditor's), oldest first, every page of it; ``practice_code``: that practice's."""
        out: list[dict] = []
        while True:
            params = {"after": out[-1]["id"] if out else 0, "limit": limit,
                      **({"practice_code": practice_code} if practice_code else {})}
            page = self._ok(self.http.get(self._url("/audit"), params=params, timeout=self.timeout)).json()
            out += page
            if len(page) < limit:
                return out

    def payment_run(self) -> PaymentRun:
        r = self._ok(self.http.post(self._url("/payment-runs"), timeout=max(self.timeout, LONG_S)), 201)
        return PaymentRun.model_validate_json(r.content)
