"""A supplier sends its extracts to GPES in batches when GPES's request offers a batch URL: GPES's
verdict on each body is recorded on its own; what got no answer (or a 5xx) is sent again, alone of
the rest of its batch, until GPES answers it for good."""

import json
from pathlib import Path
from types import SimpleNamespace

import responses
from sqlalchemy import select

from simulator.contracts import ExtractionRequest, sha256
from simulator.db import SupplierSend, sessions
from simulator.gpes.spec import build_spec
from simulator.qof.catalogue import default_catalogue
from simulator.supplier.service import Supplier
from simulator.transport.http import new_session

CAT = default_catalogue()
GPES = "http://127.0.0.1:9"
REQUEST = ExtractionRequest(request_id="req-1", supplier="TPP", spec=build_spec(CAT), practices=("A81001", "A81002"),
                            submit_to=f"{GPES}/extracts", submit_batch_to=f"{GPES}/extracts/batch")


def supplier(tmp_path: Path, batch_size: int = 50) -> Supplier:
    tmp_path.mkdir(exist_ok=True)
    return Supplier("TPP", CAT, tmp_path / "p.parquet", tmp_path / "e.parquet", ["A81001", "A81002"],
                    sessions(f"sqlite:///{tmp_path / 'supplier.db'}"), gpes_url=GPES, batch_size=batch_size)


SENDS = [("A81001", "x-1", b'{"n":1}'), ("A81002", "x-2", b'{"n":2}')]


def sends(s: Supplier) -> list[tuple[str, int]]:
    with s.sessions() as db:
        return [(o.extract_id, o.status) for o in db.scalars(select(SupplierSend).order_by(SupplierSend.id))]


@responses.activate
def test_each_verdict_is_recorded_and_only_the_unanswered_are_sent_again(tmp_path):
    responses.post(f"{GPES}/extracts/batch", status=503, json={"detail": "busy"})
    responses.post(f"{GPES}/extracts/batch", json={"results": [
        {"status": 201, "extract_id": "x-1", "sha256": sha256(b'{"n":1}'), "detail": None},
        {"status": 503, "extract_id": "x-2", "sha256": sha256(b'{"n":2}'), "detail": None}]})
    responses.post(f"{GPES}/extracts/batch", json={"results": [
        {"status": 422, "extract_id": "x-2", "sha256": sha256(b'{"n":2}'), "detail": [{"field": "f", "reason": "r"}]}]})
    s = supplier(tmp_path)
    assert s._submit_many(new_session(), "job-1", REQUEST, SENDS) is True
    assert sends(s) == [("x-1", 503), ("x-2", 503), ("x-1", 201), ("x-2", 503), ("x-2", 422)]
    bodies = [[e["body"] for e in json.loads(c.request.body)["extracts"]] for c in responses.calls]
    assert bodies == [['{"n":1}', '{"n":2}'], ['{"n":1}', '{"n":2}'], ['{"n":2}']]  # the exact bytes, each time


@responses.activate
def test_an_answer_that_does_not_match_the_batch_is_no_answer(tmp_path):
    responses.post(f"{GPES}/extracts/batch", json={"results": [{"status": 201}]})  # one verdict for two bodies
    responses.post(f"{GPES}/extracts/batch", json={"results": [{"status": 201}, {"status": 200}]})
    s = supplier(tmp_path)
    assert s._submit_many(new_session(), "job-1", REQUEST, SENDS) is True
    assert sends(s) == [("x-1", 0), ("x-2", 0), ("x-1", 201), ("x-2", 200)]


def extracts():
    return [(code, SimpleNamespace(extract_id=extract_id, canonical_bytes=lambda b=body: b))
            for code, extract_id, body in SENDS]


@responses.activate
def test_batch_size_decides_how_extracts_travel(tmp_path):
    responses.post(f"{GPES}/extracts", json={"extract_id": "x"}, status=201)
    responses.post(f"{GPES}/extracts/batch", json={"results": [{"status": 201}, {"status": 201}]})
    assert supplier(tmp_path / "one", batch_size=1)._send_all(new_session(), "job-1", REQUEST, extracts())
    assert supplier(tmp_path / "many")._send_all(new_session(), "job-1", REQUEST, extracts())
    alone = REQUEST.model_copy(update={"submit_batch_to": None})  # a GPES that offers no batch URL
    assert supplier(tmp_path / "old")._send_all(new_session(), "job-1", alone, extracts())
    assert [c.request.url.rsplit("/", 2)[-1] for c in responses.calls] == [
        "extracts", "extracts", "batch", "extracts", "extracts"]
