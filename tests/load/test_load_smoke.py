"""`qofsim load` as a performance tester types it: each profile for a few seconds, alone and distributed.

One world is brought up with `qofsim up` for the module and every profile runs against it
(`--world`); one run brings up its own world. Each run must pass its thresholds and its checks —
nothing lost or doubled, one payment instruction per declared practice, payments re-derived — and
a threshold it cannot meet (`--p95-ms 1`) must fail the run, naming it.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import yaml

pytestmark = [pytest.mark.flow, pytest.mark.slow]

RUN = "4s"


def qofsim(*args, timeout=300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "simulator.cli", *map(str, args)], capture_output=True, text=True,
                          timeout=timeout)


@pytest.fixture(scope="module")
def out(tmp_path_factory):
    return tmp_path_factory.mktemp("load")


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    d = tmp_path_factory.mktemp("world")
    sc = d / "tiny.yaml"
    sc.write_text(yaml.safe_dump({"name": "load-world", "population": {"practices": 8, "seed": 7,
                                                                       "list_size_range": [1500, 2500]}}))
    r = qofsim("up", sc, "--dir", d / "w")
    assert r.returncode == 0, r.stdout + r.stderr
    yield d / "w"
    qofsim("down", d / "w")


SLACK = ("--p95-ms", "60000")
"""The profiles' own latency thresholds are what a performance tester runs against (`make load`); here,
on a shared CI machine, a timed assertion would test the machine, not qofsim. The threshold mechanism
itself is tested with a threshold no run can meet (`--p95-ms 1`)."""


def load(out, *args) -> tuple[subprocess.CompletedProcess, dict]:
    run_id = "-".join(a.strip("-").replace(":", "") for a in map(str, args) if "/" not in a)[:80]
    if "--p95-ms" not in args:
        args = (*args, *SLACK)
    r = qofsim("load", *args, "--out", out, "--run-id", run_id)
    path = out / run_id / "summary.json"
    return r, (json.loads(path.read_text()) if path.exists() else {})


def passed(r, s) -> None:
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    assert s["passed"] and not s["failures"], s["failures"]
    assert (s["kind"], s["verdict"], s["report"]) == ("load", "passed", "locust.html")  # for the reports index
    assert s["requests"] > 0 and s["error_ratio"] <= 0.001
    assert s["rederivation"]["discrepancies"] == 0 and s["rederivation"]["practices_compared"] > 0
    for f in ("html", "csv", "tally"):
        assert (out_dir := __import__("pathlib").Path(s["files"][f])).exists(), out_dir


def conserved(s) -> None:
    x = s["extracts"]
    assert x["lost"] == 0 and x["doubled"] == 0 and x["altered"] == 0 and x["bodies_differ"] == 0
    assert x["held_by_gpes"] == x["held_by_cqrs"] == x["forwarded"] == x["accepted_in_run"] + x["accepted_in_setup"]


def test_extraction_window_brings_up_its_own_world(out):
    r, s = load(out, "extraction-window", "--run-time", RUN, "--practices", "150", "--users", "4")
    passed(r, s)
    conserved(s)
    assert s["target"]["kind"] == "own" and s["practices"] == 150 and set(s["suppliers"]) == {"EMIS", "TPP", "INPS", "Microtest"}
    assert s["extracts"]["accepted_in_run"] > 0 and s["new_extracts_per_s"] > 0
    assert set(s["rss_mib"]) == {"gpes", "cqrs"}
    assert "reconcile" not in r.stderr and "summary.json" in r.stdout


def test_extraction_window_against_a_world_up(out, world):
    r, s = load(out, "extraction-window", "--run-time", RUN, "--world", world, "--users", "4")
    passed(r, s)
    conserved(s)
    assert s["target"]["kind"] == "world" and s["practices"] == 8
    assert {"gpes", "cqrs"} <= set(s["rss_mib"]) and any(n.startswith("supplier-") for n in s["rss_mib"])


def test_a_threshold_it_cannot_meet_fails_the_run_naming_it(out, world):
    """Against services named by URL (--host, --cqrs-host) this time: the practices are what GPES names."""
    urls = {n: s["url"] for n, s in json.loads((world / "world.json").read_text())["services"].items()}
    key = world / "config" / "issuer.key"  # the credentials of the world those services trust
    r, s = load(out, "extraction-window", "--run-time", "3s", "--host", urls["gpes"], "--cqrs-host", urls["cqrs"],
                "--issuer-key", key, "--users", "2", "--p95-ms", "1")
    assert r.returncode == 1, r.stdout
    assert "above the threshold of 1 ms (--p95-ms)" in r.stdout
    assert s["thresholds"]["p95_ms"] == {"limit": 1.0, "value": s["p95_ms"], "from": "--p95-ms"}
    assert s["target"]["kind"] == "host" and s["practices"] == 8
    conserved(s)  # slow is not wrong: the checks still pass
    r, _ = load(out, "spike", "--host", urls["gpes"])
    assert r.returncode == 2 and "--cqrs-host" in r.stdout
    r, _ = load(out, "year-end-peak", "--host", urls["gpes"], "--cqrs-host", urls["cqrs"], "--issuer-key", key)
    assert r.returncode == 2 and "names no CCG" in r.stdout


def test_distributed_master_and_two_workers_keep_the_tally(out, world):
    """One master, two workers on loopback: one it starts itself (--workers 1), one started by hand as a
    worker on another machine would be (--worker --master-host); the master keeps the merged tally."""
    from simulator.world.processes import free_port

    port = free_port()
    remote = subprocess.Popen([sys.executable, "-m", "simulator.cli", "load", "extraction-window", "--worker",
                               "--master-host", "127.0.0.1", "--master-port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        r, s = load(out, "extraction-window", "--run-time", RUN, "--world", world, "--users", "4", "--workers", "1",
                    "--remote-workers", "1", "--master-port", port)
    finally:
        try:
            remote.wait(30)
        except subprocess.TimeoutExpired:
            remote.terminate()
            remote.wait(10)
    passed(r, s)
    conserved(s)
    assert s["locust_workers"] == 2
    tally = json.loads(open(s["files"]["tally"]).read())
    assert tally["workers"] == 2 and len(tally["accepted"]) == s["extracts"]["accepted_in_run"] > 0
    counted = {r["name"]: r["requests"] - r["failures"] for r in s["by_request"]}  # Locust's stats survive too
    assert counted["POST /extracts (new)"] == s["extracts"]["accepted_in_run"]
    assert counted.get("POST /extracts (resend)", 0) == s["extracts"]["resent"]


def test_year_end_peak(out, world):
    r, s = load(out, "year-end-peak", "--run-time", RUN, "--world", world, "--users", "6")
    passed(r, s)
    conserved(s)
    w = s["workflow"]
    assert w["declarations"] > 0 and w["practices_with_one_instruction"] == w["practices_declared"] > 0
    assert s["manual_entries"]["differ"] == 0


def test_manual_entry_rush(out, world):
    r, s = load(out, "manual-entry-rush", "--run-time", RUN, "--world", world, "--users", "4")
    passed(r, s)
    assert s["manual_entries"]["practices_entered"] > 0 and s["manual_entries"]["differ"] == 0


@pytest.mark.parametrize("profile", ["soak", "spike"])
def test_soak_and_spike(out, world, profile):
    r, s = load(out, profile, "--run-time", RUN, "--world", world, "--users", "4")
    passed(r, s)
    conserved(s)
    assert s["rss_mib"]["gpes"]["peak_under_load"] > 0 and s["rss_mib"]["gpes"]["cpu_s_under_load"] > 0


def test_refuses_a_world_it_cannot_reach(out, tmp_path, world):
    r, _ = load(out, "spike", "--run-time", "2s", "--world", tmp_path / "nowhere")
    assert r.returncode == 2 and "no world.json" in r.stdout and len(r.stdout.strip().splitlines()) <= 3
    dead = json.loads((world / "world.json").read_text())
    for s in dead["services"].values():
        s["url"] = "http://127.0.0.1:9"
    (tmp_path / "dead").mkdir()
    (tmp_path / "dead" / "world.json").write_text(json.dumps(dead))
    r, _ = load(out, "spike", "--run-time", "2s", "--world", tmp_path / "dead")
    assert r.returncode == 2 and "not answering" in r.stdout
    empty = json.loads((world / "world.json").read_text()) | {"practices": []}
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "world.json").write_text(json.dumps(empty))
    r, _ = load(out, "spike", "--run-time", "2s", "--world", tmp_path / "empty")
    assert r.returncode == 2 and "has no practices" in r.stdout


def test_refuses_an_unknown_profile(out):
    r, _ = load(out, "rush-hour")
    assert r.returncode == 2 and "no profile 'rush-hour'" in r.stdout
