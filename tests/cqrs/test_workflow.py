"""CQRS on its own (no HTTP): idempotent ingestion, supersession, the declare -> approve -> pay workflow."""

import json
from decimal import Decimal

import pytest

from simulator.contracts import MAX_COUNT, canonical_json
from simulator.contracts.errors import Conflict, ExtractInvalid
from simulator.cqrs import payments
from simulator.cqrs.points import score
from simulator.cqrs.service import Cqrs
from simulator.cqrs.workflow import WorkflowError
from simulator.db import sessions
from simulator.gpes.spec import build_spec
from simulator.qof.catalogue import default_catalogue
from simulator.reconcile import qmas_national, qmas_payment, qmas_points, qmas_target_average

CAT = default_catalogue()
SPEC = build_spec(CAT)


def body(extract_id="x-1", practice="A81001", num=30, list_size=6000) -> bytes:
    return canonical_json({
        "schema_version": "1", "extract_id": extract_id, "request_id": "r", "spec_id": SPEC.spec_id, "supplier": "TPP",
        "practice_code": practice, "achievement_date": "2013-03-31", "list_size": list_size,
        "registers": {r.id: 300 for r in SPEC.registers},
        "indicators": [{"id": i.id, "numerator": num, "denominator": 40, "exceptions": 1} for i in SPEC.indicators]})


@pytest.fixture
def cqrs(tmp_path, db_url):
    return Cqrs(sessions(db_url), CAT, {"A81001": "05X", "B82005": "06Y"}, tmp_path / "pay")


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
        rows = extract_values(s, "x-1", cqrs.register_indicator)
    assert ("DM32", "Register", 300) in rows and ("LIST", "List size", 6000) in rows
    assert ("DM26", "Numerator", 30) in rows and ("DM26", "Exceptions", 1) in rows
    assert json.loads(body())["indicators"][0]["id"] in {r[0] for r in rows}


# ---------------------------------------------------------------- the largest counts the contract allows (issue #12)

TOP = MAX_COUNT
GROUPS = [t.group for t in SPEC.target_populations]
REGISTER_INDICATOR = {r.id: r.indicator for r in CAT.rules.registers.values()}


def counts_body(practice: str, list_size: int, register: int, num: int, den: int, exc: int, target: int) -> dict:
    return {"schema_version": "1", "extract_id": f"x-{practice}", "request_id": "r", "spec_id": SPEC.spec_id,
            "supplier": "TPP", "practice_code": practice, "achievement_date": "2013-03-31", "list_size": list_size,
            "registers": {r.id: register for r in SPEC.registers},
            "target_populations": {g: target for g in GROUPS},
            "indicators": [{"id": i.id, "numerator": num, "denominator": den, "exceptions": exc}
                           for i in SPEC.indicators]}


# three practices with every count at (or a step from) the bound, and two ordinary ones
LARGEST = [counts_body("A81001", TOP, TOP, TOP, TOP, TOP, TOP),  # every count at its bound
           counts_body("A81002", TOP, TOP // 3, 3 * (TOP // 5), TOP, 0, TOP // 4),  # 60 %: between thresholds
           counts_body("A81003", TOP, TOP - 1, TOP - 1, TOP, TOP, TOP - 1)]
ORDINARY = [counts_body("B82005", 6000, 300, 30, 40, 1, 1700), counts_body("C83001", 8123, 911, 77, 101, 4, 2203)]


def exact_payments(bodies: list[dict]) -> dict[str, Decimal]:
    """The per-practice path (points.score + payments.practice_payment) over the same run, with the
    national figures as exact Fractions of Python-int totals."""
    figures, scored = [], []
    for b in bodies:
        counts = {i["id"]: i for i in b["indicators"]}
        for rid, ind in REGISTER_INDICATOR.items():
            counts[ind] = {"register": b["registers"][rid]}
        scored.append([score(d, *(counts.get(code, {}).get(f) for f in ("numerator", "denominator", "exceptions",
                                                                           "register")))
                       for code, d in CAT.indicators.items()])
        figures.append(payments.PracticeFigures(b["practice_code"], b["list_size"], b["registers"],
                                                b["target_populations"]))
    national = payments.national_prevalence_exact(figures, CAT.rules.registers)
    target_average = payments.national_target_average(figures, GROUPS, CAT.parameters.cpi_divisor)
    assert all(0 < v < 1 for v in national.values())  # a wrapped total gave prevalence above 1
    return {f.practice_code: payments.practice_payment(CAT, f, s, national, target_average).total_gbp
            for f, s in zip(figures, scored)}


def test_the_largest_counts_the_contract_allows_are_paid_exactly_and_move_no_one_else(tmp_path, db_url):
    bodies = LARGEST + ORDINARY
    codes = [b["practice_code"] for b in bodies]
    service = Cqrs(sessions(db_url), CAT, {c: "05X" for c in codes}, tmp_path / "pay")
    for b in bodies:
        service.ingest(canonical_json(b), None)
    assert service.calculate()["calculated"] == len(bodies)
    for c in codes:
        service.declare(c, "pm")
        service.decide(c, "05X", "approve")
    run = service.payment_run()
    paid = {i.practice_code: Decimal(i.amount_gbp) for i in run.instructions}
    assert paid.keys() == set(codes)
    assert all(a.is_finite() and a > 0 and a == a.quantize(Decimal("0.01")) for a in paid.values())

    want = exact_payments(bodies)
    assert paid == want  # every practice, to the penny: the giants and the ordinary ones beside them
    assert Decimal(run.total_gbp) == sum(want.values())
    # and the independent (QMAS) re-derivation, exact fractions and none of simulator.cqrs's code
    national, target_average = qmas_national(CAT, bodies), qmas_target_average(CAT, bodies)
    assert {b["practice_code"]: qmas_payment(CAT, b, qmas_points(CAT, b), national, target_average)
            for b in bodies} == want
    # the largest payment is of the size the formula gives (points x £133.76 x CPI x APDF ~ 1), not 10**20
    assert max(paid.values()) < Decimal(1100) * Decimal("133.76") * TOP / 5891 * 2


def test_the_same_extract_ingested_at_once_from_many_threads_is_stored_once(cqrs):
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(8) as pool:
        created = [c for _, c in pool.map(lambda _: cqrs.ingest(body(), None), range(8))]
    assert created.count(True) == 1
    assert len(cqrs.extracts()) == 1


def test_later_extracts_for_one_practice_arriving_at_once_leave_exactly_one_current(cqrs):
    """Supersession under concurrency: whatever the order, one current extract per practice."""
    from concurrent.futures import ThreadPoolExecutor

    cqrs.ingest(body("x-0"), None)
    with ThreadPoolExecutor(6) as pool:
        list(pool.map(lambda i: cqrs.ingest(body(f"x-{i}", num=30 + i), None), range(1, 7)))
    held = cqrs.extracts()
    assert len(held) == 7
    assert sum(x["current"] for x in held) == 1
