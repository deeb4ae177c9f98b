"""GPES and CQRS over real HTTP on loopback: bad extracts get 422 naming the field and leave no trace;
a resubmission is answered as the first time; forwarding keeps the bytes."""

import json
import time

import pytest
import requests

from simulator.contracts import canonical_json, sha256
from simulator.cqrs import app as cqrs_app
from simulator.cqrs.service import Cqrs
from simulator.db import sessions
from simulator.gpes import app as gpes_app
from simulator.gpes.collect import Gpes
from simulator.gpes.spec import build_spec
from simulator.qof.catalogue import default_catalogue
from simulator.services import free_socket, running, serve
from simulator.transport.http import CqrsClient, GpesClient
from tests.credentials import AUTH, OperatorAndSupplier, bearer, token

CAT = default_catalogue()
SPEC = build_spec(CAT)
REGISTRY = {"A81001": "TPP", "B82005": "TPP", "C83001": "EMIS"}


@pytest.fixture
def services(tmp_path, db_url):
    db = sessions(db_url)
    cqrs = Cqrs(db, CAT, {p: "05X" for p in REGISTRY}, tmp_path / "pay")
    cqrs_served = serve("cqrs", cqrs_app.create_app(cqrs, AUTH))
    sock = free_socket()
    gpes = Gpes(db, SPEC, REGISTRY, public_url=f"http://127.0.0.1:{sock.getsockname()[1]}",
                cqrs=CqrsClient(cqrs_served.url, token=token("gpes")))
    gpes_served = serve("gpes", gpes_app.create_app(gpes, AUTH), sock=sock)
    with running(cqrs_served, gpes_served):
        yield OperatorAndSupplier(gpes_served.url), CqrsClient(cqrs_served.url, token=token("auditor"))


def extract(request_id: str, **over) -> dict:
    body = {"schema_version": "1", "extract_id": "x-1", "request_id": request_id, "spec_id": SPEC.spec_id,
            "supplier": "TPP", "practice_code": "A81001", "achievement_date": "2013-03-31", "list_size": 6543,
            "registers": {r.id: 100 for r in SPEC.registers},
            "indicators": [{"id": i.id, "numerator": 30, "denominator": 40, "exceptions": 2} for i in SPEC.indicators]}
    body.update(over)
    return body


def acknowledged(gpes: GpesClient, n: int, timeout: float = 10) -> list[dict]:
    """GPES's forwarder runs in the background: wait until n extracts are acknowledged by CQRS."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done = [r for r in gpes.receipts() if r["forward_state"] == "acknowledged"]
        if len(done) >= n:
            return done
        time.sleep(0.02)
    raise AssertionError(f"{n} extracts not acknowledged in {timeout} s: {gpes.receipts()}")


def nothing_stored(gpes: GpesClient, cqrs: CqrsClient) -> bool:
    return gpes.receipts() == [] and cqrs.extracts() == []


def test_a_good_extract_reaches_cqrs_byte_for_byte(services):
    gpes, cqrs = services
    req = gpes.create_request("TPP")
    raw = json.dumps(extract(req.request_id), indent=1).encode()  # not canonical: GPES must not re-serialise
    answer = gpes.submit(raw)
    assert answer.status == 201 and answer.json["forwarded"] is False  # stored first, forwarded from the outbox
    acknowledged(gpes, 1)
    (held,) = cqrs.extracts()
    assert cqrs.extract_body(held["extract_id"]) == raw


def test_resubmission_is_answered_as_the_first_time_and_stores_nothing_new(services):
    gpes, cqrs = services
    body = canonical_json(extract(gpes.create_request("TPP").request_id))
    first, second = gpes.submit(body), gpes.submit(body)
    assert (first.status, second.status) == (201, 200)
    assert {**first.json, "forwarded": None} == {**second.json, "forwarded": None}
    acknowledged(gpes, 1)
    assert len(gpes.receipts()) == len(cqrs.extracts()) == 1
    assert gpes.receipts()[0]["resends"] == 1  # GPES's status says it came twice


def test_same_id_other_content_is_409(services):
    gpes, cqrs = services
    rid = gpes.create_request("TPP").request_id
    gpes.submit(canonical_json(extract(rid)))
    answer = gpes.submit(canonical_json(extract(rid, list_size=6544)))  # other content, still a valid extract
    assert answer.status == 409 and answer.json["detail"][0]["field"] == "extract_id"
    acknowledged(gpes, 1)
    assert len(cqrs.extracts()) == 1


@pytest.mark.parametrize("change, field", [
    (lambda b: b["indicators"].pop(), "indicators"),
    (lambda b: b["indicators"].append(dict(b["indicators"][0])), "indicators["),
    (lambda b: b["indicators"][0].update(numerator=41), "indicators[0]"),
    (lambda b: b["indicators"][0].update(exceptions=-3), "indicators[0].exceptions"),
    (lambda b: b["indicators"][0].update(denominator=40.5), "indicators[0].denominator"),
    (lambda b: b.update(practice_code="Y99999"), "practice_code"),
    (lambda b: b.update(spec_id="QOF-2011-12"), "spec_id"),
    (lambda b: b.update(achievement_date="2012-03-31"), "achievement_date"),
    (lambda b: b.update(request_id="no-such-request"), "request_id"),
    (lambda b: b.update(nhs_number="9990001235"), "nhs_number"),
])
def test_bad_extract_gets_422_naming_the_field_and_nothing_is_stored(services, change, field):
    gpes, cqrs = services
    body = extract(gpes.create_request("TPP").request_id)
    change(body)
    answer = gpes.submit(canonical_json(body))
    assert answer.status == 422
    assert any(d["field"].startswith(field) for d in answer.json["detail"]), answer.json
    assert nothing_stored(gpes, cqrs)


def test_an_extract_for_a_practice_the_supplier_does_not_host_is_403_and_leaves_no_trace(services):
    """C83001 is an EMIS practice: TPP's credential may not submit for it, even as "supplier": "EMIS"."""
    gpes, cqrs = services
    rid = gpes.create_request("TPP").request_id
    for over, field in (({"practice_code": "C83001"}, "practice_code"), ({"supplier": "EMIS"}, "supplier")):
        answer = gpes.submit(canonical_json(extract(rid, **over)))
        assert answer.status == 403 and answer.json["detail"][0]["field"] == field, answer.json
    assert nothing_stored(gpes, cqrs)


@pytest.mark.parametrize("change, field, reason", [
    (lambda b: b.update(list_size=10 ** 30), "list_size", "Input should be less than or equal to 2147483647"),
    (lambda b: b["registers"].update(DM=2 ** 63), "registers.DM", "Input should be less than or equal to 2147483647"),
    (lambda b: b["indicators"][3].update(exceptions=2 ** 31), "indicators[3].exceptions",  # the reason names it
     f"{SPEC.indicators[3].id}: Input should be less than or equal to 2147483647"),
    (lambda b: b["registers"].update(DM=6544), "registers.DM", "6544 is above list_size 6543"),
    (lambda b: b.update(target_populations={"CS": 6544}), "target_populations.CS", "6544 is above list_size 6543"),
], ids=["list_size 1e30", "register 2^63", "exceptions 2^31", "register above list", "target above list"])
def test_a_count_out_of_bounds_is_422_at_gpes_and_at_cqrs_never_500(services, change, field, reason):
    """Issue #12: such counts passed GPES (201) and CQRS answered 500 (its count columns are INTEGER)."""
    gpes, cqrs = services
    body = extract(gpes.create_request("TPP").request_id)
    change(body)
    raw = canonical_json(body)
    at_gpes = gpes.submit(raw)
    at_cqrs = requests.post(f"{cqrs.base_url}/extracts", data=raw, headers={"X-Content-SHA256": sha256(raw), **bearer("gpes"),
                                                                   "Content-Type": "application/json"},
                            timeout=10)
    assert (at_gpes.status, at_cqrs.status_code) == (422, 422)
    assert at_gpes.json["detail"] == at_cqrs.json()["detail"] == [{"field": field, "reason": reason}]
    assert nothing_stored(gpes, cqrs)


def test_not_json_is_422(services):
    gpes, cqrs = services
    answer = gpes.submit(b"\x00not json")
    assert answer.status == 400 and answer.json["detail"] == [
        {"field": "body", "reason": "not JSON: Expecting value (line 1, column 1, char 0)"}]
    assert nothing_stored(gpes, cqrs)


def test_cqrs_refuses_a_body_whose_checksum_does_not_match(services):
    gpes, cqrs = services
    body = canonical_json(extract(gpes.create_request("TPP").request_id))
    r = requests.post(f"{cqrs.base_url}/extracts", data=body, headers={"X-Content-SHA256": "0" * 64, **bearer("gpes"),
                                                                         "Content-Type": "application/json"}, timeout=10)
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == "X-Content-SHA256"
    assert cqrs.extracts() == []


def test_request_for_another_suppliers_practice_is_refused(services):
    gpes, _ = services
    r = requests.post(f"{gpes.base_url}/requests", json={"supplier": "TPP", "practices": ["C83001"]}, timeout=10,
                      headers=bearer("gpes"))
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == "practices"


def test_workflow_errors_name_the_field(services):
    gpes, cqrs = services
    r = requests.post(f"{cqrs.base_url}/practices/A81001/declaration", json={"declared_by": ""}, timeout=10,
                      headers=bearer("practice", practice="A81001"))
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == "declared_by"
    r = requests.post(f"{cqrs.base_url}/practices/A81001/declaration", json={"declared_by": "pm"}, timeout=10,
                      headers=bearer("practice", practice="A81001"))
    assert r.status_code == 404 and r.json()["detail"][0]["field"] == "practice_code"


def test_spec_and_schema_are_served(services):
    gpes, _ = services
    assert gpes.spec() == SPEC
    schema = requests.get(f"{gpes.base_url}/spec/schema", timeout=10, headers=bearer("supplier", supplier="TPP")).json()
    assert schema["title"] == "Extract" and schema["additionalProperties"] is False


def test_a_supplier_that_cannot_be_reached_fails_alone(tmp_path, db_url):
    """GPES marks that supplier's request failed, with the reason, and collects from the others."""
    from simulator.transport.http import SupplierClient

    db = sessions(db_url)
    closed = free_socket()  # bound, never listening: connections are refused
    gpes = Gpes(db, SPEC, REGISTRY, public_url="http://127.0.0.1:9", dispatch_attempts=2, retry_base_s=0.01,
                suppliers={"TPP": SupplierClient(f"http://127.0.0.1:{closed.getsockname()[1]}", timeout=2)})
    started = gpes.start_collection()
    assert gpes.dispatch_due() == 0
    time.sleep(0.05)
    assert gpes.dispatch_due() == 0
    status = {r["supplier"]: r for r in gpes.requests_status()}
    assert status["TPP"]["status"] == "failed" and "gave up after 2 attempts" in status["TPP"]["reason"]
    assert status["EMIS"]["status"] == "failed" and "no address for supplier EMIS" in status["EMIS"]["reason"]
    view = gpes.collection(started["collection_id"])
    tpp = [p for p in view["practices"] if p["supplier"] == "TPP"]
    assert {p["status"] for p in tpp} == {"not collected"} and "TPP did not answer" in tpp[0]["reason"]
    closed.close()


def test_the_same_extract_submitted_at_once_from_many_threads_is_stored_once(services):
    """Twins racing through validation: one 201, the rest 200 with the same receipt; one row each side."""
    from concurrent.futures import ThreadPoolExecutor

    gpes, cqrs = services
    body = canonical_json(extract(gpes.create_request("TPP").request_id))
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: gpes.submit(body), range(8)))
    assert sorted(a.status for a in answers) == [200] * 7 + [201]
    assert len({a.json["sha256"] for a in answers}) == 1
    acknowledged(gpes, 1)
    assert len(gpes.receipts()) == len(cqrs.extracts()) == 1


def test_a_refusal_names_the_indicator_as_well_as_its_position(services):
    """Issue #9: `indicators[27]` alone made a supplier count to 27."""
    gpes, _ = services
    body = extract(gpes.create_request("TPP").request_id)
    body["indicators"][27].update(numerator=41)
    answer = gpes.submit(canonical_json(body))
    assert answer.status == 422
    [d] = answer.json["detail"]
    assert d["field"] == "indicators[27]" and d["reason"].startswith(f"{SPEC.indicators[27].id}: ")
    assert "numerator 41 is above denominator 40" in d["reason"]


def test_the_published_schema_has_the_spec_s_indicators_and_lists_what_it_cannot_say(services):
    import jsonschema

    from simulator.contracts import SCHEMA_CANNOT_SAY

    gpes, _ = services
    schema = requests.get(f"{gpes.base_url}/spec/schema", timeout=10, headers=bearer("supplier", supplier="TPP")).json()
    assert schema["$defs"]["IndicatorCount"]["properties"]["id"]["enum"] == [i.id for i in SPEC.indicators]
    assert all(words in schema["description"] for words in SCHEMA_CANNOT_SAY)
    body = extract("r-1")
    jsonschema.validate(body, schema)
    body["indicators"][0]["id"] = "DM99"
    with pytest.raises(jsonschema.ValidationError, match="DM99"):
        jsonschema.validate(body, schema)


def test_implausible_counts_are_accepted_with_a_warning_in_the_status(services):
    gpes, _ = services
    started = gpes.start_collection()
    deadline = time.monotonic() + 10
    while True:
        reqs = {r["supplier"]: r for r in gpes.collection(started["collection_id"])["requests"]}
        if "TPP" in reqs or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    body = extract(reqs["TPP"]["request_id"], list_size=50, registers={r.id: 10 for r in SPEC.registers})
    dm26 = next(i for i in body["indicators"] if i["id"] == "DM26")
    dm26.update(numerator=5, denominator=9, exceptions=60)  # more exceptions than patients, more than the register
    answer = gpes.submit(canonical_json(body))
    assert answer.status == 201
    row = next(p for p in gpes.collection(started["collection_id"])["practices"] if p["practice_code"] == "A81001")
    assert "DM26: exceptions 60 above list_size 50" in row["warnings"]
    assert "DM26: denominator 9 + exceptions 60 above the DM register 10" in row["warnings"]
    assert gpes.collection(started["collection_id"])["practices_with_warnings"] == 1
def test_the_published_schema_says_what_json_schema_can(services):
    """GET /spec/schema for the published spec: a good extract passes it; each break JSON Schema can
    express (a wrong spec id or date, a register missing or extra, an indicator not in the spec, one
    too few or too many, a count out of bounds, an unknown field or target group) fails it, as the server
    refuses it; what it cannot (a request GPES never made, numerator > denominator) is the server's alone."""
    import jsonschema

    gpes, _ = services
    schema = requests.get(f"{gpes.base_url}/spec/schema", timeout=10, headers=bearer("supplier", supplier="TPP")).json()
    check = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
    good = extract(gpes.create_request("TPP").request_id)
    assert list(check.iter_errors(good)) == []
    breaks = [
        lambda b: b.update(spec_id="QOF-2011-12"),
        lambda b: b.update(achievement_date="2012-03-31"),
        lambda b: b["registers"].pop("DM"),
        lambda b: b["registers"].update(XYZ=1),
        lambda b: b["indicators"].append({"id": "DM99", "numerator": 1, "denominator": 2, "exceptions": 0}),
        lambda b: b["indicators"].pop(),
        lambda b: b["indicators"][0].update(id="DM99"),
        lambda b: b["indicators"][0].update(exceptions=-1),
        lambda b: b["registers"].update(DM=2 ** 31),
        lambda b: b.update(list_size=10 ** 30),
        lambda b: b.update(nhs_number="9990001235"),
        lambda b: b.update(practice_code="Ａ81001"),
        lambda b: b.update(target_populations={"XX": 1}),
        lambda b: b["indicators"][0].update(denominator=40.5),
    ]
    for n, change in enumerate(breaks):
        body = json.loads(json.dumps(good))
        change(body)
        assert list(check.iter_errors(body)), f"break {n} passes the schema"
        assert gpes.submit(canonical_json(body)).status == 422, f"break {n} passes the server"
    assert gpes.submit(canonical_json(good)).status == 201  # and the good one, after them all, is taken
