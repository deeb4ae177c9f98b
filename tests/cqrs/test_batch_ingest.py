"""CQRS takes forwarded extracts in batches; each is judged exactly as a single POST would judge it."""

import json

from fastapi.testclient import TestClient

from simulator.contracts import canonical_json, sha256
from simulator.cqrs import app as cqrs_app
from simulator.cqrs.service import Cqrs
from simulator.db import sessions
from simulator.gpes.spec import build_spec
from simulator.qof.catalogue import default_catalogue
from tests.credentials import AUTH, bearer

CAT = default_catalogue()
SPEC = build_spec(CAT)


def extract(extract_id: str, practice: str = "A81001", **over) -> bytes:
    body = {"schema_version": "1", "extract_id": extract_id, "request_id": "r-1", "spec_id": SPEC.spec_id,
            "supplier": "TPP", "practice_code": practice, "achievement_date": "2013-03-31", "list_size": 6543,
            "registers": {r.id: 100 for r in SPEC.registers},
            "indicators": [{"id": i.id, "numerator": 30, "denominator": 40, "exceptions": 2} for i in SPEC.indicators]}
    body.update(over)
    return canonical_json(body)


def test_each_item_of_a_batch_is_judged_on_its_own(tmp_path, db_url):
    cqrs = Cqrs(sessions(db_url), CAT, {"A81001": "05X", "B82005": "05X"}, tmp_path)
    first = extract("x-1")
    cqrs.ingest(first, sha256(first))
    items = [
        (first, sha256(first)),  # already stored, same bytes: 200
        (extract("x-1", list_size=6544), None),  # the same id, other content: 409
        (extract("x-2", practice="B82005"), None),  # new: 201
        (extract("x-3", practice="Z99999"), None),  # unknown practice: 422
        (b"{not json", None),  # not JSON: 422
        (extract("x-4"), "0" * 64),  # checksum does not match: 422
        (extract("x-2", practice="B82005"), None),  # the same new one twice in one batch: 200 the second time
    ]
    results = cqrs.ingest_many(items)
    assert [r["status"] for r in results] == [200, 409, 201, 422, 422, 422, 200]
    assert results[3]["detail"][0]["field"] == "practice_code"
    assert results[5]["detail"][0]["field"] == "X-Content-SHA256"
    held = {x["extract_id"]: x for x in cqrs.extracts()}
    assert set(held) == {"x-1", "x-2"}
    assert cqrs.extract_body("x-2") == items[2][0]
    assert json.loads(cqrs.extract_body("x-1"))["list_size"] == 6543


def test_batches_for_the_same_practices_in_opposite_orders_at_once_neither_deadlock_nor_double(tmp_path, db_url):
    """Two GPES forwarders (or a restarted one) sending overlapping batches: every extract stored once,
    one current per practice (on PostgreSQL each practice is locked while stored: in practice order)."""
    from concurrent.futures import ThreadPoolExecutor

    codes = ["A81001", "B82005", "C83001", "D84001"]
    cqrs = Cqrs(sessions(db_url), CAT, {c: "05X" for c in codes}, tmp_path)
    batches = [[(extract(f"x-{r}-{c}", practice=c), None) for c in (codes if r % 2 else codes[::-1])]
               for r in range(8)]
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(cqrs.ingest_many, batches))
    assert all(r["status"] == 201 for batch in results for r in batch)
    held = cqrs.extracts()
    assert len(held) == 32
    assert sorted(x["practice_code"] for x in held if x["current"]) == codes


def test_a_body_with_duplicate_keys_or_nan_is_refused_in_its_place_and_the_others_stored(tmp_path, db_url):
    """As GPES does and as a body sent alone would be: the body guard's checks, item by item, over HTTP."""
    cqrs = Cqrs(sessions(db_url), CAT, {"A81001": "05X", "B82005": "05X"}, tmp_path)
    client = TestClient(cqrs_app.create_app(cqrs, AUTH))
    twice = extract("x-2", practice="B82005")[:-1] + b',"list_size":6543}'  # the same value twice: the contract alone takes it
    good = extract("x-1")
    nan = extract("x-3", practice="B82005").replace(b'"list_size":6543', b'"list_size":NaN')
    r = client.post("/extracts/batch", headers=bearer("gpes"),
                    json={"extracts": [{"sha256": sha256(b), "body": b.decode()} for b in (twice, good, nan)]})
    assert r.status_code == 200, r.text
    first, second, third = r.json()["results"]
    assert first == {"status": 422, "extract_id": None, "detail": [
        {"field": "extracts[0].body", "reason": "duplicate key 'list_size': a JSON object names each key once"}]}
    assert second == {"status": 201, "extract_id": "x-1", "detail": None}
    assert third == {"status": 422, "extract_id": None, "detail": [
        {"field": "extracts[2].body", "reason": "NaN is not a JSON number"}]}
    assert [x["extract_id"] for x in cqrs.extracts()] == ["x-1"]
    assert cqrs.extract_body("x-2") is None and cqrs.extract_body("x-3") is None
    log = client.get("/audit", headers=bearer("auditor")).json()
    assert [(e["practice_code"], e["after"]["extract_id"]) for e in log if e["action"] == "extract stored"] == [
        ("A81001", "x-1")]
