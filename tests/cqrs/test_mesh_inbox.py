"""CQRS's MESH inbox, against a real mesh-sandbox: stored as POST /extracts stores, answered, acknowledged."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from simulator.contracts import sha256
from simulator.cqrs.mesh_inbox import MeshInbox
from simulator.cqrs.service import Cqrs
from simulator.db import CqrsAudit, sessions
from simulator.transport import mesh as meshes
from tests.cqrs.test_batch_ingest import CAT, extract


@pytest.fixture
def inbox(tmp_path, mesh_pair):
    _, cqrs_box = mesh_pair
    cqrs = Cqrs(sessions(f"sqlite:///{tmp_path / 'cqrs.db'}"), CAT, {"A81001": "05X", "B82005": "05X"}, tmp_path)
    return MeshInbox(cqrs, cqrs_box)


def send(gpes, body: bytes, claimed: str | None = None, local_id: str = "x-1") -> str:
    return gpes.send(body, local_id=local_id, subject=meshes.extract_subject(claimed or sha256(body)))


def verdicts(gpes) -> list[dict]:
    out = []
    for message_id in gpes.inbox():
        out.append(meshes.read_verdict(gpes.receive(message_id).body))
        gpes.acknowledge(message_id)
    return out


def audit(inbox: MeshInbox) -> list[CqrsAudit]:
    with inbox.cqrs.sessions() as s:
        return list(s.scalars(select(CqrsAudit).order_by(CqrsAudit.id)))


def test_an_extract_is_stored_once_answered_and_acknowledged_however_often_it_comes(inbox, mesh_pair):
    gpes, cqrs_box = mesh_pair
    body = extract("x-1")
    first = send(gpes, body)
    assert inbox.poll() == 1
    assert cqrs_box.inbox() == [], "acknowledged once stored"
    assert gpes.track(first)["status"] == "acknowledged"
    again = send(gpes, body)  # GPES sending it again (it heard nothing back in time)
    assert inbox.poll() == 1
    assert [(v["message_id"], v["extract_id"], v["sha256"], v["status"]) for v in verdicts(gpes)] == [
        (first, "x-1", sha256(body), 201), (again, "x-1", sha256(body), 200)]
    assert [x["extract_id"] for x in inbox.cqrs.extracts()] == ["x-1"]
    assert inbox.cqrs.extract_body("x-1") == body
    [stored] = audit(inbox)
    assert (stored.role, stored.identity, stored.action, stored.practice_code) == (
        "gpes", "MESH mailbox X26ABC1", "extract stored", "A81001")
    assert stored.after["mesh_message_id"] == first


@pytest.mark.parametrize("body, claimed, field", [
    (extract("x-2"), "0" * 64, "X-Content-SHA256"),  # changed on the way: the subject's checksum differs
    (extract("x-2", practice="Z99999"), None, "practice_code"),  # a practice CQRS does not know
    (b"{not json", None, "body"),
])
def test_a_refused_extract_is_answered_with_the_reason_logged_and_acknowledged(inbox, mesh_pair, body, claimed, field):
    gpes, cqrs_box = mesh_pair
    message_id = send(gpes, body, claimed, local_id="x-2")
    assert inbox.poll() == 1
    assert cqrs_box.inbox() == []
    [v] = verdicts(gpes)
    assert (v["message_id"], v["extract_id"], v["sha256"], v["status"]) == (message_id, "x-2",
                                                                            claimed or sha256(body), 422)
    assert v["detail"][0]["field"] == field
    assert inbox.cqrs.extracts() == []
    [refused] = audit(inbox)
    assert refused.action == "extract refused" and refused.after["status"] == 422
    assert refused.after["mesh_message_id"] == message_id and refused.after["sha256"] == sha256(body)


def test_a_message_without_a_checksum_is_refused(inbox, mesh_pair):
    gpes, _ = mesh_pair
    gpes.send(extract("x-3"), local_id="x-3", subject="no checksum here")
    assert inbox.poll() == 1
    [v] = verdicts(gpes)
    assert v["status"] == 422 and v["detail"][0]["field"] == "subject"
    assert inbox.cqrs.extracts() == []


def test_a_store_that_fails_leaves_the_message_for_the_next_poll(inbox, mesh_pair, monkeypatch):
    gpes, cqrs_box = mesh_pair
    message_id = send(gpes, extract("x-4"))
    real = inbox.cqrs.ingest_many
    monkeypatch.setattr(inbox.cqrs, "ingest_many", lambda items: [
        {"status": 503, "extract_id": "x-4", "detail": [{"field": "extract_id", "reason": "not stored"}]}])
    assert inbox.poll() == 0
    assert cqrs_box.inbox() == [message_id] and gpes.inbox() == [], "neither acknowledged nor answered"
    monkeypatch.setattr(inbox.cqrs, "ingest_many", real)
    assert inbox.poll() == 1
    assert [v["status"] for v in verdicts(gpes)] == [201]
    assert [x["extract_id"] for x in inbox.cqrs.extracts()] == ["x-4"]


def test_the_poller_thread_takes_what_arrives_and_stops(inbox, mesh_pair):
    import time

    gpes, cqrs_box = mesh_pair
    inbox.start()
    try:
        send(gpes, extract("x-5"))
        deadline = time.monotonic() + 20
        while not inbox.cqrs.extracts() and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        inbox.stop()
    assert [x["extract_id"] for x in inbox.cqrs.extracts()] == ["x-5"]
    assert not inbox._thread


def test_stored_but_not_acknowledged_is_taken_again_and_stored_once(inbox, mesh_pair, monkeypatch):
    """As if CQRS died between its store's commit and the acknowledgement: the message is still in the
    inbox, and taking it again stores nothing new (answered 200, then acknowledged)."""
    gpes, cqrs_box = mesh_pair
    message_id = send(gpes, extract("x-6"))
    real = cqrs_box.acknowledge

    def lost(_):
        raise ConnectionError("killed before the acknowledgement")

    monkeypatch.setattr(cqrs_box, "acknowledge", lost)
    with pytest.raises(ConnectionError):
        inbox.poll()
    assert [x["extract_id"] for x in inbox.cqrs.extracts()] == ["x-6"]
    assert cqrs_box.inbox() == [message_id]
    monkeypatch.setattr(cqrs_box, "acknowledge", real)
    assert inbox.poll() == 1
    assert cqrs_box.inbox() == []
    assert [v["status"] for v in verdicts(gpes)] == [201, 200]
    assert [x["extract_id"] for x in inbox.cqrs.extracts()] == ["x-6"]
