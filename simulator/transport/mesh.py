"""MESH between GPES and CQRS, on ``mesh-client``: store-and-forward mailboxes instead of a POST.

GPES sends each extract's exact bytes as one MESH message to CQRS's mailbox (chunked when larger
than ``chunk_size``), its extract id as the message's ``local_id`` and its SHA-256 in the subject.
CQRS polls its inbox, checks and stores each message as ``POST /extracts`` would, answers GPES
with a *verdict* message (the status ``POST /extracts`` would have answered: 201, 200, 409 or 422)
and only then acknowledges the extract's message. A message not acknowledged stays in the inbox,
so a CQRS killed half-way takes it again when it restarts; storing is idempotent on extract id.

The message shapes live here because both ends read them (GPES and CQRS never import each other).
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass

import requests
import urllib3
from mesh_client import MeshClient, MeshError
from pydantic import BaseModel, ConfigDict, Field

EXTRACT_SUBJECT = "qofsim extract sha256="
VERDICT_SUBJECT = "qofsim verdict"
# MESH did not take or give a message: try again later (mesh-client's retry re-raises urllib3's own
# error, not requests', once its retries are spent)
ERRORS = (requests.RequestException, urllib3.exceptions.HTTPError, MeshError)
_SHA = re.compile(r"^qofsim extract sha256=([0-9a-f]{64})$")


class MeshSettings(BaseModel):
    """One side's mailbox on a MESH server, and where it sends."""

    model_config = ConfigDict(extra="forbid")

    url: str = Field(description="the MESH server (a mesh-sandbox on loopback in a world)")
    mailbox: str = Field(description="this service's own mailbox id")
    password: str = Field(description="the mailbox's password")
    shared_key: str = Field(description="the MESH environment's shared key (signs every request's token)")
    peer: str = Field(description="the mailbox this service sends to (GPES: CQRS's; CQRS: GPES's)")
    workflow_id: str = Field(description="the workflow this service's messages travel on")
    chunk_size: int = Field(20 << 20, gt=0, description="a message larger than this is sent in chunks")
    poll_s: float = Field(0.5, gt=0, description="how often the inbox is listed when it was last empty")
    resend_s: float = Field(600.0, gt=0, description="GPES: an extract with no verdict after this is sent again")


def mesh_settings_given(cfg):
    """A service whose ``transport`` is mesh has its ``mesh`` settings (the after-validator of GPES's
    and CQRS's configurations)."""
    if cfg.transport == "mesh" and cfg.mesh is None:
        raise ValueError("transport mesh needs the mesh settings (url, mailbox, password, shared_key, peer, "
                         "workflow_id)")
    return cfg


@dataclass
class Received:
    message_id: str
    body: bytes
    sender: str | None
    subject: str | None
    local_id: str | None
    workflow_id: str | None


def extract_subject(digest: str) -> str:
    return f"{EXTRACT_SUBJECT}{digest}"


def subject_sha(subject: str | None) -> str | None:
    """The SHA-256 an extract's message claims for its bytes (None: the subject carries none)."""
    m = _SHA.match(subject or "")
    return m.group(1) if m else None


def verdict(message_id: str, extract_id: str | None, digest: str, status: int, detail) -> bytes:
    """What CQRS answers GPES about one extract message: the status POST /extracts would have given."""
    return json.dumps({"message_id": message_id, "extract_id": extract_id, "sha256": digest, "status": status,
                       "detail": detail}, separators=(",", ":")).encode()


def read_verdict(body: bytes) -> dict:
    """A verdict message's fields; ValueError when it is not one."""
    v = json.loads(body)
    if not isinstance(v, dict) or not isinstance(v.get("status"), int) or not isinstance(v.get("sha256"), str):
        raise ValueError("not a qofsim verdict")
    return v


class Mailbox:
    """One mailbox's calls, one at a time (the forwarder's threads and the poller share it)."""

    def __init__(self, settings: MeshSettings, timeout: float = 60.0):
        self.settings = settings
        self.timeout = timeout
        self._lock = threading.Lock()
        self._client: MeshClient | None = None

    def _mesh(self) -> MeshClient:
        if self._client is None:
            s = self.settings
            self._client = MeshClient(s.url, s.mailbox, s.password, shared_key=s.shared_key.encode(),
                                      max_chunk_size=s.chunk_size, timeout=self.timeout, max_retries=2,
                                      application_name="qofsim")
            self._client._session.trust_env = False  # loopback: no proxy variables (as transport.http)
        return self._client

    def send(self, body: bytes, local_id: str, subject: str) -> str:
        """One message to the peer mailbox (in chunks when large); returns its MESH message id."""
        with self._lock:
            return self._mesh().send_message(self.settings.peer, body, workflow_id=self.settings.workflow_id,
                                             local_id=local_id, subject=subject, content_type="application/json")

    def inbox(self, limit: int = 500) -> list[str]:
        """Ids of the messages waiting in this mailbox (not yet acknowledged), oldest first."""
        with self._lock:
            return self._mesh().list_messages(max_results=limit)

    def receive(self, message_id: str) -> Received:
        """The message's whole body (every chunk) and its headers; it stays in the inbox until acknowledged."""
        with self._lock:
            m = self._mesh().retrieve_message(message_id)
            try:
                body = m.read()
            finally:
                m.close()
        return Received(message_id, body, getattr(m, "sender", None), getattr(m, "subject", None),
                        getattr(m, "local_id", None), getattr(m, "workflow_id", None))

    def acknowledge(self, message_id: str) -> None:
        with self._lock:
            self._mesh().acknowledge_message(message_id)

    def track(self, message_id: str) -> dict:
        """What MESH knows of a message this mailbox sent (``status``: accepted, acknowledged, ...)."""
        with self._lock:
            return dict(self._mesh().track_message(message_id))

    def close(self) -> None:
        with self._lock:
            if self._client is not None:
                self._client.close()
                self._client = None
