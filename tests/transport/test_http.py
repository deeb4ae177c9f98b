"""The HTTP clients, against `responses` (no server): bytes, checksums and errors as sent."""

import hashlib
import json

import pytest
import responses

from simulator.contracts import ExtractionRequest
from simulator.contracts.headers import SHA_HEADER
from simulator.gpes.spec import build_spec
from simulator.qof.catalogue import default_catalogue
from simulator.transport.http import CqrsClient, GpesClient, ServiceError, SupplierClient

GPES, CQRS, SUP = "http://gpes.test", "http://cqrs.test", "http://tpp.test"
SPEC = build_spec(default_catalogue())


@responses.activate
def test_submit_sends_exact_bytes_with_their_checksum():
    body = b'{"extract_id":"x-1"}'
    responses.post(f"{GPES}/extracts", json={"extract_id": "x-1"}, status=201)
    answer = GpesClient(GPES).submit(body)
    sent = responses.calls[0].request
    assert answer.status == 201 and answer.json == {"extract_id": "x-1"}
    assert sent.body == body
    assert sent.headers[SHA_HEADER] == hashlib.sha256(body).hexdigest()


@responses.activate
def test_a_refused_extract_is_returned_not_raised():
    responses.post(f"{GPES}/extracts", json={"detail": [{"field": "list_size", "reason": "bad"}]}, status=422)
    answer = GpesClient(GPES).submit(b"{}")
    assert answer.status == 422 and answer.json["detail"][0]["field"] == "list_size"


@responses.activate
def test_forward_to_cqrs_keeps_bytes():
    body = b'{"a":1,  "b":2}'  # odd spacing: must arrive exactly as is
    responses.post(f"{CQRS}/extracts", json={}, status=201)
    CqrsClient(CQRS).forward(body)
    assert responses.calls[0].request.body == body


@responses.activate
def test_spec_is_parsed_into_the_contract():
    responses.get(f"{GPES}/spec", body=SPEC.model_dump_json())
    assert GpesClient(GPES).spec() == SPEC


@responses.activate
def test_extraction_request_round_trips():
    req = ExtractionRequest(request_id="r1", supplier="TPP", spec=SPEC, practices=("A81001",), submit_to=f"{GPES}/extracts")
    responses.post(f"{SUP}/extraction-requests", status=202,
                   json={"job_id": "j1", "request_id": "r1", "supplier": "TPP", "status": "accepted"})
    job = SupplierClient(SUP).request_extraction(req)
    assert job["job_id"] == "j1" and job["status"] == "accepted"
    assert json.loads(responses.calls[0].request.body)["practices"] == ["A81001"]


@responses.activate
def test_unexpected_status_raises_with_the_peer_reason():
    responses.post(f"{CQRS}/practices/A81001/declaration", json={"detail": [{"field": "state", "reason": "nope"}]},
                   status=409)
    with pytest.raises(ServiceError) as e:
        CqrsClient(CQRS).declare("A81001", "pm")
    assert e.value.status == 409 and "nope" in e.value.body


@responses.activate
def test_payment_run_expects_201():
    responses.post(f"{CQRS}/payment-runs", json={"instructions": [], "file": "f.csv", "total_gbp": "0.00"}, status=201)
    assert CqrsClient(CQRS).payment_run().total_gbp == "0.00"


@responses.activate
def test_manual_entries_are_posted_as_the_contract():
    from simulator.contracts import ManualEntries, ManualEntry

    responses.post(f"{CQRS}/practices/A81001/manual-entries",
                   json={"practice_code": "A81001", "stored": 1, "unchanged": 0, "state": None, "stale": False})
    body = ManualEntries(entered_by="pm", entries=(ManualEntry(ind_code="RECORDS03", achieved=True),))
    result = CqrsClient(CQRS).enter_manual("A81001", body)
    assert result.stored == 1
    assert json.loads(responses.calls[0].request.body)["entries"][0] == {
        "ind_code": "RECORDS03", "achieved": True, "numerator": None, "denominator": None}
