"""Steps for features/collection.feature: the whole flow over real HTTP on loopback."""

from __future__ import annotations

import datetime as dt
import json
from contextlib import ExitStack
from decimal import Decimal

import pytest
from pytest_bdd import given, parsers, then, when

from simulator.gpes.spec import build_spec
from simulator.population.generate import generate_nation
from simulator.population.profile import load_profile
from simulator.qof.catalogue import default_catalogue
from simulator.reconcile import nhs_numbers_in, reconcile
from simulator.run import wait_for_collection
from simulator.scenario import parse_scenario
from simulator.world import World
from simulator.world import down as world_down
from simulator.world import up as world_up

CAT = default_catalogue()


@pytest.fixture(scope="session")
def nations(tmp_path_factory):
    """Nations are generated once per size for the whole session (generation is deterministic)."""
    cache = {}

    def get(n: int):
        if n not in cache:
            cache[n] = generate_nation(load_profile("england-2012-13"), n_practices=n, seed=20130331,
                                       out_dir=tmp_path_factory.mktemp(f"nation{n}"), list_size_range=(2000, 12000))
        return cache[n]

    return get


@pytest.fixture
def ctx(tmp_path):
    with ExitStack() as stack:
        yield {"stack": stack, "faults": [], "run_dir": tmp_path}


@given(parsers.parse('the synthetic nation "{name}" with {n:d} practices across EMIS, TPP, INPS and Microtest'))
def _nation(ctx, nations, name, n):
    ctx["nation"] = nations(n)
    assert {p["supplier"] for p in ctx["nation"].practices} == {"EMIS", "TPP", "INPS", "Microtest"}


@given(parsers.parse('GPES has published the extraction "{spec_id}" with achievement date {day}'))
def _spec(ctx, spec_id, day):
    spec = build_spec(CAT)
    assert spec.spec_id == spec_id
    assert spec.achievement_date == dt.datetime.strptime(day, "%d/%m/%Y").date()


def _first(ctx, supplier: str) -> str:
    return sorted(p["practice_code"] for p in ctx["nation"].practices if p["supplier"] == supplier)[0]


@given(parsers.parse("the first {supplier} practice's extract will be sent twice"))
def _resend(ctx, supplier):
    ctx["target"] = _first(ctx, supplier)
    ctx["faults"].append({"practice": ctx["target"], "kind": "resend"})


@given(parsers.parse("the first {supplier} practice's extract will report a numerator above its denominator"))
def _corrupt(ctx, supplier):
    ctx["target"] = _first(ctx, supplier)
    ctx["faults"].append({"practice": ctx["target"], "kind": "numerator_above_denominator"})


@when("GPES collects the extraction from every supplier")
def _collect(ctx):
    """The world as separate processes (one per service), as `qofsim up` starts it."""
    scenario = parse_scenario({"name": "bdd", "faults": ctx["faults"]})
    directory = ctx["run_dir"] / "world"
    world_up(directory, ctx["nation"], scenario)
    ctx["stack"].callback(world_down, directory)
    w = ctx["world"] = World.open(directory)
    ctx["collection"] = wait_for_collection(w, w.gpes().start_collection()["collection_id"], 300)
    ctx["calc"] = w.cqrs().calculate()


def _evidence(ctx):
    w = ctx["world"]
    cqrs = w.cqrs()
    extracts = cqrs.extracts()
    return {
        "extracts": extracts,
        "bodies": {x["extract_id"]: cqrs.extract_body(x["extract_id"]) for x in extracts},
        "outboxes": [o for s in w.suppliers for o in w.supplier(s).outbox() if o["final"]],
        "receipts": w.gpes().receipts(),
    }


@when("every practice declares and its commissioner approves")
def _declare_approve(ctx):
    w = ctx["world"]
    cqrs = w.cqrs()
    for p in ctx["nation"].practices:
        code = p["practice_code"]
        assert cqrs.declare(code, "practice manager")["state"] == "Awaiting Commissioning Organisation Approval"
        assert cqrs.decide(code, p["ccg_code"], "approve")["state"] == "Approved"


@when("CQRS runs the payment")
def _pay(ctx):
    ctx["payment_run"] = ctx["world"].cqrs().payment_run()


@then(parsers.parse("CQRS holds one extract for each of the {n:d} practices"))
def _one_each(ctx, n):
    ev = _evidence(ctx)
    assert sorted(x["practice_code"] for x in ev["extracts"]) == sorted(p["practice_code"] for p in ctx["nation"].practices)
    assert len(ev["extracts"]) == n


@then("for every practice the counts CQRS holds equal the counts its supplier sent")
def _counts_equal(ctx):
    ev = _evidence(ctx)
    sent = {o["practice_code"]: json.loads(o["body"]) for o in ev["outboxes"]}
    held = {x["practice_code"]: json.loads(ev["bodies"][x["extract_id"]]) for x in ev["extracts"]}
    assert held == sent


@then("every extract CQRS holds has the SHA-256 its supplier computed")
def _same_sha(ctx):
    ev = _evidence(ctx)
    assert {o["extract_id"]: o["sha256"] for o in ev["outboxes"]} == {x["extract_id"]: x["sha256"] for x in ev["extracts"]}


@then("no message that left a supplier contains an NHS number")
def _no_nhs_numbers(ctx):
    ev = _evidence(ctx)
    assert ev["outboxes"]
    assert all(not nhs_numbers_in(o["body"].encode()) for o in ev["outboxes"])
    assert all("nhs" not in o["body"].lower() for o in ev["outboxes"])


@then("CQRS holds exactly one extract for that practice")
def _exactly_one(ctx):
    ev = _evidence(ctx)
    assert [x["practice_code"] for x in ev["extracts"]].count(ctx["target"]) == 1


@then("GPES answered the second copy as it answered the first")
def _answered_same(ctx):
    ev = _evidence(ctx)
    mine = [o for o in ev["outboxes"] if o["practice_code"] == ctx["target"]]
    assert [o["status"] for o in mine] == [201, 200]
    assert mine[0]["sha256"] == mine[1]["sha256"]
    assert [r["practice_code"] for r in ev["receipts"]].count(ctx["target"]) == 1


@then(parsers.parse('GPES refused {n:d} extract naming the field "{field}"'))
def _refused(ctx, n, field):
    ev = _evidence(ctx)
    refused = [o for o in ev["outboxes"] if o["status"] == 422]
    assert len(refused) == n
    assert ctx["target"] not in {r["practice_code"] for r in ev["receipts"]}
    # GPES's collection status says why, and so does the answer the supplier kept
    (row,) = [p for p in ctx["collection"]["practices"] if p["practice_code"] == ctx["target"]]
    assert row["status"] == "rejected" and row["reason"].startswith(field), row
    assert f"'field': '{field}" in refused[0]["answer"]


@then("CQRS holds no extract for that practice")
def _none_for(ctx):
    assert ctx["target"] not in {x["practice_code"] for x in _evidence(ctx)["extracts"]}


@then(parsers.parse("CQRS holds one extract for each of the other {n:d} practices"))
def _others(ctx, n):
    held = [x["practice_code"] for x in _evidence(ctx)["extracts"]]
    assert len(held) == len(set(held)) == n


@then("every practice has exactly one payment instruction")
def _one_instruction(ctx):
    codes = [i.practice_code for i in ctx["payment_run"].instructions]
    assert sorted(codes) == sorted(p["practice_code"] for p in ctx["nation"].practices)


@then("every payment re-derives to the penny from the counts CQRS stored")
def _rederive(ctx):
    ev = _evidence(ctx)
    cqrs = ctx["world"].cqrs()
    achievements = {x["practice_code"]: cqrs.achievement(x["practice_code"]).model_dump(mode="json") for x in ev["extracts"]}
    rec = reconcile(CAT, ctx["nation"].practices, ev["outboxes"], ev["receipts"], ev["extracts"], ev["bodies"],
                    achievements, [i.model_dump(mode="json") for i in ctx["payment_run"].instructions])
    assert rec.checks["payment re-derives to the penny (QMAS)"] == len(ctx["nation"].practices)
    assert rec.discrepancies == []


@then("the payment instructions add up to the total CQRS calculated")
def _adds_up(ctx):
    cqrs = ctx["world"].cqrs()
    calculated = sum(Decimal(cqrs.achievement(p["practice_code"]).payment_gbp) for p in ctx["nation"].practices)
    assert Decimal(ctx["payment_run"].total_gbp) == calculated > 0


