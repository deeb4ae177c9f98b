"""GPES's batch intake (``POST /extracts/batch``): each extract in a batch is judged exactly as if it
came alone, and answered in order; the accepted ones are stored before the answer and forwarded
byte for byte; a refused one leaves only its reasons."""

import json

import pytest
from sqlalchemy import select

from simulator.contracts import canonical_json, sha256
from simulator.cqrs import app as cqrs_app
from simulator.cqrs.service import Cqrs
from simulator.db import GpesRejection, sessions
from simulator.gpes import app as gpes_app
from simulator.gpes.collect import Gpes
from simulator.services import free_socket, running, serve
from simulator.transport.http import CqrsClient, new_session, post_extracts
from tests.credentials import AUTH, OperatorAndSupplier, token
from tests.gpes.test_app import CAT, REGISTRY, SPEC, acknowledged, extract


@pytest.fixture
def services(tmp_path, db_url):
    """GPES and CQRS on loopback, and GPES's database (to see what a refusal left)."""
    db = sessions(db_url)
    cqrs_served = serve("cqrs", cqrs_app.create_app(Cqrs(db, CAT, {p: "05X" for p in REGISTRY}, tmp_path / "pay"), AUTH))
    sock = free_socket()
    gpes = Gpes(db, SPEC, REGISTRY, public_url=f"http://127.0.0.1:{sock.getsockname()[1]}",
                cqrs=CqrsClient(cqrs_served.url, token=token("gpes")))
    gpes_served = serve("gpes", gpes_app.create_app(gpes, AUTH), sock=sock)
    with running(cqrs_served, gpes_served):
        yield OperatorAndSupplier(gpes_served.url), CqrsClient(cqrs_served.url, token=token("auditor")), db


def as_supplier(name: str = "TPP"):
    return new_session(token("supplier", supplier=name))


def batch_url(gpes) -> str:
    return f"{gpes.base_url}/extracts/batch"


def test_a_batch_is_stored_and_forwarded_each_body_unchanged(services):
    gpes, cqrs, _ = services
    req = gpes.create_request("TPP")
    assert req.submit_batch_to == batch_url(gpes)  # the request tells the supplier where batches go
    bodies = [json.dumps(extract(req.request_id, extract_id="x-1"), indent=1).encode(),  # not canonical: kept as sent
              canonical_json(extract(req.request_id, extract_id="x-2", practice_code="B82005"))]
    answer = post_extracts(as_supplier(), req.submit_batch_to, bodies)
    assert answer.status == 200
    assert [(r["status"], r["extract_id"], r["sha256"]) for r in answer.json["results"]] == [
        (201, "x-1", sha256(bodies[0])), (201, "x-2", sha256(bodies[1]))]
    acknowledged(gpes, 2)
    assert {x["extract_id"]: cqrs.extract_body(x["extract_id"]) for x in cqrs.extracts()} == {
        "x-1": bodies[0], "x-2": bodies[1]}


def test_each_item_is_judged_alone_and_answered_in_order(services):
    gpes, _, db = services
    req = gpes.create_request("TPP")
    good = canonical_json(extract(req.request_id, extract_id="ok"))
    assert gpes.submit(good).status == 201  # accepted earlier, alone
    other = canonical_json(extract(req.request_id, extract_id="ok", list_size=7000))  # same id, other content
    bad = canonical_json(extract(req.request_id, extract_id="bad", practice_code="B82005",
                                 indicators=extract(req.request_id)["indicators"][1:]))  # one indicator missing
    twin = canonical_json(extract(req.request_id, extract_id="twin", practice_code="B82005"))
    answer = post_extracts(as_supplier(), batch_url(gpes), [good, other, bad, twin, twin, b"{not json"])
    statuses = [r["status"] for r in answer.json["results"]]
    assert statuses == [200, 409, 422, 201, 200, 400]  # unreadable JSON: 400, as POST /extracts
    results = answer.json["results"]
    assert results[1]["detail"][0]["field"] == "extract_id"
    assert any("missing indicator" in d["reason"] for d in results[2]["detail"])
    assert results[5]["extract_id"] is None and results[5]["detail"]
    stored = {r["extract_id"]: r for r in gpes.receipts()}
    assert set(stored) == {"ok", "twin"}  # nothing of the refused ones
    assert stored["ok"]["resends"] == 1 and stored["twin"]["resends"] == 1
    with db() as s:  # each refusal of GPES's recorded with its reasons, never its body (an unreadable body,
        assert {(r.extract_id, r.sha256) for r in s.scalars(select(GpesRejection))} == {  # like one sent alone,
            ("bad", sha256(bad))}                                                          # is refused unrecorded)


def test_a_checksum_that_does_not_match_is_refused_naming_the_item(services):
    gpes, _, _ = services
    req = gpes.create_request("TPP")
    body = canonical_json(extract(req.request_id))
    r = as_supplier().post(batch_url(gpes), json={"extracts": [{"sha256": "0" * 64, "body": body.decode()}]})
    assert r.status_code == 200
    (result,) = r.json()["results"]
    assert result["status"] == 422 and result["detail"][0]["field"] == "extracts[0].sha256"
    assert gpes.receipts() == []


def test_a_malformed_batch_is_refused_whole(services):
    gpes, _, _ = services
    r = as_supplier().post(batch_url(gpes), json={"extracts": []})
    assert r.status_code == 422 and "extracts" in json.dumps(r.json())
    r = as_supplier().post(batch_url(gpes), json={"extracts": [{"body": "{}"}] * 257})
    assert r.status_code == 422
    assert gpes.receipts() == []


def test_a_practice_the_supplier_does_not_host_is_403_in_place(services):
    gpes, _, _ = services
    req = gpes.create_request("TPP")
    mine = canonical_json(extract(req.request_id, extract_id="mine"))
    theirs = canonical_json(extract(req.request_id, extract_id="theirs", practice_code="C83001", supplier="EMIS"))
    answer = post_extracts(as_supplier("TPP"), batch_url(gpes), [mine, theirs])
    assert [r["status"] for r in answer.json["results"]] == [201, 403]
    assert answer.json["results"][1]["detail"][0]["field"] == "supplier"
    assert [r["extract_id"] for r in gpes.receipts()] == ["mine"]
    assert post_extracts(new_session(), batch_url(gpes), [mine]).status == 401  # no credential, no answer


def test_a_body_with_duplicate_keys_is_refused_naming_the_item(services):
    gpes, _, _ = services
    req = gpes.create_request("TPP")
    good = canonical_json(extract(req.request_id))
    twice = good[:-1] + b',"list_size":1}'  # list_size twice: JSON would keep the last silently
    answer = post_extracts(as_supplier(), batch_url(gpes), [twice, good])
    first, second = answer.json["results"]
    assert first["status"] == 422 and first["detail"][0]["field"] == "extracts[0].body"
    assert "duplicate key" in first["detail"][0]["reason"] and second["status"] == 201


def test_items_after_a_refused_body_are_named_by_their_place_in_the_batch(services):
    """GPES judges what passed the body guard's checks; its reasons still name the item where it stands."""
    gpes, _, _ = services
    req = gpes.create_request("TPP")
    good = canonical_json(extract(req.request_id))
    r = as_supplier().post(batch_url(gpes), json={"extracts": [{"sha256": sha256(b"{}"), "body": "{\"a\":1,\"a\":2}"},
                                                               {"sha256": "0" * 64, "body": good.decode()}]})
    first, second = r.json()["results"]
    assert first["detail"][0]["field"] == "extracts[0].body"
    assert second["status"] == 422 and second["detail"][0]["field"] == "extracts[1].sha256"
