"""GPES's outbox over MESH, against a real mesh-sandbox: each extract one message to CQRS's mailbox;
acknowledged, or refused with CQRS's reason, only when CQRS's verdict comes back."""

from __future__ import annotations

import pytest

from simulator.contracts import sha256
from simulator.db import GpesBody, sessions
from simulator.gpes.collect import Gpes
from simulator.transport import mesh as meshes
from simulator.world import sandbox
from tests.gpes.test_forwarder import REGISTRY, SPEC, store
from tests.meshbox import mailbox


@pytest.fixture
def gpes(tmp_path, mesh_pair):
    gpes_box, _ = mesh_pair
    return Gpes(sessions(f"sqlite:///{tmp_path / 'gpes.db'}"), SPEC, REGISTRY, mesh=gpes_box, retry_base_s=0.0001)


def bodies(gpes: Gpes) -> dict[str, bytes]:
    with gpes.sessions() as s:
        return {b.extract_id: b.body for b in s.query(GpesBody)}


def answer(cqrs_box, status: int, detail=None) -> list[str]:
    """What CQRS's inbox would do, by hand: each waiting message answered with ``status``, acknowledged."""
    taken = []
    for message_id in cqrs_box.inbox():
        m = cqrs_box.receive(message_id)
        cqrs_box.send(meshes.verdict(message_id, m.local_id, meshes.subject_sha(m.subject), status, detail),
                      local_id=message_id, subject=meshes.VERDICT_SUBJECT)
        cqrs_box.acknowledge(message_id)
        taken.append(m.local_id)
    return taken


def test_each_extract_goes_as_one_message_with_its_exact_bytes_and_waits_for_the_verdict(gpes, mesh_pair):
    _, cqrs_box = mesh_pair
    ids = store(gpes)
    assert gpes.forward_due() == 3
    rows = {r["extract_id"]: r for r in gpes.receipts()}
    assert {r["forward_state"] for r in rows.values()} == {"pending"}, "sent is not acknowledged"
    assert all(r["mesh_message_id"] for r in rows.values())
    assert sorted(cqrs_box.inbox()) == sorted(r["mesh_message_id"] for r in rows.values())
    held = bodies(gpes)
    for r in rows.values():
        m = cqrs_box.receive(r["mesh_message_id"])
        assert (m.body, m.local_id, meshes.subject_sha(m.subject)) == (held[r["extract_id"]], r["extract_id"],
                                                                       r["sha256"])
        assert m.workflow_id == sandbox.EXTRACT_WORKFLOW
    assert gpes.forward_due() == 0, "not sent again while the verdict is awaited"
    assert sorted(answer(cqrs_box, 201)) == sorted(ids)
    assert gpes.receive_verdicts() == 3
    rows = {r["extract_id"]: r for r in gpes.receipts()}
    assert {(r["forward_state"], r["cqrs_status"]) for r in rows.values()} == {("acknowledged", 201)}
    assert all(r["acknowledged_at"] for r in rows.values())
    assert gpes.mesh.inbox() == []


def test_a_refusal_over_mesh_is_kept_with_cqrs_reason(gpes, mesh_pair):
    _, cqrs_box = mesh_pair
    store(gpes)
    gpes.forward_due()
    answer(cqrs_box, 422, [{"field": "practice_code", "reason": "unknown practice A81001"}])
    assert gpes.receive_verdicts() == 3
    rows = gpes.receipts()
    assert {r["forward_state"] for r in rows} == {"refused"}
    assert all("422 over MESH" in r["forward_error"] and "unknown practice" in r["forward_error"] for r in rows)
    assert gpes.forward_due() == 0, "a refusal is not sent again"


def test_a_verdict_for_other_bytes_changes_nothing(gpes, mesh_pair):
    _, cqrs_box = mesh_pair
    [first, *_] = store(gpes)
    gpes.forward_due()
    cqrs_box.send(meshes.verdict("M", first, "0" * 64, 201, None), local_id="M", subject=meshes.VERDICT_SUBJECT)
    assert gpes.receive_verdicts() == 1
    assert {r["forward_state"] for r in gpes.receipts()} == {"pending"}


def test_mesh_unreachable_is_retried_with_back_off_then_sent(tmp_path, mesh_sandbox, mesh_pair):
    from simulator.world.processes import free_port

    url, key, _ = mesh_sandbox
    _, cqrs_box = mesh_pair
    nowhere = mailbox(f"http://127.0.0.1:{free_port()}", key, "gpes")
    gpes = Gpes(sessions(f"sqlite:///{tmp_path / 'gpes.db'}"), SPEC, REGISTRY, mesh=nowhere, retry_base_s=0.0001)
    ids = store(gpes)
    assert gpes.forward_due() == 0
    rows = gpes.receipts()
    assert {r["forward_state"] for r in rows} == {"pending"} and all(not r["mesh_message_id"] for r in rows)
    assert all(r["forward_error"].startswith("MESH did not take it") for r in rows)
    nowhere.close()
    gpes.mesh = mailbox(url, key, "gpes")
    import time

    time.sleep(0.01)  # the back-off (0.1 ms) has passed
    assert gpes.forward_due() == 3
    assert sorted(m for m in (cqrs_box.receive(i).local_id for i in cqrs_box.inbox())) == sorted(ids)
    assert sha256(bodies(gpes)[ids[0]]) == {r["extract_id"]: r for r in gpes.receipts()}[ids[0]]["sha256"]
    gpes.mesh.close()
