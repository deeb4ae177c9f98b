"""Additional services are paid "like CPI but with the target population" (FACTS.md: [S] principle, [I] groups).

    payment = points x £133.76 x TP / NATP,  NATP = 5,891 x sum TP / sum list (over the run)   [I]

and by CPI (points x £133.76 x list / 5,891) when a practice did not send its target population.
"""

import json
from decimal import Decimal
from fractions import Fraction

import pytest
from pydantic import ValidationError

from simulator.contracts import Extract, canonical_json
from simulator.cqrs.longformat import extract_to_rows
from simulator.cqrs.payments import PracticeFigures, national_target_average, practice_payment
from simulator.cqrs.points import Scored
from simulator.cqrs.service import Cqrs
from simulator.db import sessions
from simulator.gpes.spec import build_spec
from simulator.qof.catalogue import default_catalogue

CAT = default_catalogue()
SPEC = build_spec(CAT)
NATIONAL = {"DM": Decimal("0.05"), "HYP": Decimal("0.137"), "CHD": Decimal("0.034")}
CS = "Additional services: Cervical screening"

A = PracticeFigures("A81001", 6000, {"DM": 300}, {"CS": 1800})
B = PracticeFigures("B82005", 4000, {"DM": 200}, {"CS": 800})
NO_TP = PracticeFigures("C83001", 6000, {"DM": 300})


def ten_cs_points():
    return [Scored("CS01", "scored", Decimal(10))]


def test_fixed_national_average_target_population():
    """NATP for CS fixed at 1,500; the practice has 1,800 women aged 25-64:
    10 x £133.76 x 1,800 / 1,500 = £1,337.60 x 1.2 = £1,605.12."""
    pay = practice_payment(CAT, A, ten_cs_points(), NATIONAL, {"CS": Decimal(1500)})
    assert pay.total_gbp == Decimal("1605.12")
    assert list(pay.components) == [f"{CS} (target population CS)"]


def test_national_average_over_the_run_is_on_the_cpi_basis():
    """A: list 6,000, CS 1,800; B: list 4,000, CS 800. National share 2,600 / 10,000 = 0.26;
    NATP = 5,891 x 0.26 = 1,531.66 (a practice of the CPI's average size, 5,891, with the national share)."""
    assert national_target_average([A, B, NO_TP], ["CS", "MAT"], Decimal(5891)) == {"CS": Fraction(153166, 100)}


def test_run_average_pays_each_practice_by_its_target_population():
    """10 CS points: A 10 x 133.76 x 1,800 / 1,531.66 = £1,571.94 (CPI would pay £1,362.35);
    B 10 x 133.76 x 800 / 1,531.66 = £698.64 (CPI: £908.23)."""
    natp = national_target_average([A, B], ["CS"], Decimal(5891))
    assert practice_payment(CAT, A, ten_cs_points(), NATIONAL, natp).total_gbp == Decimal("1571.94")
    assert practice_payment(CAT, B, ten_cs_points(), NATIONAL, natp).total_gbp == Decimal("698.64")


def test_a_practice_with_the_national_share_is_paid_its_cpi():
    """List 5,891 (CPI 1) with 1,500 women when NATP is 1,500: TP / NATP = 1 = CPI, so
    10 points pay 10 x £133.76 = £1,337.60 either way."""
    avg = PracticeFigures("D84001", 5891, {}, {"CS": 1500})
    assert practice_payment(CAT, avg, ten_cs_points(), NATIONAL, {"CS": Decimal(1500)}).total_gbp == Decimal("1337.60")
    assert practice_payment(CAT, avg, ten_cs_points(), NATIONAL, {}).total_gbp == Decimal("1337.60")


def test_falls_back_to_cpi_without_a_target_population_and_says_so():
    """Same as the organisational worked example: 10 x £133.76 x 6,000 / 5,891 = £1,362.35."""
    pay = practice_payment(CAT, NO_TP, ten_cs_points(), NATIONAL, {"CS": Decimal(1500)})
    assert pay.total_gbp == Decimal("1362.35")
    assert list(pay.components) == [f"{CS} (CPI: no target population CS)"]
    # and when nobody in the run sent one
    assert practice_payment(CAT, A, ten_cs_points(), NATIONAL, {}).components.keys() == {
        f"{CS} (CPI: no target population CS)"}


def test_each_service_has_its_own_component():
    maternity = next(c for c, d in CAT.indicators.items() if d.area == "Maternity")
    scored = ten_cs_points() + [Scored(maternity, "scored", Decimal(3))]
    pay = practice_payment(CAT, A, scored, NATIONAL, {"CS": Decimal(1500), "MAT": Decimal(1000)})
    assert set(pay.components) == {f"{CS} (target population CS)",
                                   "Additional services: Maternity (CPI: no target population MAT)"}
    # 1,605.12 + 3 x 133.76 x 6,000 / 5,891 (= 408.7048…) = 2,013.8248… -> £2,013.82
    assert pay.total_gbp == Decimal("2013.82")


# ---------------------------------------------------------------- the extract contract


def extract(**extra) -> dict:
    return {"schema_version": "1", "extract_id": "x-1", "request_id": "r", "spec_id": SPEC.spec_id, "supplier": "TPP",
            "practice_code": "A81001", "achievement_date": "2013-03-31", "list_size": 6000,
            "registers": {r.id: 300 for r in SPEC.registers},
            "indicators": [{"id": i.id, "numerator": 30, "denominator": 40, "exceptions": 1} for i in SPEC.indicators],
            **extra}


def test_target_populations_are_optional_and_an_old_extract_keeps_its_bytes():
    old = canonical_json(extract())
    assert Extract.model_validate_json(old).canonical_bytes() == old
    assert "target_populations" not in json.loads(Extract.model_validate_json(old).canonical_bytes())


def test_target_populations_travel_and_are_stored_as_practice_rows():
    x = Extract.model_validate_json(canonical_json(extract(target_populations={"CS": 1800, "CHS": 380})))
    assert x.target_populations == {"CS": 1800, "CHS": 380}
    rows = list(extract_to_rows(x))
    assert ("LIST", "Target population CS", 1800) in rows and ("LIST", "Target population CHS", 380) in rows


@pytest.mark.parametrize("bad, where", [({"CS": -1}, "target_populations"), ({"CS": 1.5}, "target_populations.CS"),
                                        ({"cs": 3}, "target_populations")])
def test_bad_target_populations_are_refused(bad, where):
    with pytest.raises(ValidationError) as e:
        Extract.model_validate_json(canonical_json(extract(target_populations=bad)))
    assert any(".".join(str(p) for p in err["loc"]).startswith(where) for err in e.value.errors())


def test_cqrs_pays_the_target_population_sent_in_the_extract(tmp_path):
    """Two practices send CS target populations (as A and B above); the run's NATP is 1,531.66."""
    cqrs = Cqrs(sessions(f"sqlite:///{tmp_path / 'c.db'}"), CAT, {"A81001": "05X", "B82005": "06Y"}, tmp_path / "pay")
    cqrs.ingest(canonical_json(extract(target_populations={"CS": 1800})), None)
    cqrs.ingest(canonical_json({**extract(target_populations={"CS": 800}), "extract_id": "x-2",
                                "practice_code": "B82005", "list_size": 4000}), None)
    result = cqrs.calculate()
    assert result["national_average_target_population"] == {"CS": "1531.66"}
    a = cqrs.achievement("A81001")
    assert f"{CS} (target population CS)" in a.components_gbp
    assert "Additional services: Maternity (CPI: no target population MAT)" in a.components_gbp
