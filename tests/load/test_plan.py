"""The load plan's extracts are the contract's canonical bytes; profiles read without importing Locust."""

from __future__ import annotations

import subprocess
import sys

import pytest

from simulator.contracts import Extract
from simulator.contracts.errors import parse_extract
from simulator.loadtest import profiles
from simulator.loadtest.plan import Plan, sha256

PROFILES = ("extraction-window", "year-end-peak", "manual-entry-rush", "soak", "spike")


def plan(**over) -> Plan:
    tpl = {"list_size": 5000, "registers": {"DM": 300, "CHD": 150},
           "indicators": [["DM26", 200, 280, 12], ["CHD06", 0, 0, 0]], "target_populations": {"CS": 1400, "CHS": 0}}
    base = dict(run_id="r", profile="extraction-window", gpes_url="http://g", cqrs_url="http://c", spec_id="QOF-2012-13",
                achievement_date="2013-03-31", seed=7, requests={"EMIS": "req-emis", "TPP": "req-tpp"},
                practices=[["A81001", "EMIS", "01A", 0], ["A81002", "TPP", "01A", 0], ["A81003", "EMIS", "02B", 0]],
                templates=[tpl])
    return Plan(**{**base, **over})


def test_body_is_the_canonical_extract():
    p = plan()
    body = p.body("A81002", "x-1")
    x = parse_extract(body)
    assert x.canonical_bytes() == body  # what a supplier built with the contract would send, byte for byte
    assert (x.supplier, x.request_id, x.practice_code, x.list_size) == ("TPP", "req-tpp", "A81002", 5000)
    assert isinstance(x, Extract) and x.indicators[0].numerator == 200
    assert p.body("A81002", "x-1") == body and sha256(p.body("A81002", "x-2")) != sha256(body)


def test_a_plan_round_trips_and_shares_practices_without_overlap():
    p = Plan.from_dict(plan().to_dict())
    shares = [Plan.from_dict(p.for_share(i, 2)).my_practices() for i in range(2)]
    assert [r[0] for r in shares[0]] == ["A81001", "A81003"] and [r[0] for r in shares[1]] == ["A81002"]
    assert Plan.from_dict(p.for_share(1, 2)).body("A81001", "e") == p.body("A81001", "e")


@pytest.mark.parametrize("name", PROFILES)
def test_every_profile_has_a_purpose_and_thresholds(name):
    p = profiles.load(name)
    assert p.name == name and p.purpose and "\n" not in p.purpose
    assert p.p95_ms > 0 and 0 < p.max_error_ratio <= 0.01 and p.run_time_s > 0 and p.users >= 1
    assert p.path.parent == profiles.LOAD_DIR


def test_soak_lasts_thirty_minutes_and_profiles_are_listed():
    assert profiles.load("soak").run_time_s == 1800
    assert set(PROFILES) <= set(profiles.available())
    with pytest.raises(profiles.ProfileError, match="no profile 'nope'"):
        profiles.load("nope")


@pytest.mark.parametrize("text,seconds", [("30s", 30), ("2m", 120), ("1h30m", 5400), ("90", 90), ("1m30s", 90)])
def test_durations(text, seconds):
    assert profiles.parse_duration(text) == seconds


def test_a_bad_duration_names_the_option():
    with pytest.raises(profiles.ProfileError, match="--run-time"):
        profiles.parse_duration("soon")


def test_reading_profiles_does_not_import_locust():
    code = "import sys; from simulator.loadtest import profiles, runner; profiles.load('spike'); print('locust' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "False", out.stderr
