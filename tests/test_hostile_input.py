"""Hostile input refused with a reason, at GPES and at CQRS, and nothing of it stored (issue #12):
bodies over the limit (413, declared or streamed), a wrong content type (415), bytes that are not
JSON (400 with the position), duplicate keys, NaN, absurd integers, deep nesting and non-ASCII
practice codes (422 with the reason), and a missing checksum header (422 naming it)."""

from __future__ import annotations

import json

import jsonschema
import pytest
from fastapi.testclient import TestClient

from simulator.contracts import canonical_json, sha256
from simulator.cqrs import app as cqrs_app
from simulator.contracts.errors import exact_number
from simulator.cqrs.service import Cqrs
from simulator.cqrs.store import extract_values
from simulator.db import sessions
from simulator.gpes import app as gpes_app
from simulator.gpes.collect import Gpes
from simulator.gpes.spec import build_spec
from simulator.qof.catalogue import default_catalogue
from simulator.web.body import MAX_BYTES
from tests.credentials import AUTH, bearer

CAT = default_catalogue()
SPEC = build_spec(CAT)


@pytest.fixture
def world(tmp_path):
    db = sessions(f"sqlite:///{tmp_path / 'db.sqlite'}")
    gpes = Gpes(db, SPEC, {"A81001": "TPP"}, public_url="http://127.0.0.1:9")
    cqrs = Cqrs(db, CAT, {"A81001": "05X"}, tmp_path / "pay")
    return gpes, cqrs, TestClient(gpes_app.create_app(gpes, AUTH, background=False)), \
        TestClient(cqrs_app.create_app(cqrs, AUTH))


def good(gpes: Gpes) -> dict:
    rid = gpes.create_request("TPP").request_id
    return {"schema_version": "1", "extract_id": "x-1", "request_id": rid, "spec_id": SPEC.spec_id, "supplier": "TPP",
            "practice_code": "A81001", "achievement_date": "2013-03-31", "list_size": 6000,
            "registers": {r.id: 300 for r in SPEC.registers},
            "indicators": [{"id": i.id, "numerator": 30, "denominator": 40, "exceptions": 1} for i in SPEC.indicators]}


def post(client, raw: bytes, who: dict, content_type: str | None = "application/json", checksum: bool = True):
    headers = {**who, **({"Content-Type": content_type} if content_type else {}),
               **({"X-Content-SHA256": sha256(raw)} if checksum else {})}
    return client.post("/extracts", content=raw, headers=headers)


def stored(gpes: Gpes, cqrs: Cqrs) -> tuple[int, int, int]:
    return len(gpes.receipts()), gpes.counts()["rejections"], len(cqrs.extracts())


def both(world):
    gpes, cqrs, g, c = world
    return [(g, bearer("supplier", supplier="TPP")), (c, bearer("gpes"))]


def test_a_good_extract_still_passes_both(world):
    gpes, cqrs, g, c = world
    raw = canonical_json(good(gpes))
    assert post(g, raw, bearer("supplier", supplier="TPP")).status_code == 201
    assert post(c, raw, bearer("gpes")).status_code == 201


def test_a_body_over_the_limit_is_413_and_nothing_is_stored(world):
    """25 MB of whitespace was stored before (the database grew by 122 MiB): now refused unread."""
    gpes, cqrs, *_ = world
    padded = canonical_json(good(gpes)) + b" " * MAX_BYTES
    for client, who in both(world):
        r = post(client, padded, who)
        assert r.status_code == 413 and r.json()["detail"][0]["field"] == "body", r.text
        streamed = client.post("/extracts", content=iter([padded[:1000], padded[1000:]]),
                               headers={**who, "Content-Type": "application/json", "X-Content-SHA256": sha256(padded)})
        assert streamed.status_code == 413 and "over the limit" in streamed.json()["detail"][0]["reason"]
    assert stored(gpes, cqrs) == (0, 0, 0)


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", None])
def test_a_body_that_is_not_declared_json_is_415(world, content_type):
    gpes, cqrs, *_ = world
    raw = canonical_json(good(gpes))
    for client, who in both(world):
        r = post(client, raw, who, content_type)
        assert r.status_code == 415 and r.json()["detail"][0]["field"] == "Content-Type", r.text
    assert stored(gpes, cqrs) == (0, 0, 0)


def test_malformed_json_is_400_with_the_position(world):
    gpes, cqrs, *_ = world
    for client, who in both(world):
        r = post(client, b'{"extract_id": "x-1",, }', who)
        assert r.status_code == 400
        assert r.json()["detail"] == [{"field": "body", "reason": "not JSON: Expecting property name enclosed in "
                                                                  "double quotes (line 1, column 22, char 21)"}]
        r = post(client, b'{"a": "\xff"}', who)
        assert r.status_code == 400 and r.json()["detail"][0]["reason"] == "not UTF-8 at byte 7"
    assert stored(gpes, cqrs) == (0, 0, 0)


def test_duplicate_keys_nan_absurd_integers_and_deep_nesting_are_422_with_the_reason(world):
    gpes, cqrs, *_ = world
    text = canonical_json(good(gpes)).decode()
    cases = [
        (text.replace('"list_size":6000', '"list_size":6000,"list_size":1'), "list_size", "duplicate key 'list_size'"),
        (text.replace('"list_size":6000', '"list_size":NaN'), "body", "NaN is not a JSON number"),
        (text.replace('"list_size":6000', '"list_size":Infinity'), "body", "Infinity is not a JSON number"),
        (text.replace('"list_size":6000', '"list_size":' + "9" * 500), "list_size", "less than or equal to 2147483647"),
        (text.replace('"list_size":6000', '"list_size":' + "9" * 5000), "body", "a number too long to read"),
        (text.replace('"list_size":6000', '"list_size":' + "[" * 40 + "]" * 40), "list_size", "valid integer"),
        (text.replace('"list_size":6000', '"list_size":' + '{"a":' * 40 + "1" + "}" * 40), "list_size",
         "valid integer"),
        ("[" * 100_000 + "]" * 100_000, "body", "nested too deeply to read"),
    ]
    for client, who in both(world):
        for raw, field, reason in cases:
            r = post(client, raw.encode(), who)
            assert r.status_code == 422, (reason, r.status_code, r.text[:300])
            assert r.json()["detail"][0]["field"] == field and reason in r.json()["detail"][0]["reason"], r.json()
    receipts, rejections, held = stored(gpes, cqrs)
    assert (receipts, held) == (0, 0)
    assert rejections == 3  # those the contract refused: GPES records why (never the body); the rest leave nothing


@pytest.mark.parametrize("code", ["Ａ81001", "A8１001", "A81001\u200b", "é81001"])
def test_a_non_ascii_practice_code_is_422_naming_it(world, code):
    gpes, cqrs, *_ = world
    raw = json.dumps({**good(gpes), "practice_code": code}, ensure_ascii=False).encode()
    for client, who in both(world):
        r = post(client, raw, who)
        assert r.status_code == 422 and r.json()["detail"][0]["field"] == "practice_code", r.text
    assert (stored(gpes, cqrs)[0], stored(gpes, cqrs)[2]) == (0, 0)


def test_the_checksum_header_is_required_and_must_match(world):
    gpes, cqrs, *_ = world
    raw = canonical_json(good(gpes))
    for client, who in both(world):
        r = post(client, raw, who, checksum=False)
        assert r.status_code == 422 and r.json()["detail"][0]["field"] == "header.X-Content-SHA256", r.text
        r = client.post("/extracts", content=raw, headers={**who, "Content-Type": "application/json",
                                                           "X-Content-SHA256": "0" * 64})
        assert r.status_code == 422 and r.json()["detail"][0]["field"] == "X-Content-SHA256", r.text
    assert (stored(gpes, cqrs)[0], stored(gpes, cqrs)[2]) == (0, 0)


def test_a_bulk_body_may_be_larger_but_not_unbounded(world):
    """CQRS states a larger limit for its batch and bulk routes (16 MiB); above it, 413 as everywhere."""
    _, _, _, c = world
    big = b'{"declarations": [' + b" " * (16 << 20) + b"]}"
    r = c.post("/declarations", content=big, headers={**bearer("practice", practice="A81001"),
                                                      "Content-Type": "application/json"})
    assert r.status_code == 413
    r = c.post("/declarations", content=b'{"declarations": [' + b" " * (2 << 20) + b"]}",
               headers={**bearer("practice", practice="A81001"), "Content-Type": "application/json"})
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == "declarations"


CORPUS = {"5": True, "5.0": True, "5e0": True, "5.5": False, "-0": True, "-1": False, "1e30": False,
          str(2 ** 63): False, "true": False}


@pytest.mark.parametrize("spelled", CORPUS)
def test_a_count_is_accepted_exactly_when_the_published_schema_accepts_it(world, spelled):
    """The JSON Schema GPES publishes (GET /spec/schema) and GPES and CQRS agree on every spelling of a
    count: 5.0 and 5e0 are the integer 5 to all three; GPES stores and forwards the bytes as sent."""
    gpes, cqrs, g, c = world
    schema = g.get("/spec/schema", headers=bearer("supplier", supplier="TPP")).json()
    raw = canonical_json(good(gpes)).replace(b'"exceptions":1', b'"exceptions":' + spelled.encode(), 1)
    said = jsonschema.Draft202012Validator(schema).is_valid(json.loads(raw))
    assert said is CORPUS[spelled]
    at_gpes = post(g, raw, bearer("supplier", supplier="TPP"))
    at_cqrs = post(c, raw, bearer("gpes"))
    assert (at_gpes.status_code, at_cqrs.status_code) == ((201, 201) if said else (422, 422)), at_gpes.text
    if said:
        assert at_gpes.json()["sha256"] == at_cqrs.json()["sha256"] == sha256(raw)
        assert cqrs.extract_body("x-1") == raw
        with cqrs.sessions() as s:
            first = SPEC.indicators[0].id
            assert [v for i, f, v in extract_values(s, "x-1", cqrs.register_indicator) if (i, f) == (first, "Exceptions")] == [
                0 if spelled == "-0" else 5]
    else:
        for r in (at_gpes, at_cqrs):
            assert r.json()["detail"][0]["field"] == "indicators[0].exceptions", r.text
        assert stored(gpes, cqrs) == (0, 1, 0)


def test_a_count_that_only_rounds_to_a_whole_number_is_refused_by_the_schema_read_exactly_and_the_servers(world):
    gpes, cqrs, g, c = world
    schema = g.get("/spec/schema", headers=bearer("supplier", supplier="TPP")).json()
    raw = canonical_json(good(gpes)).replace(b'"exceptions":1', b'"exceptions":5.00000000000000001', 1)
    assert not jsonschema.Draft202012Validator(schema).is_valid(json.loads(raw, parse_float=exact_number))
    assert jsonschema.Draft202012Validator(schema).is_valid(json.loads(raw)), "a float reader rounds it to 5"
    assert post(g, raw, bearer("supplier", supplier="TPP")).status_code == 422
    assert post(c, raw, bearer("gpes")).status_code == 422
