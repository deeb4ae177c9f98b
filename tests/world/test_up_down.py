"""`qofsim up`, `status`, `down` and `serve` as a user types them: real processes, real ports."""

from __future__ import annotations

import json
import socket
import subprocess
import sys

import pytest
import yaml

from tests.credentials import PUBLIC, bearer
from typer.testing import CliRunner

from simulator.cli import app

pytestmark = pytest.mark.flow


def scenario(tmp_path, **over) -> str:
    data = {"name": "tiny-world", "population": {"practices": 4, "seed": 7, "list_size_range": [1500, 2500]},
            "oracle": True}
    data.update(over)
    p = tmp_path / "tiny.yaml"
    p.write_text(yaml.safe_dump(data))
    return str(p)


def qofsim(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "simulator.cli", *map(str, args)], capture_output=True, text=True,
                          timeout=300)


def test_up_status_run_twice_and_down(tmp_path):
    """A world that stays up: two runs against it each reconcile their own collection."""
    d = tmp_path / "w"
    r = qofsim("up", scenario(tmp_path), "--dir", d)
    assert r.returncode == 0, r.stdout + r.stderr
    try:
        world = json.loads((d / "world.json").read_text())
        assert set(world["services"]) == {"cqrs", "gpes", *{f"supplier-{p['supplier']}" for p in world["practices"]}}
        for s in world["services"].values():
            assert s["url"].startswith("http://127.0.0.1:") and s["pid"] > 0 and s["database_url"].startswith("sqlite")
        assert {p["practice_code"] for p in world["practices"]} and all(p["ccg_code"] for p in world["practices"])
        pids = {s["pid"] for s in world["services"].values()}
        assert len(pids) == len(world["services"]), "one process per service"

        again = qofsim("up", scenario(tmp_path), "--dir", d)
        assert again.returncode == 2 and "already holds a running world" in again.stdout

        st = qofsim("status", d, "--json")
        assert st.returncode == 0, st.stdout
        rows = {r["name"]: r for r in json.loads(st.stdout)}
        assert all(r["alive"] and r["health"]["ok"] for r in rows.values())

        sums = []
        for run_id in ("first", "second"):
            res = CliRunner().invoke(app, ["run", scenario(tmp_path), "--world", str(d), "--reports",
                                           str(tmp_path / "reports"), "--run-id", run_id])
            assert res.exit_code == 0, res.output
            sums.append(json.loads((tmp_path / "reports" / run_id / "summary.json").read_text()))
        for s in sums:
            assert s["extracts_sent"] == s["extracts_received"] == s["extracts_stored"] == 4
            assert s["discrepancies"] == [] and s["collection"] == {"acknowledged": 4}
        assert sums[0]["collection_id"] != sums[1]["collection_id"]
        assert sums[0]["total_payment_gbp"] == sums[1]["total_payment_gbp"]
        st = json.loads(qofsim("status", d, "--json").stdout)
        assert {r["name"]: r["health"] for r in st}["cqrs"]["extracts"] == 8  # both collections held, scoped apart
    finally:
        down = qofsim("down", d)
    assert down.returncode == 0 and "stopped" in down.stdout
    st = qofsim("status", d)
    assert st.returncode == 1


def test_run_world_without_a_world_says_so(tmp_path):
    res = CliRunner().invoke(app, ["run", scenario(tmp_path), "--world", str(tmp_path / "nowhere")])
    assert res.exit_code == 2 and "no world.json" in res.output


def _busy_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen()
    return s


@pytest.fixture
def gpes_config(tmp_path):
    practices = tmp_path / "practices.json"
    practices.write_text(json.dumps([{"practice_code": "A81001", "supplier": "TPP", "ccg_code": "05X"}]))
    cfg = tmp_path / "gpes.yaml"
    cfg.write_text(yaml.safe_dump({"database_url": f"sqlite:///{tmp_path / 'g.db'}",
                                   "practices_file": str(practices), "issuer_key": str(PUBLIC)}))
    return cfg


def test_serve_refuses_a_port_in_use_in_one_line(gpes_config):
    busy = _busy_port()
    try:
        r = qofsim("serve", "gpes", "--config", gpes_config, "--port", busy.getsockname()[1])
    finally:
        busy.close()
    assert r.returncode == 2
    assert "gpes: port: 127.0.0.1:" in r.stdout and "already in use" in r.stdout


@pytest.mark.parametrize("change, says", [
    ({"database_url": "postgresql+psycopg://nobody@127.0.0.1:1/none"}, "database_url: cannot use"),
    ({"practices_file": "/no/such/practices.json"}, "practices_file: cannot read"),
    ({"colour": "blue"}, "colour"),
    ({"host": "0.0.0.0"}, "host: 0.0.0.0 is not a loopback address"),
    ({"transport": "pigeon"}, "transport: Input should be 'http' or 'mesh'"),
    ({"transport": "mesh"}, "transport mesh needs the mesh settings"),
])
def test_serve_refuses_a_bad_setting_naming_it(tmp_path, gpes_config, change, says):
    cfg = yaml.safe_load(gpes_config.read_text()) | change
    gpes_config.write_text(yaml.safe_dump(cfg))
    r = qofsim("serve", "gpes", "--config", gpes_config, "--port", "1")
    assert r.returncode == 2 and says in r.stdout, r.stdout + r.stderr
    assert len([line for line in r.stdout.splitlines() if line.strip()]) <= 2


def test_serve_without_the_issuer_key_is_refused_and_no_auth_says_so_loudly(tmp_path, gpes_config):
    """Every service checks callers against the world's key; running without is a choice said aloud."""
    import time

    from simulator.world.processes import free_port

    cfg = yaml.safe_load(gpes_config.read_text())
    del cfg["issuer_key"]
    gpes_config.write_text(yaml.safe_dump(cfg))
    r = qofsim("serve", "gpes", "--config", gpes_config, "--port", "1")
    assert r.returncode == 2 and "issuer_key: give the world's issuer public key" in r.stdout, r.stdout
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "simulator.cli", "serve", "gpes", "--config", str(gpes_config),
                             "--port", str(port), "--no-auth"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        import requests

        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if requests.get(f"http://127.0.0.1:{port}/receipts", timeout=2).status_code == 200:  # no token
                    break
            except requests.RequestException:
                time.sleep(0.1)
        assert requests.get(f"http://127.0.0.1:{port}/receipts", timeout=2).json() == []
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=30)
    assert "AUTHENTICATION IS OFF (--no-auth)" in err.decode()


def test_serve_refuses_an_unknown_supplier(tmp_path):
    cfg = tmp_path / "s.yaml"
    cfg.write_text(yaml.safe_dump({"name": "ACME", "database_url": "sqlite://", "patients": "p", "events": "e",
                                   "practices_file": "x"}))
    r = qofsim("serve", "supplier", "--config", cfg, "--port", "1")
    assert r.returncode == 2 and "name: Input should be 'EMIS', 'TPP', 'INPS' or 'Microtest'" in r.stdout, r.stdout


def test_environment_overrides_the_file(tmp_path, gpes_config, monkeypatch):
    from simulator.gpes.config import GpesConfig

    monkeypatch.setenv("QOFSIM_GPES_DATABASE_URL", "sqlite:///from-env.db")
    assert GpesConfig.load(gpes_config, port=5).database_url == "sqlite:///from-env.db"
    assert GpesConfig.load(gpes_config, port=5, database_url="sqlite:///cli.db").database_url == "sqlite:///cli.db"


def test_cqrs_serves_under_several_workers(tmp_path):
    """`qofsim serve cqrs --workers 2`: uvicorn's own worker processes, one schema migrated once."""
    import time

    import psutil
    import requests

    from simulator.world.processes import free_port

    practices = tmp_path / "practices.json"
    practices.write_text(json.dumps([{"practice_code": "A81001", "supplier": "TPP", "ccg_code": "05X"}]))
    cfg = tmp_path / "cqrs.yaml"
    cfg.write_text(yaml.safe_dump({"database_url": f"sqlite:///{tmp_path / 'c.db'}", "practices_file": str(practices),
                                   "payments_dir": str(tmp_path / "pay"), "issuer_key": str(PUBLIC)}))
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "simulator.cli", "serve", "cqrs", "--config", str(cfg), "--port",
                             str(port), "--workers", "2"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if requests.get(f"http://127.0.0.1:{port}/health", timeout=2).json()["ok"]:
                    break
            except requests.RequestException:
                time.sleep(0.1)
        assert requests.get(f"http://127.0.0.1:{port}/health", timeout=2).json()["extracts"] == 0
        assert len(psutil.Process(proc.pid).children()) >= 2
        for _ in range(6):  # each worker checks credentials against the world's key
            assert requests.get(f"http://127.0.0.1:{port}/audit", timeout=2, headers=bearer("auditor")).json() == []
            assert requests.get(f"http://127.0.0.1:{port}/audit", timeout=2).status_code == 401
    finally:
        proc.terminate()
        proc.wait(timeout=30)
