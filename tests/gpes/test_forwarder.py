"""GPES's outbox: stored first, forwarded in batches, every answer recorded on its own row; one bad
extract never stops the queue, and an unreachable CQRS is retried with back-off."""

import json

import pytest
import responses

from simulator.contracts import canonical_json
from simulator.db import sessions
from simulator.gpes.collect import Gpes
from simulator.gpes.spec import build_spec
from simulator.qof.catalogue import default_catalogue
from simulator.transport.http import CqrsClient

CAT = default_catalogue()
SPEC = build_spec(CAT)
CQRS = "http://cqrs.test"
REGISTRY = {"A81001": "TPP", "A81002": "TPP", "A81003": "TPP"}


@pytest.fixture
def gpes(tmp_path, db_url):
    return Gpes(sessions(db_url), SPEC, REGISTRY, cqrs=CqrsClient(CQRS, timeout=2),
                retry_base_s=0.0001)


def store(gpes: Gpes) -> list[str]:
    req = gpes.create_request("TPP")
    ids = []
    for n, code in enumerate(sorted(REGISTRY)):
        body = {"schema_version": "1", "extract_id": f"x-{n}", "request_id": req.request_id, "spec_id": SPEC.spec_id,
                "supplier": "TPP", "practice_code": code, "achievement_date": "2013-03-31", "list_size": 5000,
                "registers": {r.id: 100 for r in SPEC.registers},
                "indicators": [{"id": i.id, "numerator": 3, "denominator": 4, "exceptions": 0} for i in SPEC.indicators]}
        receipt, created = gpes.receive(canonical_json(body))
        assert created and receipt.forwarded is False
        ids.append(receipt.extract_id)
    return ids


@responses.activate
def test_one_refused_extract_does_not_stop_the_others(gpes):
    ids = store(gpes)
    responses.post(f"{CQRS}/extracts/batch", json={"results": [
        {"status": 201, "extract_id": ids[0], "detail": None},
        {"status": 422, "extract_id": None, "detail": [{"field": "registers.DM", "reason": "too big"}]},
        {"status": 200, "extract_id": ids[2], "detail": None}]})
    assert gpes.forward_due() == 2
    state = {r["extract_id"]: r for r in gpes.receipts()}
    assert [state[i]["forward_state"] for i in ids] == ["acknowledged", "refused", "acknowledged"]
    assert "registers.DM" in state[ids[1]]["forward_error"]
    sent = json.loads(responses.calls[0].request.body)["extracts"]
    assert len(sent) == 3 and all(len(x["sha256"]) == 64 for x in sent)
    assert gpes.forward_due() == 0  # nothing left: a refusal is not retried


@responses.activate
def test_cqrs_down_is_retried_until_it_answers(gpes):
    ids = store(gpes)
    responses.post(f"{CQRS}/extracts/batch", status=503, json={"detail": []})
    assert gpes.forward_due() == 0
    first = {r["extract_id"]: r for r in gpes.receipts()}
    assert {r["forward_state"] for r in first.values()} == {"pending"}
    assert all(r["forward_attempts"] == 1 and "503" in r["forward_error"] for r in first.values())
    responses.replace(responses.POST, f"{CQRS}/extracts/batch", json={"results": [
        {"status": 201, "extract_id": i, "detail": None} for i in ids]})
    assert gpes.retry_forwarding() == 3
    assert gpes.forward_due() == 3
    assert {r["forward_state"] for r in gpes.receipts()} == {"acknowledged"}


@responses.activate
def test_a_batch_refused_whole_is_sent_one_by_one_so_one_bad_extract_stops_no_other(gpes):
    """CQRS refused the whole batch (e.g. 413, or a malformed envelope): GPES forwards each extract alone,
    records each answer on its own row, and the queue goes on; the forwarder never stops on it."""
    ids = store(gpes)
    responses.post(f"{CQRS}/extracts/batch", status=413, json={"detail": [{"field": "body", "reason": "too big"}]})
    responses.post(f"{CQRS}/extracts", json={"extract_id": ids[0]}, status=201)
    responses.post(f"{CQRS}/extracts", status=422, json={"detail": [{"field": "list_size", "reason": "bad"}]})
    responses.post(f"{CQRS}/extracts", status=500, json={"detail": []})
    assert gpes.forward_due() == 1
    state = {r["extract_id"]: r for r in gpes.receipts()}
    assert [state[i]["forward_state"] for i in ids] == ["acknowledged", "refused", "pending"]
    assert "list_size" in state[ids[1]]["forward_error"] and "500" in state[ids[2]]["forward_error"]
    assert [c.request.url for c in responses.calls] == [f"{CQRS}/extracts/batch"] + [f"{CQRS}/extracts"] * 3


@responses.activate
def test_gpes_own_credential_refused_is_retried_not_given_up(gpes):
    """401/403 says GPES's credential is wrong (a configuration to fix), not that the extracts are: kept, retried."""
    store(gpes)
    responses.post(f"{CQRS}/extracts/batch", status=401, json={"detail": [{"field": "authorization",
                                                                           "reason": "the token has expired"}]})
    assert gpes.forward_due() == 0
    rows = gpes.receipts()
    assert {r["forward_state"] for r in rows} == {"pending"}
    assert all("401" in r["forward_error"] and "expired" in r["forward_error"] for r in rows)
