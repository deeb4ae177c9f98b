"""One contracts module; JSON Schema generated from it; extracts are closed to patient data."""

import json

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from simulator.cli import app
from simulator.contracts import Extract, canonical_json, json_schemas, sha256


def test_every_message_has_a_generated_schema():
    schemas = json_schemas()
    assert {"extract", "extraction-spec", "extraction-request", "receipt", "payment-instruction"} <= schemas.keys()
    assert schemas["extract"]["additionalProperties"] is False
    assert set(schemas["extract"]["required"]) >= {"extract_id", "practice_code", "list_size", "registers", "indicators"}


def test_schema_command_writes_files(tmp_path):
    r = CliRunner().invoke(app, ["schema", "--out", str(tmp_path)])
    assert r.exit_code == 0, r.output
    assert json.loads((tmp_path / "extract.schema.json").read_text())["title"] == "Extract"


def test_canonical_bytes_are_stable():
    x = Extract(extract_id="e", request_id="r", spec_id="QOF-2012-13", supplier="TPP", practice_code="A81001",
                achievement_date="2013-03-31", list_size=5, registers={"DM": 1}, indicators=())
    assert x.canonical_bytes() == canonical_json(json.loads(x.canonical_bytes()))
    assert sha256(x.canonical_bytes()) == sha256(x.model_copy().canonical_bytes())


def test_a_patient_identifier_cannot_be_added():
    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        Extract.model_validate_json(json.dumps({
            "extract_id": "e", "request_id": "r", "spec_id": "s", "supplier": "TPP", "practice_code": "A81001",
            "achievement_date": "2013-03-31", "list_size": 5, "registers": {}, "indicators": [],
            "nhs_number": "9990001235"}))


# ---------------------------------------------------------------- bounds: every count fits the store (issue #12)

from simulator.contracts import MAX_COUNT, ManualEntry  # noqa: E402


def extract_body(list_size=7000, **changes) -> dict:
    body = {"extract_id": "e", "request_id": "r", "spec_id": "QOF-2012-13", "supplier": "TPP",
            "practice_code": "A81001", "achievement_date": "2013-03-31", "list_size": list_size,
            "registers": {"DM": 300, "HYP": 900}, "target_populations": {"CS": 1800},
            "indicators": [{"id": "DM26", "numerator": 30, "denominator": 40, "exceptions": 2},
                           {"id": "SMOKE07", "numerator": 5000, "denominator": 6000, "exceptions": 100}]}
    body.update(changes)
    return body


def refused(body: dict) -> dict[tuple, str]:
    """loc -> message of every error, the extract parsed from JSON as GPES and CQRS parse it."""
    with pytest.raises(ValidationError) as e:
        Extract.model_validate_json(json.dumps(body))
    return {tuple(err["loc"]): err["msg"] for err in e.value.errors()}


def set_at(body: dict, loc: tuple, value) -> dict:
    target = body
    for part in loc[:-1]:
        target = target[part]
    target[loc[-1]] = value
    return body


COUNT_FIELDS = [("list_size",), ("registers", "DM"), ("target_populations", "CS"),
                ("indicators", 1, "numerator"), ("indicators", 1, "denominator"), ("indicators", 1, "exceptions")]


@pytest.mark.parametrize("value", [10 ** 30, 2 ** 63, 2 ** 63 - 1, 2 ** 31], ids=["1e30", "2^63", "2^63-1", "2^31"])
@pytest.mark.parametrize("loc", COUNT_FIELDS, ids=lambda loc: ".".join(map(str, loc)))
def test_a_count_the_store_cannot_hold_is_refused_naming_its_field(loc, value):
    body = set_at(extract_body(), loc, value)
    if loc[-1] == "numerator":  # keep numerator <= denominator: only the bound is wrong
        body["indicators"][1]["denominator"] = value
    errors = refused(body)
    assert f"less than or equal to {MAX_COUNT}" in errors[loc], errors


def test_the_largest_counts_the_contract_allows_pass():
    top = MAX_COUNT
    body = extract_body(list_size=top, registers={"DM": top, "HYP": top}, target_populations={"CS": top},
                        indicators=[{"id": "DM26", "numerator": top, "denominator": top, "exceptions": top}])
    x = Extract.model_validate_json(json.dumps(body))
    assert (x.list_size, x.registers["DM"], x.indicators[0].exceptions) == (top, top, top)


@pytest.mark.parametrize("loc", [("registers", "DM"), ("target_populations", "CS")], ids=lambda loc: ".".join(loc))
def test_a_register_or_target_population_above_the_list_is_refused_naming_its_field(loc):
    assert refused(set_at(extract_body(list_size=7000), loc, 7001)) == {loc: "7001 is above list_size 7000"}
    assert Extract.model_validate_json(json.dumps(set_at(extract_body(list_size=7000), loc, 7000)))  # equal: fine


def test_every_count_above_the_list_is_named_and_a_bad_list_size_is_reported_alone():
    errors = refused(extract_body(list_size=500))
    assert errors == {("registers", "HYP"): "900 is above list_size 500",
                      ("target_populations", "CS"): "1800 is above list_size 500"}
    assert refused(extract_body(list_size=2 ** 63)).keys() == {("list_size",)}


def test_indicator_counts_may_pass_the_january_list():
    """Indicators count patients on the achievement date (31 March), list_size those of 1 January: a
    whole-list indicator (SMOKE07, everyone aged 15+) of a practice that grew in between is larger."""
    body = extract_body(list_size=6000)
    body["indicators"][1].update(numerator=5900, denominator=6050, exceptions=20)
    assert Extract.model_validate_json(json.dumps(body)).indicators[1].denominator == 6050


def test_the_json_schema_states_the_bounds():
    extract = json_schemas()["extract"]
    count = {"type": "integer", "minimum": 0, "maximum": MAX_COUNT}
    assert count.items() <= extract["properties"]["list_size"].items()
    assert extract["properties"]["registers"]["additionalProperties"] == count
    assert list(extract["properties"]["target_populations"]["patternProperties"].values()) == [count]
    ind = extract["$defs"]["IndicatorCount"]["properties"]
    assert all(count.items() <= ind[f].items() for f in ("numerator", "denominator", "exceptions"))
    entry = json_schemas()["manual-entries"]["$defs"]["ManualEntry"]["properties"]
    assert all(count in entry[f]["anyOf"] for f in ("numerator", "denominator"))


@pytest.mark.parametrize("field", ["numerator", "denominator"])
@pytest.mark.parametrize("value", [10 ** 30, 2 ** 63, 2 ** 31])
def test_a_manual_entry_count_the_store_cannot_hold_is_refused(field, value):
    entry = {"ind_code": "RECORDS09", "numerator": 1, "denominator": value} if field == "denominator" else \
        {"ind_code": "RECORDS09", "numerator": value, "denominator": value}
    with pytest.raises(ValidationError) as e:
        ManualEntry.model_validate_json(json.dumps(entry))
    assert any(err["loc"] == (field,) and str(MAX_COUNT) in err["msg"] for err in e.value.errors())
    assert ManualEntry(ind_code="RECORDS09", numerator=MAX_COUNT, denominator=MAX_COUNT).denominator == MAX_COUNT


# ---------------------------------------------------------------- the receiving services' fast read

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from simulator.contracts.errors import ExtractInvalid, parse_extract, read_extract  # noqa: E402


def verdict(read, raw: bytes):
    """("ok", the counts as plain data) or ("refused", every (field, reason))."""
    try:
        x = read(raw)
    except ExtractInvalid as exc:
        return "refused", [(e.field, e.reason) for e in exc.errors]
    d = x.model_dump(mode="json")
    d["indicators"] = [dict(i) for i in d["indicators"]]
    return "ok", d


BROKEN = {
    "indicator as an array": set_at(extract_body(), ("indicators", 0), ["DM26", 30, 40, 2]),
    "extra key in an indicator": set_at(extract_body(), ("indicators", 0, "nhs_number"), "9434765919"),
    "indicator without exceptions": {**extract_body(), "indicators": [{"id": "DM26", "numerator": 1, "denominator": 2}]},
    "numerator above denominator": set_at(extract_body(), ("indicators", 0, "numerator"), 41),
    "a fractional count": set_at(extract_body(), ("indicators", 1, "exceptions"), 5.5),
    "a boolean count": set_at(extract_body(), ("indicators", 0, "denominator"), True),
    "a string count": set_at(extract_body(), ("list_size",), "7000"),
    "a negative count": set_at(extract_body(), ("registers", "DM"), -1),
    "a count beyond the store": set_at(extract_body(), ("indicators", 0, "exceptions"), 2 ** 63),
    "a register above the list": set_at(extract_body(), ("registers", "HYP"), 7001),
    "indicator id not a string": set_at(extract_body(), ("indicators", 0, "id"), 26),
    "indicators not a list": set_at(extract_body(), ("indicators",), {"DM26": 1}),
    "extra top-level key": set_at(extract_body(), ("nhs_number",), "9434765919"),
    "bad practice code": set_at(extract_body(), ("practice_code",), "a81001"),
    "bad date": set_at(extract_body(), ("achievement_date",), "2013-02-30"),
    "not an object": [1, 2, 3],
}


@pytest.mark.parametrize("name", [*BROKEN, "valid"])
def test_the_fast_read_gives_the_contract_models_verdict(name):
    """GPES and CQRS read extracts with read_extract (a quarter of the model's cost); it must accept
    exactly what the Extract model accepts and refuse with exactly its reasons."""
    raw = json.dumps(BROKEN.get(name, extract_body())).encode()
    fast, model = verdict(read_extract, raw), verdict(parse_extract, raw)
    assert fast[0] == model[0] == ("ok" if name == "valid" else "refused")
    if fast[0] == "ok":
        assert fast[1] == json.loads(parse_extract(raw).model_dump_json())
    else:
        assert fast == model


_values = st.one_of(st.integers(min_value=-3, max_value=2 ** 64), st.floats(allow_nan=False), st.booleans(),
                    st.text(max_size=6), st.none(), st.lists(st.integers(), max_size=2), st.just({}))
_paths = st.sampled_from([("list_size",), ("registers", "DM"), ("target_populations", "CS"), ("extract_id",),
                          ("indicators", 0, "numerator"), ("indicators", 0, "denominator"), ("indicators", 1, "id"),
                          ("indicators", 1, "exceptions"), ("indicators", 1, "extra"), ("supplier",),
                          ("indicators", 0), ("registers",), ("practice_code",), ("schema_version",)])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(changes=st.lists(st.tuples(_paths, _values), min_size=1, max_size=3))
def test_the_fast_read_agrees_with_the_model_on_mutated_extracts(changes):
    body = extract_body()
    for path, value in changes:
        try:
            body = set_at(body, path, value)
        except (TypeError, KeyError, IndexError):  # an earlier change made the path go away
            pass
    raw = json.dumps(body).encode()
    assert verdict(read_extract, raw) == verdict(parse_extract, raw)


SPELLINGS = {"5": 5, "5.0": 5, "5e0": 5, "5E+0": 5, "50e-1": 5, "0.5e1": 5, "-0": 0, "-0.0": 0, "0e99999": 0,
             "5.5": None, "5.00000000000000001": None, "5e-1": None, "-1": None, "-1.0": None, "1e30": None,
             str(2 ** 63): None, f"{2 ** 63}.0": None, f"{MAX_COUNT + 1}.0": None, "1e1000000": None,
             "true": None, '"5"': None, "null": None}
"""A count's spellings -> the integer it is (None: refused). To JSON and JSON Schema a number is its value:
5.0 and 5e0 are the integer 5; 5.00000000000000001 is not, though a float would round it to 5."""


@pytest.mark.parametrize("spelled", SPELLINGS)
def test_a_count_is_its_value_however_it_is_written(spelled):
    raw = json.dumps(extract_body()).replace('"exceptions": 2', f'"exceptions": {spelled}', 1).encode()
    assert raw.count(spelled.encode()) >= 1
    fast, model = verdict(read_extract, raw), verdict(parse_extract, raw)
    assert fast == model
    if SPELLINGS[spelled] is None:
        assert model[0] == "refused" and [f for f, _ in model[1]] == ["indicators[0].exceptions"], model
    else:
        assert model[0] == "ok"
        counted = read_extract(raw).indicators[0]["exceptions"]
        assert counted == SPELLINGS[spelled] and type(counted) is int
        assert type(parse_extract(raw).indicators[0].exceptions) is int
