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
