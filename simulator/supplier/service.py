"""One GP-system supplier: its own practices' records, an extraction on request, an outbox."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from pathlib import Path

import requests

from simulator.contracts import ExtractionRequest, ExtractionRun, sha256
from simulator.qof.catalogue import Catalogue
from simulator.supplier.extract import build_extract, count, target_populations
from simulator.supplier.faults import Faults
from simulator.transport.http import post_extract


@dataclass
class Supplier:
    name: str
    catalogue: Catalogue
    patients: Path
    events: Path
    practices: list[str]
    outbox_path: Path
    faults: Faults = field(default_factory=Faults)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def run(self, request: ExtractionRequest) -> ExtractionRun:
        """Evaluate the rules over the requested practices (own practices only) and submit each extract."""
        foreign = [p for p in request.practices if p not in self.practices]
        if foreign:
            raise ValueError(f"practices: {foreign[0]} is not a {self.name} practice")
        counts = count(self.catalogue, self.patients, self.events, list(request.practices))
        groups = target_populations(request, self.patients)
        sent, rejected = [], []
        http = requests.Session()
        for code in request.practices:
            x = build_extract(request, counts[code], target_populations=groups.get(code, {}))
            for body in self.faults.bodies(code, x.canonical_bytes()):
                answer = post_extract(http, request.submit_to, body)
                self._log(x.extract_id, code, request.request_id, body, answer.status)
                (sent if answer.status in (200, 201) else rejected).append(x.extract_id)
        return ExtractionRun(request_id=request.request_id, supplier=self.name, extracts_sent=len(sent) + len(rejected),
                             extract_ids=tuple(dict.fromkeys(sent)), rejected=tuple(dict.fromkeys(rejected)))

    def _log(self, extract_id: str, practice: str, request_id: str, body: bytes, status: int) -> None:
        line = json.dumps({"extract_id": extract_id, "practice_code": practice, "request_id": request_id,
                           "sha256": sha256(body), "status": status, "body": body.decode()})
        with self._lock, open(self.outbox_path, "a") as f:
            f.write(line + "\n")

    def outbox(self) -> list[dict]:
        if not self.outbox_path.exists():
            return []
        with open(self.outbox_path) as f:
            return [json.loads(line) for line in f if line.strip()]

