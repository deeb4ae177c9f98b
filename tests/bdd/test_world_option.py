"""`qofsim bdd --world DIR`: the features drive a world a team already started (and leave it up); a
scenario that needs another world is skipped, saying what it needed and what the world has."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from simulator.population.generate import generate_nation
from simulator.population.profile import load_profile
from simulator.scenario import parse_scenario
from simulator.world import World, down, status, up

pytestmark = [pytest.mark.flow, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[2]


def test_features_drive_a_world_that_is_already_up(tmp_path):
    nation = generate_nation(load_profile("england-2012-13"), n_practices=4, seed=7, out_dir=tmp_path / "nation",
                             list_size_range=(1000, 1500))
    world = tmp_path / "world"
    up(world, nation, parse_scenario({"name": "qa-team"}))
    try:
        (tmp_path / "team.feature").write_text(textwrap.dedent("""\
            Feature: The team's own world
              Background:
                Given a QOF 2012/13 world of 4 practices on EMIS, TPP, INPS and Microtest

              Scenario: It is collected and forwarded unchanged
                When GPES collects the QOF 2012/13 extraction
                Then CQRS holds for A81002 exactly the counts TPP sent

              Scenario: A fault this world was not started with
                Given A81001's extract will be sent twice
                When GPES collects the QOF 2012/13 extraction

              Scenario: A bigger world than this one
                Given practice A81002 is on TPP
            """))
        (tmp_path / "bigger.feature").write_text(textwrap.dedent("""\
            Feature: Another nation
              Scenario: Eight practices
                Given a QOF 2012/13 world of 8 practices on EMIS, TPP, INPS and Microtest
                When GPES collects the QOF 2012/13 extraction
            """))
        res = subprocess.run([sys.executable, "-m", "simulator.cli", "bdd", str(tmp_path / "team.feature"),
                              str(tmp_path / "bigger.feature"), "--world", str(world), "--out", str(tmp_path / "out")],
                             cwd=ROOT, capture_output=True, text=True, env=dict(os.environ), timeout=600)
        assert res.returncode == 0, res.stdout + res.stderr
        assert "against the world in" in res.stdout
        cucumber = json.loads((tmp_path / "out" / "cucumber.json").read_text())
        got = {e["name"]: [s["result"]["status"] for s in e["steps"]] for f in cucumber for e in f["elements"]}
        assert got["It is collected and forwarded unchanged"] == ["passed"] * 3
        assert got["A fault this world was not started with"] == ["passed", "passed", "skipped"]  # skipped at When
        assert got["Eight practices"] == ["passed", "skipped"]
        assert got["A bigger world than this one"] == ["passed", "passed"]  # it only reads the registry
        assert "4 scenarios: 2 passed, 0 failed, 2 skipped" in res.stdout
        junit = (tmp_path / "out" / "junit.xml").read_text()
        assert "this scenario needs supplier faults A81001 resend; the world has none" in junit
        assert "this scenario needs 8 practices; the world has 4" in junit
        assert all(r["alive"] for r in status(world)), "the team's world is left up"
        assert len(World.open(world).gpes().get_json("/collections")) == 1, "one collection, shared by the scenarios"
    finally:
        down(world)
