"""``qofsim conform check --url``: ask a live supplier for the population's extracts as GPES would.

The kit stands in for GPES: it listens on 127.0.0.1 for the extracts (answering each with a receipt, as
GPES does), posts the extraction request to the supplier's ``/extraction-requests`` (the endpoint of the
standalone supplier service), and waits until every practice has been answered or the time is up.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import requests

from simulator.conform.extract import request_for
from simulator.contracts import Receipt, sha256


class _Inbox:
    def __init__(self):
        self.bodies: dict[str, bytes] = {}
        self.lock = threading.Lock()


def _handler(inbox: _Inbox):
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (http.server's name)
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            try:
                doc = json.loads(body)
                code, xid = str(doc["practice_code"]), str(doc["extract_id"])
            except (ValueError, KeyError, TypeError):
                self._answer(422, {"detail": [{"field": "body", "reason": "not an extract"}]})
                return
            with inbox.lock:
                inbox.bodies[code] = body
            self._answer(201, json.loads(Receipt(extract_id=xid, practice_code=code, sha256=sha256(body),
                                                 status="accepted", received_at=dt.datetime.now(dt.timezone.utc))
                                         .model_dump_json()))

        def _answer(self, status: int, payload: dict):
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    return Handler


def supplier_of(url: str) -> str:
    """The supplier a service is, from its /health (``{"service": "supplier-EMIS"}``)."""
    r = requests.get(url.rstrip("/") + "/health", timeout=10)
    r.raise_for_status()
    name = str(r.json().get("service", ""))
    if not name.startswith("supplier-"):
        raise ValueError(f"{url} is not a supplier service (its /health says {name!r})")
    return name.removeprefix("supplier-")


def collect(population: Path, url: str, supplier: str | None = None, timeout_s: float = 120.0,
            token: str | None = None) -> tuple[str, dict[str, bytes]]:
    """(supplier, practice -> extract body) from a live supplier over the population's practices, asked as
    GPES asks (``token``: a GPES credential, which a supplier with authentication on requires)."""
    supplier = supplier or supplier_of(url)
    inbox = _Inbox()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(inbox))
    thread = threading.Thread(target=server.serve_forever, daemon=True, name="conform-inbox")
    thread.start()
    try:
        request = request_for(population, supplier).model_copy(
            update={"submit_to": f"http://127.0.0.1:{server.server_address[1]}/extracts",
                    "request_id": f"conform-{supplier}-{int(time.time())}"})
        r = requests.post(url.rstrip("/") + "/extraction-requests", data=request.model_dump_json(),
                          headers={"Content-Type": "application/json",
                                   **({"Authorization": f"Bearer {token}"} if token else {})}, timeout=30)
        if r.status_code != 202:
            raise RuntimeError(f"{url} refused the extraction request: {r.status_code} {r.text[:500]}")
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            with inbox.lock:
                if set(request.practices) <= set(inbox.bodies):
                    break
            time.sleep(0.1)
        with inbox.lock:
            return supplier, dict(inbox.bodies)
    finally:
        server.shutdown()
        server.server_close()
