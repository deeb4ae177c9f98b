"""Supplier personalities and expected outcomes: a slow, flaky, stalling, late supplier and a
practice that never answers; GPES's status explains each, and the run passes when the world
behaved as the scenario said it would."""

from __future__ import annotations

import json

import pytest
import yaml
from typer.testing import CliRunner

from simulator.cli import app
from simulator.population.practices import build_practices
from simulator.population.profile import load_profile
from simulator.scenario import ScenarioError, parse_scenario

pytestmark = [pytest.mark.flow, pytest.mark.slow]


def run(tmp_path, data, run_id):
    p = tmp_path / f"{run_id}.yaml"
    p.write_text(yaml.safe_dump(data))
    res = CliRunner().invoke(app, ["run", str(p), "--reports", str(tmp_path / "reports"), "--run-id", run_id])
    summary = tmp_path / "reports" / run_id / "summary.json"
    return res, json.loads(summary.read_text()) if summary.exists() else None


def base(**over):
    data = {"name": "moods", "population": {"practices": 4, "seed": 7, "list_size_range": [1500, 2500]},
            "oracle": False}
    data.update(over)
    return data


def codes():
    rows = build_practices(load_profile("england-2012-13"), 4, 7)
    return {r["supplier"]: r["practice_code"] for r in rows}, [r["practice_code"] for r in rows]


def test_a_flaky_slow_late_world_still_reconciles_and_a_withheld_practice_is_expected(tmp_path):
    by_supplier, all_codes = codes()
    withheld = all_codes[0]
    late_supplier, late = next((s, c) for s, c in by_supplier.items() if c != withheld)
    moods = {late_supplier: {"latency_ms": 50, "timeouts": 1, "stall_s": 11, "late": [late], "late_s": 0.5},
             **{s: {"error_rate": 0.5, "seed": 3} for s in by_supplier if s != late_supplier}}
    res, s = run(tmp_path, base(suppliers=moods, faults=[{"practice": withheld, "kind": "withhold"}],
                                expect={"missing": {withheld: "requested"}}), "moods")
    assert res.exit_code == 0, res.output
    assert s["discrepancies"] == []
    assert s["expected_outcomes"] == [{"practice_code": withheld, "expected": "requested", "reported": "requested",
                                       "reason": None}]
    assert s["collection"] == {"acknowledged": 3, "requested": 1}
    assert s["extracts_stored"] == 3


def test_an_unexpected_missing_practice_says_what_gpes_reports(tmp_path):
    _, all_codes = codes()
    res, s = run(tmp_path, base(faults=[{"practice": all_codes[1], "kind": "numerator_above_denominator"}]), "bad")
    assert res.exit_code == 1
    (d,) = [d for d in s["discrepancies"] if d["check"] == "CQRS holds one current extract"]
    assert d["practice_code"] == all_codes[1]
    assert "GPES reports it rejected: indicators[0]" in d["detail"]


def test_an_expectation_that_does_not_happen_fails_the_run(tmp_path):
    _, all_codes = codes()
    res, s = run(tmp_path, base(expect={"missing": {all_codes[2]: "requested"}}), "wrong")
    assert res.exit_code == 1
    (d,) = s["discrepancies"]
    assert d["check"] == "expected outcome" and "it reports acknowledged" in d["detail"]


def test_a_supplier_that_always_fails_is_not_collected_and_says_why(tmp_path):
    by_supplier, _ = codes()
    victim = sorted(by_supplier)[0]
    res, s = run(tmp_path, base(suppliers={victim: {"error_rate": 1.0}},
                                expect={"missing": {by_supplier[victim]: "not collected"}}), "down")
    assert res.exit_code == 0, res.output
    assert s["gpes_requests"][victim].startswith("failed: gave up after 6 attempts")


@pytest.mark.parametrize("data, says", [
    ({"expect": {"mising": {}}}, "expect.mising: unknown expectation"),
    ({"expect": {"missing": {"A81001": "lost"}}}, "expect.missing.A81001: 'lost' is not one of"),
    ({"suppliers": {"ACME": {}}}, "suppliers.ACME: not a supplier"),
    ({"suppliers": {"TPP": {"error_rate": 2}}}, "suppliers.TPP.error_rate"),
    ({"suppliers": {"TPP": {"moody": True}}}, "suppliers.TPP.moody"),
])
def test_bad_scenario_keys_are_refused_naming_them(data, says):
    with pytest.raises(ScenarioError, match=says.replace(".", r"\.").replace("'", ".")):
        parse_scenario(data)
