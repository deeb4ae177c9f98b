"""GPES refuses a bad extract with the field named, before anything is stored."""

import json

import pytest

from simulator.contracts import canonical_json
from simulator.contracts.errors import ExtractInvalid
from simulator.gpes.spec import build_spec
from simulator.gpes.validate import RequestView, validate
from simulator.qof.catalogue import default_catalogue

SPEC = build_spec(default_catalogue())
REGISTRY = {"A81001": "TPP", "B82005": "TPP", "C83001": "EMIS"}
REQUEST = RequestView("req-1", "TPP", frozenset({"A81001", "B82005"}))


def good() -> dict:
    return {"schema_version": "1", "extract_id": "x-1", "request_id": "req-1", "spec_id": SPEC.spec_id,
            "supplier": "TPP", "practice_code": "A81001", "achievement_date": "2013-03-31", "list_size": 6543,
            "registers": {r.id: 100 for r in SPEC.registers},
            "indicators": [{"id": i.id, "numerator": 30, "denominator": 40, "exceptions": 2} for i in SPEC.indicators]}


def fields_of(body: dict) -> dict[str, str]:
    with pytest.raises(ExtractInvalid) as e:
        validate(canonical_json(body), SPEC, REGISTRY, REQUEST)
    return {d.field: d.reason for d in e.value.errors}


def test_a_good_extract_passes():
    x = validate(canonical_json(good()), SPEC, REGISTRY, REQUEST)
    assert x.practice_code == "A81001" and len(x.indicators) == len(SPEC.indicators)


def test_numerator_above_denominator_names_the_indicator():
    b = good()
    b["indicators"][2]["numerator"] = 41
    assert "indicators[2]" in fields_of(b)


def test_missing_indicator():
    b = good()
    gone = b["indicators"].pop(0)["id"]
    assert fields_of(b) == {"indicators": f"missing indicator {gone}"}


def test_duplicated_indicator():
    b = good()
    b["indicators"].append(dict(b["indicators"][0]))
    got = fields_of(b)
    assert f"indicators[{len(b['indicators']) - 1}].id" in got
    assert "duplicate" in got[f"indicators[{len(b['indicators']) - 1}].id"]


@pytest.mark.parametrize("value", [-1, 2.5, "3", True, None])
def test_negative_or_non_integer_count(value):
    b = good()
    b["indicators"][0]["exceptions"] = value
    assert "indicators[0].exceptions" in fields_of(b)


def test_non_integer_list_size():
    b = good()
    b["list_size"] = 6543.5
    assert "list_size" in fields_of(b)


def test_unknown_practice():
    b = good()
    b["practice_code"] = "Y99999"
    assert fields_of(b)["practice_code"] == "unknown practice Y99999"


def test_practice_of_another_supplier():
    b = good()
    b["practice_code"] = "C83001"
    assert fields_of(b)["practice_code"] == "practice C83001 uses EMIS, not TPP"


def test_spec_and_date_mismatch():
    b = good()
    b["spec_id"] = "QOF-2011-12"
    b["achievement_date"] = "2012-03-31"
    assert {"spec_id", "achievement_date"} <= fields_of(b).keys()


def test_unknown_request():
    b = good()
    with pytest.raises(ExtractInvalid) as e:
        validate(canonical_json(b), SPEC, REGISTRY, None)
    assert [d.field for d in e.value.errors] == ["request_id"]


def test_patient_level_field_is_refused():
    b = good()
    b["patients"] = [{"nhs_number": "9990001235"}]
    assert fields_of(b) == {"patients": "Extra inputs are not permitted"}


def test_missing_and_unknown_register():
    b = good()
    b["registers"].pop("DM")
    b["registers"]["XX"] = 1
    assert {"registers.DM", "registers.XX"} <= fields_of(b).keys()


def test_not_json_at_all():
    with pytest.raises(ExtractInvalid) as e:
        validate(b"{not json", SPEC, REGISTRY, REQUEST)
    assert e.value.errors[0].field == "body"
    assert json.dumps(e.value.errors[0].model_dump())


def test_target_populations_of_the_spec_pass_and_a_group_may_be_left_out():
    b = good()
    b["target_populations"] = {"CS": 1800, "CHS": 380}  # MAT and CON not sent: paid by CPI
    assert validate(canonical_json(b), SPEC, REGISTRY, REQUEST).target_populations == {"CS": 1800, "CHS": 380}


def test_a_target_population_the_spec_does_not_ask_for_is_refused():
    b = good()
    b["target_populations"] = {"CS": 1800, "FLU": 900}
    assert fields_of(b) == {"target_populations.FLU": "not a target population of the spec"}
