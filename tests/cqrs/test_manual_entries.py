"""Manual entry of the 44 non-extracted indicators: validation, the rules of DESIGN.md §6, idempotence,
and how an entry reaches the points (plain functions first, then the HTTP face).

Point values are read from the catalogue (it is being reconciled): G below is the indicator's
catalogue maximum.
"""

import datetime as dt
from decimal import Decimal
from fractions import Fraction

import pytest
from fastapi.testclient import TestClient

from simulator.contracts import canonical_json
from simulator.cqrs.app import create_app
from tests.credentials import AUTH, bearer
from simulator.cqrs.manual import EntryInvalid, manual_indicators
from simulator.cqrs.points import ratio_points, score
from simulator.cqrs.service import Cqrs
from simulator.cqrs.workflow import ServiceConfig, WorkflowError
from simulator.db import CqrsManualEntry, sessions
from simulator.gpes.spec import build_spec
from simulator.qof.catalogue import IndicatorDef, default_catalogue

CAT = default_catalogue()
SPEC = build_spec(CAT)
YESNO = next(c for c, d in CAT.indicators.items() if not d.extracted and d.kind == "yesno")
SINGLE = next(c for c, d in CAT.indicators.items() if not d.extracted and d.kind == "manual"
              and d.lower is not None and d.lower == d.upper)
EXTRACTED = "SMOKE07"


def G(code: str) -> Decimal:
    return CAT.indicators[code].points


def body(extract_id="x-1", practice="A81001", num=30) -> bytes:
    return canonical_json({
        "schema_version": "1", "extract_id": extract_id, "request_id": "r", "spec_id": SPEC.spec_id, "supplier": "TPP",
        "practice_code": practice, "achievement_date": "2013-03-31", "list_size": 6000,
        "registers": {r.id: 300 for r in SPEC.registers},
        "indicators": [{"id": i.id, "numerator": num, "denominator": 40, "exceptions": 1} for i in SPEC.indicators]})


def entries(*items, by="practice manager"):
    return {"entered_by": by, "entries": list(items)}


def yes(code=YESNO, achieved=True):
    return {"ind_code": code, "achieved": achieved}


def pct(num, den, code=SINGLE):
    return {"ind_code": code, "numerator": num, "denominator": den}


@pytest.fixture
def cqrs(tmp_path, db_url):
    return Cqrs(sessions(db_url), CAT, {"A81001": "05X", "B82005": "06Y"}, tmp_path / "pay")


def stored_rows(cqrs):
    with cqrs.sessions() as s:
        return s.query(CqrsManualEntry).count()


def points_of(cqrs, code, practice="A81001"):
    return next(i for i in cqrs.achievement(practice).indicators if i.ind_code == code)


# ---------------------------------------------------------------- the catalogue side


def test_there_are_44_manual_indicators_and_none_is_extracted():
    """FACTS.md: 104 of the 148 indicators are extracted; the other 44 are entered by the practice."""
    assert len(manual_indicators(CAT)) == 44
    assert all(not CAT.indicators[c].extracted for c in manual_indicators(CAT))


@pytest.mark.parametrize("num, den, full", [
    (160, 200, True),   # 80 % exactly, threshold 80/80: at the threshold -> the maximum
    (159, 200, False),  # 79.5 %: below -> nothing
    (200, 200, True),   # 100 %: above -> the maximum
    (0, 200, False),
])
def test_single_threshold_rows_score_all_or_nothing_without_dividing_by_zero(num, den, full):
    """RECORDS-like rows have lower == upper: G x (D - E) / (F - E) would divide by zero; the
    rule checks 'at or above the upper threshold' first."""
    d = IndicatorDef("RECORDSX", "Organisational", "Records", "manual", Decimal(4), Decimal(80), Decimal(80), False,
                     "", "", "S/S")
    assert score(d, num, den).points == (Decimal(4) if full else 0)
    assert ratio_points(Fraction(4), Fraction(80), Fraction(80), num, den) == (4 if full else 0)


def test_catalogue_single_threshold_row_scores_at_its_threshold():
    d = CAT.indicators[SINGLE]
    at = int(d.lower) * 10  # d.lower % of 1,000
    assert score(d, at, 1000).points == d.points
    assert score(d, at - 1, 1000).points == 0


def test_yes_no_scores_full_points_or_none():
    d = CAT.indicators[YESNO]
    assert score(d, 1, 1).points == d.points
    assert score(d, 0, 1).points == 0


# ---------------------------------------------------------------- validation (422, nothing stored)


@pytest.mark.parametrize("item, field, reason", [
    ({"ind_code": "XYZ01", "achieved": True}, "entries[0].ind_code", "not a QOF 2012/13 indicator"),
    ({"ind_code": EXTRACTED, "achieved": True}, "entries[0].ind_code", "extracted by GPES"),
    ({"ind_code": YESNO, "numerator": 1, "denominator": 1}, "entries[0].achieved", "yes/no indicator"),
    ({"ind_code": SINGLE, "achieved": True}, "entries[0].numerator", "percentage"),
    ({"ind_code": SINGLE, "numerator": 5, "denominator": 4}, "entries[0]", "above denominator"),
    ({"ind_code": SINGLE, "numerator": -1, "denominator": 4}, "entries[0].numerator", "greater than or equal to 0"),
    ({"ind_code": SINGLE, "numerator": 5, "denominator": 2 ** 31}, "entries[0].denominator", "less than or equal to 2147"),
    ({"ind_code": SINGLE, "numerator": 10 ** 30, "denominator": 10 ** 30}, "entries[0].numerator", "less than or"),
    ({"ind_code": YESNO, "achieved": "yes"}, "entries[0].achieved", "valid boolean"),
    ({"ind_code": YESNO}, "entries[0]", "give 'achieved'"),
    ({"ind_code": YESNO, "achieved": True, "note": "x"}, "entries[0].note", "Extra inputs"),
])
def test_a_bad_entry_is_refused_naming_its_field(cqrs, item, field, reason):
    cqrs.ingest(body(), None)
    with pytest.raises(EntryInvalid) as e:
        cqrs.enter_manual("A81001", entries(item))
    assert any(err.field == field and reason in err.reason for err in e.value.errors), e.value.errors
    assert stored_rows(cqrs) == 0


def test_one_bad_entry_refuses_the_whole_request(cqrs):
    cqrs.ingest(body(), None)
    with pytest.raises(EntryInvalid) as e:
        cqrs.enter_manual("A81001", entries(yes(), pct(1, 2), {"ind_code": "XYZ01", "achieved": True}))
    assert [err.field for err in e.value.errors] == ["entries[2].ind_code"]
    assert stored_rows(cqrs) == 0


def test_the_same_indicator_twice_in_one_request_is_refused(cqrs):
    cqrs.ingest(body(), None)
    with pytest.raises(EntryInvalid, match=r"entries\[1\].ind_code"):
        cqrs.enter_manual("A81001", entries(yes(), yes(achieved=False)))


# ---------------------------------------------------------------- when entry is open (409 with the reason)


def test_no_entry_before_the_automatic_collection_has_completed(cqrs):
    with pytest.raises(WorkflowError) as e:
        cqrs.enter_manual("A81001", entries(yes()))
    assert (e.value.status, e.value.field) == (409, "practice_code")
    assert "automatic collection has not completed" in e.value.reason
    assert stored_rows(cqrs) == 0


@pytest.mark.parametrize("today", [dt.date(2013, 3, 31), dt.date(2013, 7, 1)])
def test_no_entry_outside_the_window(cqrs, today):
    """parameters_2012_13.yaml: manual_entry_window 2013-04-01 .. 2013-06-30 [I]."""
    cqrs.config = ServiceConfig(today=today)
    cqrs.ingest(body(), None)
    with pytest.raises(WorkflowError) as e:
        cqrs.enter_manual("A81001", entries(yes()))
    assert (e.value.status, e.value.field) == (409, "entry_window")
    assert "2013-04-01 to 2013-06-30" in e.value.reason


def test_the_window_days_themselves_are_open(cqrs):
    cqrs.ingest(body(), None)
    for day in (dt.date(2013, 4, 1), dt.date(2013, 6, 30)):
        cqrs.config = ServiceConfig(today=day)
        assert cqrs.enter_manual("A81001", entries(yes(achieved=day.month == 4))).stored == 1


def test_no_entry_once_the_commissioner_has_approved(cqrs):
    cqrs.ingest(body(), None)
    cqrs.calculate()
    cqrs.declare("A81001", "pm")
    cqrs.decide("A81001", "05X", "approve")
    with pytest.raises(WorkflowError) as e:
        cqrs.enter_manual("A81001", entries(yes()))
    assert (e.value.status, e.value.field) == (409, "state")
    assert "Approved" in e.value.reason


def test_unknown_practice_is_404(cqrs):
    with pytest.raises(WorkflowError) as e:
        cqrs.enter_manual("C99999", entries(yes()))
    assert e.value.status == 404


# ---------------------------------------------------------------- idempotence, scoring, workflow


def test_an_entry_is_idempotent_and_a_new_one_replaces_it(cqrs):
    cqrs.ingest(body(), None)
    first = cqrs.enter_manual("A81001", entries(yes(), pct(150, 200)))
    again = cqrs.enter_manual("A81001", entries(yes(), pct(150, 200)))
    assert (first.stored, first.unchanged) == (2, 0)
    assert (again.stored, again.unchanged) == (0, 2)
    changed = cqrs.enter_manual("A81001", entries(pct(170, 200), by="partner"))
    assert (changed.stored, changed.unchanged) == (1, 0)
    assert stored_rows(cqrs) == 2  # one row per practice x indicator
    got = {e.ind_code: e for e in cqrs.manual_entries("A81001")}
    assert (got[SINGLE].numerator, got[SINGLE].denominator, got[SINGLE].entered_by) == (170, 200, "partner")
    assert got[YESNO].achieved is True


def test_calculate_scores_the_entries(cqrs):
    """YESNO achieved -> G(YESNO) points; SINGLE 150/200 = 75 % under its threshold -> 0,
    then 190/200 = 95 % -> G(SINGLE). Every other manual indicator stays 'not_supplied'."""
    cqrs.ingest(body(), None)
    cqrs.enter_manual("A81001", entries(yes(), pct(150, 200)))
    cqrs.calculate()
    a = cqrs.achievement("A81001")
    assert Decimal(points_of(cqrs, YESNO).points) == G(YESNO)
    assert points_of(cqrs, SINGLE).points == "0" and points_of(cqrs, SINGLE).achievement_pct == "75"
    assert a.manual_entries == 2
    others = [i for i in a.indicators if i.ind_code in manual_indicators(CAT) and i.ind_code not in (YESNO, SINGLE)]
    assert {i.status for i in others} == {"not_supplied"}
    cqrs.enter_manual("A81001", entries(pct(190, 200)))
    cqrs.calculate()
    assert Decimal(points_of(cqrs, SINGLE).points) == G(SINGLE)


def test_entries_are_paid_by_cpi_in_their_domain(cqrs):
    """An organisational yes/no is paid G x £133.76 x CPI: the 'Organisational' component grows by
    exactly that (list 6,000: CPI = 6,000 / 5,891)."""
    cqrs.ingest(body(), None)
    cqrs.calculate()
    before = Decimal(cqrs.achievement("A81001").components_gbp.get("Organisational", "0"))
    assert CAT.indicators[YESNO].domain == "Organisational"
    cqrs.enter_manual("A81001", entries(yes()))
    cqrs.calculate()
    after = Decimal(cqrs.achievement("A81001").components_gbp["Organisational"])
    expected = Fraction(G(YESNO)) * Fraction("133.76") * Fraction(6000, 5891)
    assert abs(after - before - Decimal(expected.numerator) / Decimal(expected.denominator)) < Decimal("1e-30")


def test_an_entry_makes_a_calculated_record_stale_until_recalculated(cqrs):
    cqrs.ingest(body(), None)
    cqrs.calculate()
    result = cqrs.enter_manual("A81001", entries(yes()))
    assert (result.state, result.stale) == ("Awaiting Service Provider Approval", True)
    with pytest.raises(WorkflowError, match="recalculate"):
        cqrs.declare("A81001", "pm")
    cqrs.calculate()
    assert cqrs.declare("A81001", "pm") == "Awaiting Commissioning Organisation Approval"


def test_an_unchanged_resubmission_does_not_make_the_record_stale(cqrs):
    cqrs.ingest(body(), None)
    cqrs.enter_manual("A81001", entries(yes()))
    cqrs.calculate()
    assert cqrs.enter_manual("A81001", entries(yes())).stale is False
    assert cqrs.declare("A81001", "pm") == "Awaiting Commissioning Organisation Approval"


def test_an_entry_for_a_declared_record_sends_it_back_to_the_practice(cqrs):
    """Declared but not approved: entry is still open (DESIGN.md §6: before approval); the
    declaration is withdrawn and the record waits for recalculation, as after a new extract."""
    cqrs.ingest(body(), None)
    cqrs.calculate()
    cqrs.declare("A81001", "pm")
    result = cqrs.enter_manual("A81001", entries(yes()))
    assert (result.state, result.stale) == ("Awaiting Service Provider Approval", True)
    with pytest.raises(WorkflowError):
        cqrs.decide("A81001", "05X", "approve")  # nothing to approve any more
    cqrs.calculate()
    assert Decimal(points_of(cqrs, YESNO).points) == G(YESNO)


def test_entries_made_before_the_first_calculation_are_included(cqrs):
    cqrs.ingest(body(), None)
    result = cqrs.enter_manual("A81001", entries(yes()))
    assert (result.state, result.stale) == (None, False)
    cqrs.calculate()
    assert Decimal(points_of(cqrs, YESNO).points) == G(YESNO)


def test_a_new_extract_keeps_the_manual_entries(cqrs):
    cqrs.ingest(body(), None)
    cqrs.enter_manual("A81001", entries(yes()))
    cqrs.calculate()
    cqrs.ingest(body("x-2", num=35), None)
    cqrs.calculate()
    assert cqrs.achievement("A81001").extract_id == "x-2"
    assert Decimal(points_of(cqrs, YESNO).points) == G(YESNO)


# ---------------------------------------------------------------- over HTTP


@pytest.fixture
def client(cqrs):
    return TestClient(create_app(cqrs, AUTH), headers=bearer("practice", practice="A81001"))


def test_http_entry_then_calculation(client, cqrs):
    cqrs.ingest(body(), None)
    r = client.post("/practices/A81001/manual-entries", json=entries(yes(), pct(180, 200)))
    assert r.status_code == 200, r.text
    assert r.json() == {"practice_code": "A81001", "stored": 2, "unchanged": 0, "state": None, "stale": False}
    assert [e["ind_code"] for e in client.get("/practices/A81001/manual-entries").json()] == sorted([YESNO, SINGLE])
    client.post("/calculations", headers=bearer("finance"))
    got = {i["ind_code"]: i for i in client.get("/practices/A81001/achievement").json()["indicators"]}
    assert Decimal(got[YESNO]["points"]) == G(YESNO)


def test_http_422_names_the_field_and_stores_nothing(client, cqrs):
    cqrs.ingest(body(), None)
    r = client.post("/practices/A81001/manual-entries", json=entries(yes(), pct(-1, 4)))
    assert r.status_code == 422
    assert r.json()["detail"][0]["field"] == "entries[1].numerator"
    r = client.post("/practices/A81001/manual-entries", json=entries({"ind_code": EXTRACTED, "achieved": True}))
    assert r.status_code == 422
    assert r.json() == {"detail": [{"field": "entries[0].ind_code", "reason": r.json()["detail"][0]["reason"]}]}
    assert "extracted by GPES" in r.json()["detail"][0]["reason"]
    assert client.get("/practices/A81001/manual-entries").json() == []


def test_http_409_gives_the_reason(client):
    r = client.post("/practices/A81001/manual-entries", json=entries(yes()))
    assert r.status_code == 409
    assert r.json()["detail"][0]["field"] == "practice_code"
    assert "automatic collection" in r.json()["detail"][0]["reason"]
