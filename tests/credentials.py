"""Credentials for tests that build services in-process: one issuer key pair for the session, the
Auth every app under test checks with, and tokens / headers for each role."""

from __future__ import annotations

import tempfile
from pathlib import Path

from simulator.contracts.credentials import Issuer, make_keys
from simulator.transport.http import GpesClient, new_session, post_extract
from simulator.web.auth import Auth

PRIVATE, PUBLIC = make_keys(Path(tempfile.mkdtemp(prefix="qofsim-test-keys-")))
ISSUER = Issuer.from_file(PRIVATE)
AUTH = Auth.from_key(PUBLIC)


def token(role: str, **scope) -> str:
    return ISSUER.token(role, **scope)


def bearer(role: str, **scope) -> dict:
    return {"Authorization": f"Bearer {token(role, **scope)}"}


class OperatorAndSupplier(GpesClient):
    """GPES as its operator, except ``submit``, which sends as the supplier (two callers, one handle)."""

    def __init__(self, url: str, supplier: str = "TPP", timeout: float = 60.0):
        super().__init__(url, timeout=timeout, token=token("gpes"))
        self.supplier_http = new_session(token("supplier", supplier=supplier))

    def submit(self, body: bytes):
        return post_extract(self.supplier_http, self._url("/extracts"), body, self.timeout)
