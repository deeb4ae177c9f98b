"""What a supplier gets: records in two layouts, spec, schema, rules and code clusters, an answer key."""

import json

import jsonschema
import pyarrow.parquet as pq

from simulator.contracts import SCHEMA_CANNOT_SAY
from simulator.qof.engines import seam


def test_everything_is_written(population):
    for path in ("neutral/patients.parquet", "neutral/patients.csv", "neutral/events.parquet", "neutral/DICTIONARY.md",
                 "neutral/dictionary.json", "neutral/probes.parquet", "supplier/TPP/SRCode.parquet",
                 "supplier/EMIS/Observation.csv", "supplier/INPS/DICTIONARY.md", "supplier/Microtest/coded_entries.parquet",
                 "spec.json", "extract.schema.json", "rules.json", "expected/counts.json",
                 "expected/patient_flags.csv", "manifest.json"):
        assert (population / path).is_file(), path
    m = json.loads((population / "manifest.json").read_text())
    assert m["rule_steps_reached"] == m["rule_steps"] and m["unreached"] == []


def test_the_schema_says_what_json_schema_can_and_lists_the_rest(population):
    schema = json.loads((population / "extract.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$defs"]["IndicatorCount"]["properties"]["id"]["enum"] == ["DM26", "ASTHMA08", "DEP06"]
    for words in SCHEMA_CANNOT_SAY:
        assert words in schema["description"]


def test_rules_and_clusters_are_machine_readable_with_provenance(population):
    doc = json.loads((population / "rules.json").read_text())
    dm26 = doc["indicators"]["DM26"]
    assert dm26["steps"][1] == {"step": 2, "if": {"latest_value": {"clusters": ["IFCCHBAM_COD"], "window":
                                {"from": "2012-01-01", "to": "2013-03-31"}, "max": 59.0}}, "then": "numerator"}
    assert dm26["tag"] and dm26["steps"][-1] == {"step": 6, "if": None, "then": "denominator"}
    codes = doc["clusters"]["DMEX_COD"]["codes"]
    assert {c["system"] for c in codes} == {"readv2", "ctv3"} and all(c["tag"] and c["source"] for c in codes)


def test_the_answer_key_is_what_both_engines_count(population, catalogue):
    key = json.loads((population / "expected/counts.json").read_text())
    rules = catalogue.rules.subset(["DM26", "DEP06", "ASTHMA08"])
    fast = seam.count("duckdb", rules, catalogue.clusters,
                      seam.Records(population / "neutral/patients.parquet", population / "neutral/events.parquet"))
    for code, c in fast.counts.items():
        assert key[code]["registers"] == c.registers
        assert {i: tuple(v.values()) for i, v in key[code]["indicators"].items()} == \
            {i: (v.numerator, v.denominator, v.exceptions) for i, v in c.indicators.items()}
    flags = pq.read_table(population / "expected/patient_flags.parquet").to_pylist()
    assert {f["outcome"] for f in flags} == {"select", "numerator", "denominator", "exception"}
