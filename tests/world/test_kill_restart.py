"""Killed and restarted, nothing is lost or doubled: real processes, SIGKILL, the same databases.

Each test brings a world up as `qofsim up` does, starts a collection, kills one service with
SIGKILL while extracts are on their way, restarts it on the same port and database, and then
checks that every extract a supplier was told was accepted is stored in CQRS exactly once, with
the bytes the supplier sent, and that every practice's extract was acknowledged.
"""

from __future__ import annotations

import time
from collections import Counter

import pytest

from simulator.db import ENV_URL
from simulator.population.generate import generate_nation
from simulator.population.profile import load_profile
from simulator.run import wait_for_collection
from simulator.scenario import parse_scenario
from simulator.world import World, down, kill, restart, up

pytestmark = [pytest.mark.flow, pytest.mark.slow]


@pytest.fixture(scope="module")
def nation(tmp_path_factory):
    return generate_nation(load_profile("england-2012-13"), n_practices=8, seed=11,
                           out_dir=tmp_path_factory.mktemp("nation"), list_size_range=(1500, 2500))


@pytest.fixture
def slow_world(tmp_path, nation, db_url, monkeypatch):
    """Every supplier sends one practice late, so a collection is still in flight for a few seconds.
    On each store: GPES and CQRS in SQLite files of their own, then both in one PostgreSQL database."""
    if db_url.startswith("postgresql"):
        monkeypatch.setenv(ENV_URL, db_url)
    by_supplier: dict[str, list[str]] = {}
    for p in nation.practices:
        by_supplier.setdefault(p["supplier"], []).append(p["practice_code"])
    scenario = parse_scenario({"name": "kill", "suppliers": {
        s: {"late": sorted(codes)[-1:], "late_s": 4.0} for s, codes in by_supplier.items()}})
    directory = tmp_path / "world"
    up(directory, nation, scenario)
    try:
        yield World.open(directory)
    finally:
        down(directory)


def _wait(predicate, timeout=30.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def _acknowledged(w: World, collection_id: str) -> int:
    try:
        return w.gpes().collection(collection_id)["tally"].get("acknowledged", 0)
    except Exception:
        return 0


def assert_exactly_once(w: World, collection: dict, practices: list[dict]) -> None:
    request_ids = [r["request_id"] for r in collection["requests"]]
    sent = [o for s in w.suppliers for o in w.supplier(s).outbox(request_ids)]
    accepted = {o["extract_id"]: o for o in sent if o["status"] in (200, 201)}
    assert {o["practice_code"] for o in accepted.values()} == {p["practice_code"] for p in practices}, \
        "every practice's extract was accepted by GPES"
    stored = w.cqrs().extracts(request_ids)
    times = Counter(x["extract_id"] for x in stored)
    assert set(times) == set(accepted), "CQRS holds exactly the extracts GPES accepted"
    assert max(times.values()) == 1, "nothing doubled"
    for x in stored:
        assert x["sha256"] == accepted[x["extract_id"]]["sha256"]
        assert w.cqrs().extract_body(x["extract_id"]) == accepted[x["extract_id"]]["body"].encode()
    receipts = w.gpes().receipts(request_ids)
    assert Counter(r["extract_id"] for r in receipts) == Counter(set(accepted))
    assert {p["status"] for p in collection["practices"]} == {"acknowledged"}


@pytest.mark.parametrize("victim", ["cqrs", "gpes", "supplier"])
def test_a_service_killed_mid_collection_loses_and_doubles_nothing(slow_world, nation, victim):
    w = slow_world
    started = w.gpes().start_collection()
    cid = started["collection_id"]
    _wait(lambda: _acknowledged(w, cid) >= 1, what="a first acknowledged extract")
    name = {"cqrs": "cqrs", "gpes": "gpes", "supplier": f"supplier-{w.suppliers[0]}"}[victim]
    kill(w.directory, name)
    assert not any(r["alive"] for r in __import__("simulator.world", fromlist=["status"]).status(w.directory)
                   if r["name"] == name)
    time.sleep(1.0)  # extracts keep arriving (or not) while it is down: retried, never dropped
    restart(w.directory, name)
    w = World.open(w.directory)  # the new PID
    collection = wait_for_collection(w, cid, timeout_s=120)
    assert_exactly_once(w, collection, nation.practices)


def test_a_resent_collection_after_restart_stores_nothing_new(slow_world, nation):
    """Restarting CQRS with every extract already acknowledged changes nothing it holds."""
    w = slow_world
    cid = w.gpes().start_collection()["collection_id"]
    collection = wait_for_collection(w, cid, timeout_s=120)
    before = w.cqrs().extracts()
    kill(w.directory, "cqrs")
    restart(w.directory, "cqrs")
    assert World.open(w.directory).cqrs().extracts() == before
    assert_exactly_once(World.open(w.directory), collection, nation.practices)
