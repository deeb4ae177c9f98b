"""`qofsim run` with `transport: mesh`: GPES -> CQRS through a real mesh-sandbox gives what HTTP gives."""

import json
import sqlite3
from pathlib import Path

import pytest
import yaml

from tests.integration.test_run import run

pytestmark = pytest.mark.flow


def scenario(tmp_path: Path, name: str, **over) -> Path:
    data = {"name": name, "population": {"profile": "england-2012-13", "practices": 4, "seed": 7,
                                         "list_size_range": [1500, 3000]},
            "workflow": {"declare": "all", "approve": "all"}, "oracle": True, "report": {"practice_pages": False},
            **over}
    p = tmp_path / f"{name}.yaml"
    p.write_text(yaml.safe_dump(data))
    return p


def rows(db: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(db) as c:
        return c.execute(sql).fetchall()


def test_over_mesh_a_run_reconciles_with_the_same_totals_as_over_http(tmp_path, mesh_sandbox_python):
    by = {}
    for transport in ("http", "mesh"):
        r = run(tmp_path, scenario(tmp_path, f"tiny-{transport}", transport=transport), transport)
        assert r.exit_code == 0, r.output
        by[transport] = json.loads((tmp_path / "reports" / transport / "summary.json").read_text())
    http, mesh = by["http"], by["mesh"]
    assert (http["transport"], mesh["transport"]) == ("http", "mesh")
    assert http["discrepancies"] == mesh["discrepancies"] == []
    assert mesh["checks"]["bytes unchanged end to end"] == mesh["checks"]["CQRS stored what GPES received"] == 4
    assert (mesh["total_points"], mesh["total_payment_gbp"]) == (http["total_points"], http["total_payment_gbp"])
    assert mesh["collection"] == http["collection"] == {"acknowledged": 4}

    def achieved(run_id):
        doc = json.loads((tmp_path / "reports" / run_id / "achievements.json").read_text())
        return {code: (a["total_points"], a["payment_gbp"]) for code, a in doc.items()}

    assert achieved("mesh") == achieved("http")
    world = tmp_path / "reports" / "mesh" / "world"
    sent = rows(world / "gpes.db", "SELECT extract_id, sha256, forward_state, mesh_message_id FROM gpes_receipts")
    stored = rows(world / "cqrs.db", "SELECT extract_id, sha256 FROM cqrs_extracts")
    assert sorted((x, sha) for x, sha, _, _ in sent) == sorted(stored), "the same SHA-256s at both ends"
    assert all(state == "acknowledged" and message_id for _, _, state, message_id in sent)
    for _, _, _, message_id in sent:  # each carried in 4 KB chunks (the extracts are larger)
        chunks = list((world / "mesh" / "X26ABC2" / "in" / message_id).iterdir())
        assert len(chunks) >= 2, f"message {message_id} was not chunked"
    audit = rows(world / "cqrs.db", "SELECT role, identity FROM cqrs_audit_log WHERE action = 'extract stored'")
    assert audit == [("gpes", "MESH mailbox X26ABC1")] * 4


def test_an_unknown_transport_is_refused_naming_the_field(tmp_path):
    r = run(tmp_path, scenario(tmp_path, "pigeon", transport="pigeon"))
    assert r.exit_code == 2 and "transport: one of http, mesh, got 'pigeon'" in r.output


def test_without_the_sandbox_a_mesh_run_says_how_to_make_it(tmp_path, monkeypatch):
    monkeypatch.setenv("QOFSIM_MESH_SANDBOX_PYTHON", str(tmp_path / "no-such-python"))
    r = run(tmp_path, scenario(tmp_path, "tiny-mesh", transport="mesh"))
    assert r.exit_code == 2, r.output
    assert "no mesh-sandbox python at" in r.output and "make install" in r.output
