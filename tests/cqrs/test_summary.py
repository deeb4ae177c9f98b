"""Points per indicator, area, domain and practice, with each area's maximum.

A not-applicable indicator (denominator + exceptions = 0) leaves the maximum (technical annex
§2.1.4.4); a not-supplied one stays in it.
"""

from decimal import Decimal
from fractions import Fraction

from fastapi.testclient import TestClient

from simulator.contracts import canonical_json
from simulator.cqrs.achievement import area_rows, score_practice, summaries
from simulator.cqrs.app import create_app
from tests.credentials import AUTH, bearer
from simulator.cqrs.longformat import DENOMINATOR, EXCEPTIONS, NUMERATOR
from simulator.cqrs.points import to_decimal
from simulator.cqrs.service import Cqrs
from simulator.db import sessions
from simulator.gpes.spec import build_spec
from simulator.qof.catalogue import default_catalogue

CAT = default_catalogue()
SPEC = build_spec(CAT)
SMOKING_MAX = sum(d.points for d in CAT.indicators.values() if d.area == "Smoking")


def smoking_fields():
    return {"SMOKE07": {NUMERATOR: 1319, DENOMINATOR: 1497, EXCEPTIONS: 0},
            "SMOKE08": {NUMERATOR: 325, DENOMINATOR: 401, EXCEPTIONS: 0},
            "SMOKE05": {NUMERATOR: 0, DENOMINATOR: 0, EXCEPTIONS: 0}}


def test_area_points_are_the_exact_sum_of_its_indicators():
    """SMOKE07 11 x (88.1095… - 50) / 40 = 10.4801…; SMOKE08 12 x (81.0473… - 40) / 50 = 9.8513…;
    Smoking = 20.3314…, shown 20.33 (the indicators' 2-dp figures would add to 10.48 + 9.85 = 20.33).
    SMOKE05 (0 of 0, no exceptions) is not applicable: its points leave the maximum."""
    areas, domains = summaries(area_rows(CAT, score_practice(CAT, smoking_fields())))
    smoking = next(a for a in areas if a.area == "Smoking")
    exact = Fraction(11) * (Fraction(131900, 1497) - 50) / 40 + Fraction(12) * (Fraction(32500, 401) - 40) / 50
    assert smoking.points == str(to_decimal(exact)) == "20.33149849158000123272313538131958014116"
    assert smoking.points_2dp == "20.33"
    assert Decimal(smoking.max_points) == SMOKING_MAX - CAT.indicators["SMOKE05"].points
    clinical = next(d for d in domains if d.domain == "Clinical")
    assert clinical.points == smoking.points  # nothing else scored
    assert Decimal(clinical.max_points) == sum(Decimal(a.max_points) for a in areas if a.domain == "Clinical")


def test_domains_cover_the_catalogue_and_add_up_to_the_maximum():
    areas, domains = summaries(area_rows(CAT, score_practice(CAT, {})))
    assert [d.domain for d in domains] == ["Clinical", "Organisational", "Patient experience", "Additional services"]
    assert sum(Decimal(d.max_points) for d in domains) == sum(d.points for d in CAT.indicators.values())
    assert {a.area for a in areas} == {d.area for d in CAT.indicators.values()}
    assert all(a.points == "0" for a in areas)


def body() -> bytes:
    return canonical_json({
        "schema_version": "1", "extract_id": "x-1", "request_id": "r", "spec_id": SPEC.spec_id, "supplier": "TPP",
        "practice_code": "A81001", "achievement_date": "2013-03-31", "list_size": 6000,
        "registers": {r.id: 300 for r in SPEC.registers},
        "indicators": [{"id": i.id, "numerator": 36, "denominator": 40, "exceptions": 1} for i in SPEC.indicators]})


def test_summary_endpoint(tmp_path):
    cqrs = Cqrs(sessions(f"sqlite:///{tmp_path / 'c.db'}"), CAT, {"A81001": "05X"}, tmp_path / "pay")
    cqrs.ingest(body(), None)
    client = TestClient(create_app(cqrs, AUTH), headers=bearer("practice", practice="A81001"))
    assert client.get("/practices/A81001/achievement/summary").status_code == 404  # not calculated yet
    client.post("/calculations", headers=bearer("finance"))
    s = client.get("/practices/A81001/achievement/summary").json()
    a = cqrs.achievement("A81001")
    assert s["total_points"] == a.total_points
    assert Decimal(s["total_points"]) == sum(Decimal(d["points"]) for d in s["domains"])
    assert Decimal(s["total_points"]) == sum(Decimal(a["points"]) for a in s["areas"])
    assert abs(Decimal(s["total_points"]) - sum(Decimal(i.points) for i in a.indicators)) < Decimal("1e-30")
    assert Decimal(s["max_points"]) == sum(d.points for d in CAT.indicators.values())
    assert s["payment_gbp"] == a.payment_gbp and s["net_gbp"] == a.net_gbp
    assert s["aspiration_paid_gbp"] == a.aspiration.paid_gbp
    smoking = next(x for x in s["areas"] if x["area"] == "Smoking")
    # SMOKE07/08 at 36/40 = 90 %: both at their upper threshold -> 11 + 12 (SMOKE05/06 not extracted here)
    assert Decimal(smoking["points"]) == CAT.indicators["SMOKE07"].points + CAT.indicators["SMOKE08"].points \
        + sum(CAT.indicators[c].points for c in ("SMOKE05", "SMOKE06") if c in {i.id for i in SPEC.indicators})
