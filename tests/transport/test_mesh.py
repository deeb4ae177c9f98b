"""The MESH mailboxes, against a real mesh-sandbox: exact bytes, chunks, headers, acknowledgement."""

from __future__ import annotations

import json

import pytest

from simulator.contracts import sha256
from simulator.transport import mesh as meshes
from simulator.world import sandbox
from tests.meshbox import mailbox


def test_an_extract_arrives_with_its_id_checksum_and_sender_and_leaves_once_acknowledged(mesh_pair):
    gpes, cqrs = mesh_pair
    body = b'{"extract_id": "x-1",   "odd":  "spacing kept"}'
    message_id = gpes.send(body, local_id="x-1", subject=meshes.extract_subject(sha256(body)))
    assert cqrs.inbox() == [message_id]
    m = cqrs.receive(message_id)
    assert (m.body, m.local_id, m.sender, m.workflow_id) == (body, "x-1", sandbox.GPES_MAILBOX,
                                                              sandbox.EXTRACT_WORKFLOW)
    assert meshes.subject_sha(m.subject) == sha256(body)
    assert cqrs.inbox() == [message_id], "read is not taken: it stays until acknowledged"
    assert gpes.track(message_id)["status"] == "accepted"
    cqrs.acknowledge(message_id)
    assert cqrs.inbox() == []
    assert gpes.track(message_id)["status"] == "acknowledged"


def test_a_message_larger_than_the_chunk_size_travels_in_chunks_and_arrives_whole(mesh_sandbox, mesh_pair):
    url, key, directory = mesh_sandbox
    _, cqrs = mesh_pair
    small = mailbox(url, key, "gpes", chunk_size=1000)
    body = json.dumps({"rows": [{"n": n, "text": "é" * (n % 7)} for n in range(400)]}).encode()
    assert len(body) > 5000
    message_id = small.send(body, local_id="x-big", subject=meshes.extract_subject(sha256(body)))
    chunks = sorted(int(p.name) for p in (directory / "mailboxes" / sandbox.CQRS_MAILBOX / "in" / message_id).iterdir())
    assert chunks == list(range(1, -(-len(body) // 1000) + 1)), "the sandbox holds it as 1,000-byte chunks"
    assert cqrs.receive(message_id).body == body
    cqrs.acknowledge(message_id)
    small.close()


def test_a_verdict_goes_back_to_gpes_on_its_own_workflow(mesh_pair):
    gpes, cqrs = mesh_pair
    cqrs.send(meshes.verdict("M1", "x-1", "a" * 64, 422, [{"field": "f", "reason": "r"}]), local_id="M1",
              subject=meshes.VERDICT_SUBJECT)
    [message_id] = gpes.inbox()
    m = gpes.receive(message_id)
    assert m.workflow_id == sandbox.VERDICT_WORKFLOW and m.sender == sandbox.CQRS_MAILBOX
    assert meshes.read_verdict(m.body) == {"message_id": "M1", "extract_id": "x-1", "sha256": "a" * 64,
                                           "status": 422, "detail": [{"field": "f", "reason": "r"}]}
    gpes.acknowledge(message_id)


def test_a_wrong_shared_key_is_refused_by_mesh(mesh_sandbox):
    url, _, _ = mesh_sandbox
    stranger = mailbox(url, "not-the-key", "gpes")
    with pytest.raises(meshes.ERRORS):
        stranger.inbox()
    stranger.close()


def test_an_unreachable_mesh_is_an_error_the_workers_retry_on():
    from simulator.world.processes import free_port

    nobody = mailbox(f"http://127.0.0.1:{free_port()}", "k", "gpes")
    with pytest.raises(meshes.ERRORS):
        nobody.send(b"{}", local_id="x", subject=meshes.extract_subject("0" * 64))
    nobody.close()


@pytest.mark.parametrize("subject, sha", [
    (meshes.extract_subject("ab" * 32), "ab" * 32),
    ("qofsim extract sha256=" + "AB" * 32, None),  # upper case: not what GPES sends
    ("qofsim extract sha256=" + "ab" * 31, None),
    ("something else", None),
    (None, None),
])
def test_the_subject_carries_the_checksum_or_nothing(subject, sha):
    assert meshes.subject_sha(subject) == sha


@pytest.mark.parametrize("body", [b"not json", b"[]", b'{"status": "201", "sha256": "x"}', b'{"status": 201}'])
def test_anything_but_a_verdict_is_not_read_as_one(body):
    with pytest.raises(ValueError):
        meshes.read_verdict(body)
