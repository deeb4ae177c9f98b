"""`qofsim run`: the whole flow from the command line, over real HTTP on loopback."""

import json
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from simulator.cli import app
from simulator.db import ENV_URL

pytestmark = pytest.mark.flow
DEMO = Path(__file__).resolve().parents[2] / "scenarios" / "qof-2012-13-infrastructure-test.yaml"


def scenario(tmp_path, **over):
    data = {"name": "tiny", "population": {"profile": "england-2012-13", "practices": 4, "seed": 7,
                                           "list_size_range": [1500, 3000]},
            "faults": [], "workflow": {"declare": "all", "approve": "all"}, "oracle": True}
    data.update(over)
    p = tmp_path / "tiny.yaml"
    p.write_text(yaml.safe_dump(data))
    return p


def run(tmp_path, path, run_id="r1"):
    return CliRunner().invoke(app, ["run", str(path), "--reports", str(tmp_path / "reports"), "--run-id", run_id])


def test_a_clean_run_reconciles_and_writes_its_report(tmp_path, db_url, monkeypatch):
    """On each store: a SQLite file per service (the default), PostgreSQL by QOFSIM_DATABASE_URL."""
    if db_url.startswith("postgresql"):
        monkeypatch.setenv(ENV_URL, db_url)
    r = run(tmp_path, scenario(tmp_path))
    assert r.exit_code == 0, r.output
    out = tmp_path / "reports" / "r1"
    s = json.loads((out / "summary.json").read_text())
    assert s["run_id"] == "r1" and s["scenario"] == "tiny" and s["practices"] == 4
    assert s["extracts_sent"] == s["extracts_received"] == s["extracts_stored"] == 4
    assert s["discrepancies"] == []
    assert s["checks"]["supplier counts match the reference engine"] == 4
    assert Decimal(s["total_payment_gbp"]) > 0 and Decimal(s["total_payment_gbp"]).as_tuple().exponent == -2
    assert Decimal(s["total_points"]) > 0
    html = (out / "index.html").read_text()
    assert "Reconciled: no discrepancies" in html and 'src="assets/vega.js"' in html
    assert (out / "assets" / "vega.js").stat().st_size > 100_000  # the plots' library, inlined: nothing fetched
    assert sorted(p.stem for p in (out / "practices").glob("*.html")) == sorted(s["oracle"]["sampled"])
    assert s["kind"] == "run" and s["verdict"] == "passed" and s["extracts_rejected_expected"] == 0
    assert "tiny: 4 practices" in (tmp_path / "reports" / "index.html").read_text()
    assert "discrepancies" in r.output
    assert s["database"] == ("postgresql+psycopg" if db_url.startswith("postgresql") else "sqlite (one file per service)")


def test_a_withheld_extract_is_a_discrepancy_and_exits_1(tmp_path):
    first = run(tmp_path, scenario(tmp_path), "probe")
    assert first.exit_code == 0
    practice = json.loads((tmp_path / "reports" / "probe" / "achievements.json").read_text()).popitem()[0]
    r = run(tmp_path, scenario(tmp_path, faults=[{"practice": practice, "kind": "withhold"}]), "r2")
    assert r.exit_code == 1
    s = json.loads((tmp_path / "reports" / "r2" / "summary.json").read_text())
    assert {(d["check"], d["practice_code"]) for d in s["discrepancies"]} >= {("one extract per practice sent", practice)}
    assert s["extracts_stored"] == 3


def test_a_scenario_fault_for_an_unknown_practice_is_refused(tmp_path):
    r = run(tmp_path, scenario(tmp_path, faults=[{"practice": "Q99999", "kind": "resend"}]))
    assert r.exit_code == 2
    assert "faults[0].practice: no practice Q99999" in r.output


def test_a_bad_scenario_names_the_field(tmp_path):
    r = run(tmp_path, scenario(tmp_path, population={"practices": 0}))
    assert r.exit_code == 2 and "population.practices" in r.output


def test_record_faults_flow_through_and_still_reconcile(tmp_path):
    """Duplicated and future-dated records, an emptied register: both engines agree, CQRS pays by the counts."""
    probe = run(tmp_path, scenario(tmp_path), "probe")
    assert probe.exit_code == 0
    codes = sorted(json.loads((tmp_path / "reports" / "probe" / "achievements.json").read_text()))
    faults = [{"practice": codes[0], "kind": "duplicated_events"}, {"practice": codes[1], "kind": "future_dated"},
              {"practice": codes[2], "kind": "empty_register", "register": "DM"}]
    r = run(tmp_path, scenario(tmp_path, population={"practices": 4, "seed": 7, "list_size_range": [1500, 3000],
                                                     "faults": faults}), "faulty")
    assert r.exit_code == 0, r.output
    ach = json.loads((tmp_path / "reports" / "faulty" / "achievements.json").read_text())
    dm26 = next(i for i in ach[codes[2]]["indicators"] if i["ind_code"] == "DM26")
    assert dm26["status"] == "not_applicable"
    before = json.loads((tmp_path / "reports" / "probe" / "achievements.json").read_text())
    assert ach[codes[0]]["total_points"] == before[codes[0]]["total_points"]


def test_a_bad_record_fault_names_the_field(tmp_path):
    r = run(tmp_path, scenario(tmp_path, population={"practices": 2, "faults": [{"practice": "A81001", "kind": "gremlins"}]}))
    assert r.exit_code == 2 and "population.faults[0].kind" in r.output


@pytest.mark.slow
def test_the_demo_scenario_reconciles_on_postgresql(tmp_path, postgres_url, monkeypatch):
    """`make demo`'s scenario, whole (12 practices, four suppliers, the oracle), stored in PostgreSQL."""
    from sqlalchemy import create_engine, func, select

    from simulator.db import CqrsExtract, GpesReceipt
    from simulator.run import run_scenario
    from simulator.scenario import load_scenario

    url = postgres_url()
    monkeypatch.setenv(ENV_URL, url)
    result = run_scenario(load_scenario(DEMO), reports_dir=tmp_path, run_id="demo-pg", say=lambda _: None)
    s = result.summary
    assert s["database"] == "postgresql+psycopg" and s["practices"] == 12
    assert s["extracts_sent"] == s["extracts_received"] == s["extracts_stored"] == 12
    assert s["discrepancies"] == [] and s["payment_instructions"] == 12
    engine = create_engine(url)
    with engine.connect() as conn:  # the rows really are in PostgreSQL
        assert conn.scalar(select(func.count()).select_from(GpesReceipt)) == 12
        assert conn.scalar(select(func.count()).select_from(CqrsExtract)) == 12
    engine.dispose()


def test_two_runs_against_one_postgresql_database_each_reconcile_their_own_collection(tmp_path, postgres_url,
                                                                                     monkeypatch):
    """The issue: a second run against the same database reported 12 sent, 24 received, 24 stored and
    still 0 discrepancies. Each run is its own collection and counts only that."""
    monkeypatch.setenv(ENV_URL, postgres_url())
    sums = []
    for run_id in ("first", "second"):
        r = run(tmp_path, scenario(tmp_path), run_id)
        assert r.exit_code == 0, r.output
        sums.append(json.loads((tmp_path / "reports" / run_id / "summary.json").read_text()))
    for s in sums:
        assert s["extracts_sent"] == s["extracts_received"] == s["extracts_stored"] == 4
        assert s["discrepancies"] == [] and s["checks"]["GPES received only what suppliers sent"] == 4
    assert sums[0]["collection_id"] != sums[1]["collection_id"]
    assert sums[0]["total_payment_gbp"] == sums[1]["total_payment_gbp"]


def test_a_sampled_oracle_re_counts_the_stated_number_of_practices(tmp_path):
    r = run(tmp_path, scenario(tmp_path, oracle={"sample": 2, "seed": 3}), "sampled")
    assert r.exit_code == 0, r.output
    s = json.loads((tmp_path / "reports" / "sampled" / "summary.json").read_text())
    assert s["discrepancies"] == []
    assert {k: s["oracle"][k] for k in ("practices_sampled", "of", "seed")} == {"practices_sampled": 2, "of": 4, "seed": 3}
    assert len(s["oracle"]["sampled"]) == 2 and set(s["oracle"]["sampled"]) < set(json.loads(
        (tmp_path / "reports" / "sampled" / "achievements.json").read_text()))
    assert s["checks"]["supplier counts match the reference engine"] == 2
    assert s["checks"]["target populations match the reference count"] == 2
    assert s["checks"]["payment re-derives to the penny (QMAS)"] == 4  # the rest of reconciliation: every practice
    assert {"generate", "collect", "manual_entries", "calculate", "workflow", "gather", "oracle", "reconcile",
            "report", "total"} <= set(s["timings_s"])
