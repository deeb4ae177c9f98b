"""Over MESH, a CQRS killed with extracts waiting in its mailbox takes them when it restarts: real
processes (a mesh-sandbox among them), SIGKILL, the same database; every extract stored once."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from simulator.run import wait_for_collection
from simulator.scenario import parse_scenario
from simulator.transport.mesh import Mailbox, MeshSettings
from simulator.world import World, down, kill, restart, status, up
from tests.world.test_kill_restart import _acknowledged, _wait, assert_exactly_once, nation  # noqa: F401

pytestmark = [pytest.mark.flow, pytest.mark.slow]


@pytest.fixture
def mesh_world(tmp_path, nation, mesh_sandbox_python):  # noqa: F811
    """Every supplier sends one practice 4 s late: those arrive while CQRS is down."""
    by_supplier: dict[str, list[str]] = {}
    for p in nation.practices:
        by_supplier.setdefault(p["supplier"], []).append(p["practice_code"])
    scenario = parse_scenario({"name": "kill-mesh", "transport": "mesh", "suppliers": {
        s: {"late": sorted(codes)[-1:], "late_s": 4.0} for s, codes in by_supplier.items()}})
    directory = tmp_path / "world"
    up(directory, nation, scenario)
    try:
        yield World.open(directory)
    finally:
        down(directory)


def test_cqrs_killed_with_messages_unacknowledged_takes_them_on_restart(mesh_world, nation):  # noqa: F811
    w = mesh_world
    assert [(s.kind, s.url) for s in w.file.services.values() if s.name == "mesh"] == [("mesh", w.urls["mesh"])]
    cid = w.gpes().start_collection()["collection_id"]
    _wait(lambda: _acknowledged(w, cid) >= 1, what="a first acknowledged extract")
    kill(w.directory, "cqrs")
    assert not [r for r in status(w.directory) if r["name"] == "cqrs" and r["alive"]]
    _wait(lambda: len([r for r in w.gpes().receipts() if r["mesh_message_id"]]) == len(nation.practices),
          timeout=60, what="every extract sent to CQRS's mailbox")
    cqrs_mesh = yaml.safe_load(Path(w.file.services["cqrs"].config).read_text())["mesh"]
    inbox = Mailbox(MeshSettings(**cqrs_mesh))
    waiting = inbox.inbox()
    assert waiting, "extracts wait, unacknowledged, in CQRS's mailbox while it is down"
    assert _acknowledged(w, cid) < len(nation.practices)
    restart(w.directory, "cqrs")
    w = World.open(w.directory)
    collection = wait_for_collection(w, cid, timeout_s=120)
    assert_exactly_once(w, collection, nation.practices)
    assert inbox.inbox() == [], "every message acknowledged"
    inbox.close()
