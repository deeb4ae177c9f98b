"""CQRS on its own (no HTTP): idempotent ingestion, supersession, the declare -> approve -> pay workflow."""

import json

import pytest

from simulator.contracts import canonical_json
from simulator.contracts.errors import Conflict, ExtractInvalid
from simulator.cqrs.service import Cqrs
from simulator.cqrs.workflow import WorkflowError
from simulator.db import sessions
from simulator.gpes.spec import build_spec
from simulator.qof.catalogue import default_catalogue

CAT = default_catalogue()
SPEC = build_spec(CAT)


def body(extract_id="x-1", practice="A81001", num=30, list_size=6000) -> bytes:
    return canonical_json({
        "schema_version": "1", "extract_id": extract_id, "request_id": "r", "spec_id": SPEC.spec_id, "supplier": "TPP",
        "practice_code": practice, "achievement_date": "2013-03-31", "list_size": list_size,
        "registers": {r.id: 300 for r in SPEC.registers},
        "indicators": [{"id": i.id, "numerator": num, "denominator": 40, "exceptions": 1} for i in SPEC.indicators]})


@pytest.fixture
def cqrs(tmp_path):
    return Cqrs(sessions(f"sqlite:///{tmp_path / 'c.db'}"), CAT, {"A81001": "05X", "B82005": "06Y"}, tmp_path / "pay")


def test_the_same_extract_twice_is_stored_once(cqrs):
    first, created = cqrs.ingest(body(), None)
    again, created_again = cqrs.ingest(body(), None)
    assert (created, created_again) == (True, False)
    assert first == again
    assert len(cqrs.extracts()) == 1


def test_the_same_id_with_other_content_is_a_conflict(cqrs):
    cqrs.ingest(body(), None)
    with pytest.raises(Conflict):
        cqrs.ingest(body(num=31), None)


def test_a_wrong_checksum_is_refused_and_nothing_stored(cqrs):
    with pytest.raises(ExtractInvalid, match="X-Content-SHA256"):
        cqrs.ingest(body(), "0" * 64)
    assert cqrs.extracts() == []


def test_full_workflow_to_payment(cqrs, tmp_path):
    cqrs.ingest(body(), None)
    assert cqrs.calculate()["calculated"] == 1
    assert cqrs.achievement("A81001").state == "Awaiting Service Provider Approval"
    with pytest.raises(WorkflowError) as e:
        cqrs.decide("A81001", "05X", "approve")  # not declared yet
    assert e.value.status == 409
    assert cqrs.declare("A81001", "pm") == "Awaiting Commissioning Organisation Approval"
    with pytest.raises(WorkflowError) as e:
        cqrs.decide("A81001", "06Y", "approve")  # not this practice's commissioner
    assert (e.value.status, e.value.field) == (403, "approver")
    assert cqrs.decide("A81001", "05X", "approve") == "Approved"
    run = cqrs.payment_run()
    assert [i.practice_code for i in run.instructions] == ["A81001"]
    assert run.total_gbp == cqrs.achievement("A81001").payment_gbp
    assert cqrs.achievement("A81001").state == "Payment Instructed"
    assert cqrs.payment_run().instructions == ()  # paid once only


def test_rejection_returns_the_record_to_the_practice(cqrs):
    cqrs.ingest(body(), None)
    cqrs.calculate()
    cqrs.declare("A81001", "pm")
    assert cqrs.decide("A81001", "05X", "reject", "register looks short") == "Awaiting Service Provider Approval"
    assert cqrs.declare("A81001", "pm") == "Awaiting Commissioning Organisation Approval"


def test_a_later_extract_sends_an_approved_record_back_for_declaration(cqrs):
    cqrs.ingest(body(), None)
    cqrs.calculate()
    cqrs.declare("A81001", "pm")
    cqrs.decide("A81001", "05X", "approve")
    before = cqrs.achievement("A81001")
    cqrs.ingest(body("x-2", num=40), None)
    with pytest.raises(WorkflowError, match="recalculate"):
        cqrs.declare("A81001", "pm")
    cqrs.calculate()
    after = cqrs.achievement("A81001")
    assert after.state == "Awaiting Service Provider Approval"
    assert after.extract_id == "x-2" and after.total_points != before.total_points
    assert [x["current"] for x in cqrs.extracts()] == [True, False] or [x["current"] for x in cqrs.extracts()] == [False, True]


def test_a_service_with_no_declaration_and_no_approval_required_completes_those_steps(cqrs):
    from simulator.cqrs.workflow import ServiceConfig

    cqrs.config = ServiceConfig(no_declaration_required=True, no_approval_required=True)
    cqrs.ingest(body(), None)
    cqrs.calculate()
    assert cqrs.achievement("A81001").state == "Approved"
    history = [h["why"] for h in cqrs_history(cqrs, "A81001")]
    assert "declared by No Declaration Required" in history and "No Approval Required" in history


def cqrs_history(cqrs, code):
    from simulator.db import CqrsWorkflow

    with cqrs.sessions() as s:
        return next(w.history for w in s.query(CqrsWorkflow).filter_by(practice_code=code))


def test_unknown_practice_is_refused(cqrs):
    with pytest.raises(ExtractInvalid, match="unknown practice"):
        cqrs.ingest(body(practice="C99999"), None)


def test_stored_values_use_the_long_layout_names(cqrs):
    from simulator.cqrs.store import extract_values

    cqrs.ingest(body(), None)
    with cqrs.sessions() as s:
        rows = extract_values(s, "x-1")
    assert ("DM32", "Register", 300) in rows and ("LIST", "List size", 6000) in rows
    assert ("DM26", "Numerator", 30) in rows and ("DM26", "Exceptions", 1) in rows
    assert json.loads(body())["indicators"][0]["id"] in {r[0] for r in rows}
