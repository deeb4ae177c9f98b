"""Many practices in one request: manual entries, declarations, approvals (POST /manual-entries,
/declarations, /approvals). Each practice is checked by the rules of the one-practice endpoint,
answered on its own; a refused practice stores nothing; a repeat is 'unchanged'; a malformed
request or a practice named twice is refused whole and stores nothing."""

import pytest
from fastapi.testclient import TestClient

from simulator.contracts import BulkApprovals, BulkDeclarations, BulkManualEntries, canonical_json
from simulator.cqrs import manual
from simulator.cqrs.app import create_app
from tests.credentials import AUTH, bearer
from simulator.cqrs.service import Cqrs
from simulator.cqrs.workflow import AWAITING_CO, AWAITING_SP, APPROVED, RequestInvalid, WorkflowError
from simulator.db import CqrsManualEntry, CqrsWorkflow, sessions
from simulator.gpes.spec import build_spec
from simulator.qof.catalogue import default_catalogue

CAT = default_catalogue()
SPEC = build_spec(CAT)
YESNO = next(c for c, d in CAT.indicators.items() if not d.extracted and d.kind == "yesno")
SINGLE = next(c for c, d in CAT.indicators.items() if not d.extracted and d.kind == "manual"
              and d.lower is not None and d.lower == d.upper)
CCG = {"A81001": "05X", "A81002": "05X", "B82005": "06Y", "B82006": "06Y", "C83001": "07Z"}


def body(practice: str, extract_id: str | None = None) -> bytes:
    return canonical_json({
        "schema_version": "1", "extract_id": extract_id or f"x-{practice}", "request_id": "r", "spec_id": SPEC.spec_id,
        "supplier": "TPP", "practice_code": practice, "achievement_date": "2013-03-31", "list_size": 6000,
        "registers": {r.id: 300 for r in SPEC.registers},
        "indicators": [{"id": i.id, "numerator": 30, "denominator": 40, "exceptions": 1} for i in SPEC.indicators]})


@pytest.fixture
def cqrs(tmp_path):
    return Cqrs(sessions(f"sqlite:///{tmp_path / 'c.db'}"), CAT, CCG, tmp_path / "pay")


def history(cqrs, code):
    with cqrs.sessions() as s:
        return s.query(CqrsWorkflow).filter_by(practice_code=code).one().history


def entries_of(cqrs, code):
    with cqrs.sessions() as s:
        return s.query(CqrsManualEntry).filter_by(practice_code=code).count()


def good(code, by="pm"):
    return {"practice_code": code, "entered_by": by,
            "entries": [{"ind_code": YESNO, "achieved": True}, {"ind_code": SINGLE, "numerator": 180, "denominator": 200}]}


def by_code(result):
    return {o.practice_code: o for o in result.results}


# ---------------------------------------------------------------- manual entries


def test_bulk_manual_entries_answer_each_practice_and_store_only_the_good_ones(cqrs):
    for code in ("A81001", "A81002", "C83001"):
        cqrs.ingest(body(code), None)
    bad_entry = {"practice_code": "A81002", "entered_by": "pm",
                 "entries": [{"ind_code": YESNO, "achieved": True}, {"ind_code": SINGLE, "numerator": 5, "denominator": 4}]}
    result = cqrs.enter_manual_many(BulkManualEntries.model_validate({"practices": [
        good("A81001"), bad_entry, good("B82005"), good("Z99999"), good("C83001")]}))
    assert (result.done, result.unchanged, result.refused) == (2, 0, 3)
    assert [o.practice_code for o in result.results] == ["A81001", "A81002", "B82005", "Z99999", "C83001"]
    got = by_code(result)
    assert got["A81001"].status == 200 and got["A81001"].outcome == "done"
    assert got["A81001"].manual.stored == 2 and got["A81001"].manual.stale is False
    assert got["A81002"].status == 422 and got["A81002"].detail[0].field == "entries[1]"
    assert "above denominator" in got["A81002"].detail[0].reason
    assert got["B82005"].status == 409 and got["B82005"].detail[0].field == "practice_code"  # no extract yet
    assert "automatic collection" in got["B82005"].detail[0].reason
    assert (got["Z99999"].status, got["Z99999"].detail[0].field) == (404, "practice_code")
    assert [entries_of(cqrs, c) for c in ("A81001", "A81002", "B82005", "C83001")] == [2, 0, 0, 2]


def test_bulk_manual_entries_give_the_one_practice_endpoints_errors(cqrs):
    """The same practice through both doors: the same status, field and reason."""
    cqrs.ingest(body("A81001"), None)
    cases = [[{"ind_code": "SMOKE07", "achieved": True}],  # an extracted indicator
             [{"ind_code": YESNO, "numerator": 1, "denominator": 2}],  # a yes/no given as a percentage
             [{"ind_code": YESNO, "achieved": True}, {"ind_code": YESNO, "achieved": False}],  # twice
             []]  # no entries at all
    for items in cases:
        with pytest.raises(manual.EntryInvalid) as one:
            cqrs.enter_manual("A81001", {"entered_by": "pm", "entries": items})
        bulk = cqrs.enter_manual_many(BulkManualEntries.model_validate(
            {"practices": [{"practice_code": "A81001", "entered_by": "pm", "entries": items}]})).results[0]
        assert (bulk.status, bulk.outcome) == (422, "refused")
        assert [d.model_dump() for d in bulk.detail] == [e.model_dump() for e in one.value.errors]
    assert entries_of(cqrs, "A81001") == 0


def test_bulk_manual_entries_again_are_unchanged_and_leave_the_record_as_it_was(cqrs):
    for code in ("A81001", "B82005"):
        cqrs.ingest(body(code), None)
    request = BulkManualEntries.model_validate({"practices": [good("A81001"), good("B82005")]})
    assert cqrs.enter_manual_many(request).done == 2
    cqrs.calculate()
    before = history(cqrs, "A81001")
    again = cqrs.enter_manual_many(request)
    assert (again.done, again.unchanged, again.refused) == (0, 2, 0)
    assert all(o.manual.stored == 0 and o.manual.unchanged == 2 and o.manual.stale is False for o in again.results)
    assert history(cqrs, "A81001") == before
    assert cqrs.declare_many(BulkDeclarations.model_validate(
        {"declarations": [{"practice_code": "A81001", "declared_by": "pm"}]})).done == 1  # not stale


def test_a_changed_bulk_entry_makes_the_record_stale_and_withdraws_the_declaration(cqrs):
    cqrs.ingest(body("A81001"), None)
    cqrs.enter_manual_many(BulkManualEntries.model_validate({"practices": [good("A81001")]}))
    cqrs.calculate()
    cqrs.declare("A81001", "pm")
    changed = good("A81001")
    changed["entries"][0]["achieved"] = False
    o = cqrs.enter_manual_many(BulkManualEntries.model_validate({"practices": [changed]})).results[0]
    assert (o.outcome, o.state, o.manual.stored, o.manual.stale) == ("done", AWAITING_SP, 1, True)
    refused = cqrs.declare_many(BulkDeclarations.model_validate(
        {"declarations": [{"practice_code": "A81001", "declared_by": "pm"}]})).results[0]
    assert (refused.status, refused.detail[0].field) == (409, "state") and "recalculate" in refused.detail[0].reason


def test_a_practice_named_twice_refuses_the_whole_request(cqrs):
    cqrs.ingest(body("A81001"), None)
    with pytest.raises(RequestInvalid) as e:
        cqrs.enter_manual_many(BulkManualEntries.model_validate({"practices": [good("A81001"), good("A81001")]}))
    assert e.value.errors[0].field == "practices[1].practice_code"
    assert entries_of(cqrs, "A81001") == 0


def test_nothing_is_half_stored_when_the_request_fails_midway(cqrs, monkeypatch):
    """A failure after the first practice was written (not a refusal: the database, a bug) rolls the
    whole request back: no practice keeps part of it."""
    for code in ("A81001", "A81002"):
        cqrs.ingest(body(code), None)
    cqrs.enter_manual_many(BulkManualEntries.model_validate({"practices": [good("A81001")]}))
    changed = good("A81001")
    changed["entries"][0]["achieved"] = False  # an update of A81001's stored entry, then A81002 fails
    real = manual._enter_one

    def second_fails(s, cfg, date, code, *args):
        if code == "A81002":
            s.flush()  # A81001's change is in the database's transaction by now
            raise RuntimeError("disk full")
        return real(s, cfg, date, code, *args)

    monkeypatch.setattr(manual, "_enter_one", second_fails)
    with pytest.raises(RuntimeError):
        cqrs.enter_manual_many(BulkManualEntries.model_validate({"practices": [changed, good("A81002")]}))
    assert entries_of(cqrs, "A81002") == 0
    assert {e.ind_code: e.achieved for e in cqrs.manual_entries("A81001")}[YESNO] is True  # not False: rolled back


# ---------------------------------------------------------------- declarations and approvals


@pytest.fixture
def calculated(cqrs):
    for code in ("A81001", "A81002", "B82005", "B82006"):
        cqrs.ingest(body(code), None)
    cqrs.calculate()
    return cqrs


def declarations(*codes, by="pm"):
    return BulkDeclarations.model_validate({"declarations": [{"practice_code": c, "declared_by": by} for c in codes]})


def approvals(*items):
    return BulkApprovals.model_validate({"approvals": [
        {"practice_code": c, "approver": a, "decision": d, "reason": r} for c, a, d, r in items]})


def test_bulk_declarations_answer_each_practice(calculated):
    cqrs = calculated
    cqrs.declare("B82005", "someone else")
    result = cqrs.declare_many(declarations("A81001", "B82005", "C83001", "A81002"))
    got = by_code(result)
    assert (result.done, result.unchanged, result.refused) == (2, 0, 2)
    assert got["A81001"].state == got["A81002"].state == AWAITING_CO
    assert (got["B82005"].status, got["B82005"].detail[0].field) == (409, "state")
    assert got["B82005"].detail[0].reason == f"B82005 is '{AWAITING_CO}', not '{AWAITING_SP}'"
    assert (got["C83001"].status, got["C83001"].detail[0].field) == (404, "practice_code")  # never calculated
    assert cqrs.achievement("B82006").state == AWAITING_SP  # not named: untouched
    assert [h["why"] for h in history(cqrs, "B82005")][-1] == "declared by someone else"


def test_bulk_declarations_again_are_unchanged(calculated):
    cqrs = calculated
    assert cqrs.declare_many(declarations("A81001", "A81002")).done == 2
    before = history(cqrs, "A81001")
    again = cqrs.declare_many(declarations("A81001", "A81002"))
    assert (again.done, again.unchanged, again.refused) == (0, 2, 0)
    assert all(o.status == 200 and o.state == AWAITING_CO for o in again.results)
    assert history(cqrs, "A81001") == before
    assert cqrs.declare("A81001", "pm") == AWAITING_CO  # the one-practice endpoint: the same rule
    with pytest.raises(WorkflowError) as e:  # another declarer is not a repeat
        cqrs.declare("A81001", "someone else")
    assert e.value.status == 409


def test_bulk_approvals_check_each_commissioner_and_state(calculated):
    cqrs = calculated
    cqrs.declare_many(declarations("A81001", "A81002", "B82005"))
    result = cqrs.decide_many(approvals(("A81001", "05X", "approve", ""), ("A81002", "06Y", "approve", ""),
                                        ("B82005", "06Y", "reject", "register looks short"),
                                        ("B82006", "06Y", "approve", "")))
    got = by_code(result)
    assert got["A81001"].state == APPROVED
    assert (got["A81002"].status, got["A81002"].detail[0].field) == (403, "approver")
    assert got["A81002"].detail[0].reason == "06Y does not commission A81002"
    assert got["B82005"].state == AWAITING_SP
    assert (got["B82006"].status, got["B82006"].detail[0].field) == (409, "state")  # not declared
    assert cqrs.achievement("A81002").state == AWAITING_CO  # refused: as it was
    again = cqrs.decide_many(approvals(("A81001", "05X", "approve", ""),
                                       ("B82005", "06Y", "reject", "register looks short")))
    assert (again.done, again.unchanged, again.refused) == (0, 2, 0)
    assert [h["why"] for h in history(cqrs, "B82005")].count("rejected by 06Y: register looks short") == 1
    assert [i.practice_code for i in cqrs.payment_run().instructions] == ["A81001"]


def test_a_service_with_no_approval_required_declares_in_bulk_and_repeats_unchanged(calculated):
    from simulator.cqrs.workflow import ServiceConfig

    cqrs = calculated
    cqrs.config = ServiceConfig(no_approval_required=True)
    assert [o.state for o in cqrs.declare_many(declarations("A81001")).results] == [APPROVED]
    assert cqrs.declare_many(declarations("A81001")).unchanged == 1


# ---------------------------------------------------------------- over HTTP


@pytest.fixture
def client(calculated):
    return TestClient(create_app(calculated, AUTH))


def test_http_bulk_endpoints(client, calculated):
    r = client.post("/manual-entries", json={"practices": [good("A81001")]},
                    headers=bearer("practice", practice="A81001"))
    assert r.status_code == 200, r.text
    assert [(x["practice_code"], x["status"], x["outcome"]) for x in r.json()["results"]] == [("A81001", 200, "done")]
    r = client.post("/manual-entries", json={"practices": [{**good("A81002"), "entered_by": ""}]},
                    headers=bearer("practice", practice="A81002"))
    res = r.json()["results"]
    assert [(x["practice_code"], x["status"], x["outcome"]) for x in res] == [("A81002", 422, "refused")]
    assert res[0]["detail"][0]["field"] == "entered_by"
    client.post("/calculations", headers=bearer("finance"))
    for c in ("A81001", "A81002", "B82005"):
        r = client.post("/declarations", json={"declarations": [{"practice_code": c, "declared_by": "pm"}]},
                        headers=bearer("practice", practice=c))
        assert r.status_code == 200 and r.json()["done"] == 1
    r = client.post("/approvals", json={"approvals": [{"practice_code": "A81001", "approver": "05X", "decision": "approve"},
                                                      {"practice_code": "B82005", "approver": "05X", "decision": "approve"}]},
                    headers=bearer("commissioner", ccg="05X"))
    assert r.status_code == 200
    assert [(x["status"], x["outcome"]) for x in r.json()["results"]] == [(200, "done"), (403, "refused")]
    assert r.json()["results"][1]["detail"] == [{"field": "approver", "reason": "05X does not commission B82005"}]


def test_http_a_bulk_request_for_another_practice_is_refused_whole(client, calculated):
    """A practice declares (and enters) for itself only: one foreign item refuses the request, nothing stored."""
    r = client.post("/declarations", json={"declarations": [{"practice_code": c, "declared_by": "pm"}
                                                            for c in ("A81001", "A81002")]},
                    headers=bearer("practice", practice="A81001"))
    assert r.status_code == 403 and r.json()["detail"][0]["field"] == "declarations[1].practice_code"
    r = client.post("/approvals", json={"approvals": [{"practice_code": "A81001", "approver": "06Y",
                                                       "decision": "approve"}]},
                    headers=bearer("commissioner", ccg="05X"))
    assert r.status_code == 403 and r.json()["detail"][0]["field"] == "approvals[0].approver"
    assert calculated.achievement("A81001").state == AWAITING_SP


@pytest.mark.parametrize("path,payload,field,role", [
    ("/declarations", {"declarations": [{"practice_code": "A81001", "declared_by": "pm"},
                                        {"practice_code": "A81001", "declared_by": "pm"}]}, "declarations[1].practice_code",
     "practice"),
    ("/declarations", {"declarations": [{"practice_code": "A81001", "declared_by": ""}]}, "declarations[0].declared_by",
     "practice"),
    ("/declarations", {"declarations": []}, "declarations", "practice"),
    ("/approvals", {"approvals": [{"practice_code": "A81001", "approver": "05X", "decision": "maybe"}]},
     "approvals[0].decision", "commissioner"),
    ("/manual-entries", {"practices": [{"practice_code": "A81001", "entries": [], "colour": "red"}]},
     "practices[0].colour", "practice"),
])
def test_http_a_malformed_bulk_request_is_refused_whole(client, calculated, path, payload, field, role):
    who = bearer("practice", practice="A81001") if role == "practice" else bearer("commissioner", ccg="05X")
    r = client.post(path, json=payload, headers=who)
    assert r.status_code == 422
    assert r.json()["detail"][0]["field"] == field
    assert calculated.achievement("A81001").state == AWAITING_SP


def test_the_client_sends_bulk_requests(calculated):
    """CqrsClient's bulk calls against the face served on loopback, each caller with its credential."""
    from simulator.practice import manual_entries
    from simulator.services import running, serve
    from simulator.transport.http import CqrsClient
    from tests.credentials import token

    with running(serve("cqrs", create_app(calculated, AUTH))) as (served,):
        def practice(c):
            return CqrsClient(served.url, token=token("practice", practice=c))
        for c in ("A81001", "A81002"):
            res = practice(c).enter_manual_many([(c, manual_entries(CAT, c, 1))])
            assert res.done == 1 and all(o.manual.stored == 44 for o in res.results)
        CqrsClient(served.url, token=token("finance")).calculate()
        for c in ("A81001", "A81002"):
            assert practice(c).declare_many([(c, "pm")]).done == 1
        ccg = CqrsClient(served.url, token=token("commissioner", ccg="05X"))
        res = ccg.decide_many([("A81001", "05X", "approve", ""), ("A81002", "05X", "approve", "")])
        assert [o.state for o in res.results] == [APPROVED, APPROVED]
        assert ccg.decide_many([("A81001", "05X", "approve", "")]).unchanged == 1


# ---------------------------------------------------------------- reading many practices at once


def test_bulk_reads_page_through_every_record_as_the_one_practice_reads_give_it(calculated):
    """GET /achievements, /manual-entries, /extract-bodies: NDJSON pages in key order; paging by
    ``after`` gives every record once, the same as the one-practice reads."""
    import json

    from simulator.practice import manual_entries
    from simulator.services import running, serve
    from simulator.transport.http import CqrsClient

    cqrs = calculated
    cqrs.ingest(body("A81001", "x-A81001-again"), None)  # a second extract: two bodies for A81001
    for code in ("A81001", "B82005", "B82006"):
        cqrs.enter_manual(code, manual_entries(CAT, code, 1))
    cqrs.calculate()
    from tests.credentials import token

    with running(serve("cqrs", create_app(cqrs, AUTH))) as (served,):
        client = CqrsClient(served.url, token=token("auditor"))
        for limit in (1, 3, 500):
            lines = list(client.achievements_all(limit=limit))
            got = [json.loads(x) for x in lines]
            assert [a["practice_code"] for a in got] == ["A81001", "A81002", "B82005", "B82006"]
            assert all(b"\n" not in x for x in lines)
            assert got == [client.achievement(a["practice_code"]).model_dump(mode="json") for a in got]
            manual = [json.loads(x) for x in client.manual_entries_all(limit=limit)]
            assert [m["practice_code"] for m in manual] == ["A81001", "B82005", "B82006"]
            assert manual[0]["entries"] == client.manual_entries("A81001")
            bodies = list(client.extract_bodies(limit=limit))
            assert sorted(i for i, _, _ in bodies) == sorted(x["extract_id"] for x in client.extracts())
            assert all(b == client.extract_body(i) for i, _, b in bodies)
        assert [i for i, _, _ in client.extract_bodies(["no such request"])] == []
        r = client.http.get(f"{served.url}/achievements", params={"limit": 0})
        assert r.status_code == 422 and r.json()["detail"][0]["field"] == "query.limit"
