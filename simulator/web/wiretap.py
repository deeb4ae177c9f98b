"""A record of every message a service received and answered, for the identifier scan after a test
session (``simulator/identifier_scan.py``): what crossed a service boundary, whoever sent it.

Off unless ``QOFSIM_WIRE_TAP`` names a folder (the test session sets it; services started as
processes inherit it). Then each exchange is one JSON line in ``<folder>/<service>-<pid>.wire.ndjson``:
method, path, status, the response body, and the request body and query when the service took them
(any status but 4xx). A request refused with a 4xx is the sender's input under test (a faulty supplier's extract
carrying an NHS number, say): what must hold of it is that nothing of it was stored or echoed back,
and the stores and the answer are scanned for that.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

from fastapi import FastAPI

ENV = "QOFSIM_WIRE_TAP"


def install_wire_tap(app: FastAPI, service: str) -> None:
    """Record ``app``'s exchanges when ``QOFSIM_WIRE_TAP`` is set (added last: it sees every answer,
    the body guard's refusals included)."""
    folder = os.environ.get(ENV)
    if folder:
        app.add_middleware(WireTap, folder=Path(folder), service=service)


class WireTap:
    """ASGI middleware: passes everything through unchanged and appends the exchange to the tap file."""

    def __init__(self, app, folder: Path, service: str):
        self.app, self.folder, self.service = app, folder, service
        self.lock = threading.Lock()

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        request: list[bytes] = []
        response: list[bytes] = []
        status = 0

        async def tapped_receive():
            message = await receive()
            if message["type"] == "http.request":
                request.append(message.get("body", b""))
            return message

        async def tapped_send(message):
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                response.append(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, tapped_receive, tapped_send)
        finally:
            self._write(scope, status, b"".join(request), b"".join(response))

    def _write(self, scope, status: int, request: bytes, response: bytes) -> None:
        took = not 400 <= status < 500
        query = scope.get("query_string", b"").decode("latin-1") if took else ""
        line = json.dumps({"service": self.service, "method": scope["method"],
                           "path": scope["path"] + (f"?{query}" if query else ""), "status": status,
                           "request": request.decode("utf-8", "replace") if took else None,
                           "response": response.decode("utf-8", "replace")}) + "\n"
        with self.lock:
            self.folder.mkdir(parents=True, exist_ok=True)
            with (self.folder / f"{self.service}-{os.getpid()}.wire.ndjson").open("a", encoding="utf-8") as f:
                f.write(line)
