"""CQRS's MESH inbox: the extracts GPES sends over MESH, taken in by the same path as POST /extracts.

A poller thread lists CQRS's mailbox; for each message it reads the whole body (every chunk),
checks the SHA-256 its subject claims, and stores it through ``Cqrs.ingest_many`` (the batch route's
path: the same checks, the same idempotency on extract id). Only when the store has committed does
it answer GPES with a verdict message and acknowledge the extract's message; a refused extract is
written to the audit log with the reasons, answered and acknowledged too (GPES shows it "refused by
CQRS"). A message not acknowledged, because CQRS was killed or the store failed, is in the inbox
at the next poll: stored once however often it is taken.
"""

from __future__ import annotations

import logging
import threading

from simulator.contracts import sha256
from simulator.contracts.credentials import Principal
from simulator.cqrs import audit
from simulator.cqrs.service import Cqrs
from simulator.transport import mesh as meshes

log = logging.getLogger("qofsim.cqrs.mesh")


class MeshInbox:
    def __init__(self, cqrs: Cqrs, mailbox: meshes.Mailbox):
        self.cqrs = cqrs
        self.mailbox = mailbox
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def poll(self) -> int:
        """Take every message waiting; returns how many were answered and acknowledged."""
        return sum(self.take(message_id) for message_id in self.mailbox.inbox())

    def take(self, message_id: str) -> bool:
        m = self.mailbox.receive(message_id)
        sender = Principal(role="gpes", sub=f"MESH mailbox {m.sender}")
        claimed = meshes.subject_sha(m.subject)
        digest = claimed or sha256(m.body)  # the verdict names the bytes GPES sent (their claimed checksum)
        if m.sender != self.mailbox.settings.peer:
            result = {"status": 403, "extract_id": None, "detail": [
                {"field": "sender", "reason": f"MESH mailbox {m.sender} is not GPES's ({self.mailbox.settings.peer})"}]}
        elif claimed is None:
            result = {"status": 422, "extract_id": None, "detail": [
                {"field": "subject", "reason": f"no SHA-256 in the message's subject {m.subject!r}"}]}
        else:
            result = self.cqrs.ingest_many([(m.body, claimed)])[0]
        status = result["status"]
        if status >= 500:  # not stored: left in the inbox, taken again at the next poll
            log.warning("MESH message %s not stored (%s): left unacknowledged", message_id, result.get("detail"))
            return False
        if status == 201:
            audit.record(self.cqrs.sessions, sender, "extract stored", [(result["practice_code"], None, {
                "extract_id": result["extract_id"], "sha256": result["sha256"], "mesh_message_id": message_id})])
        elif status not in (200, 201):
            audit.record(self.cqrs.sessions, sender, "extract refused", [(None, None, {
                "extract_id": result.get("extract_id") or m.local_id, "sha256": sha256(m.body), "status": status,
                "detail": result.get("detail"), "mesh_message_id": message_id})])
        if status != 403:  # a stranger's message is not answered (GPES's mailbox is the only peer)
            self.mailbox.send(meshes.verdict(message_id, result.get("extract_id") or m.local_id, digest, status,
                                             result.get("detail")),
                              local_id=message_id, subject=meshes.VERDICT_SUBJECT)
        self.mailbox.acknowledge(message_id)
        return True

    # ------------------------------------------------------------ the poller thread

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="cqrs-mesh-inbox", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        self.mailbox.close()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                busy = self.poll()
            except meshes.ERRORS as exc:  # MESH unreachable for a moment: tried again
                log.warning("MESH: %s: %s", type(exc).__name__, exc)
                busy = 0
            except Exception:  # a failing poll is logged and retried, never kills the poller
                log.exception("MESH inbox poll failed")
                busy = 0
            if not busy:
                self._stop.wait(self.mailbox.settings.poll_s)
