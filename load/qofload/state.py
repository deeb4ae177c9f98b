"""The plan, each role's work queues, and the tally — per Locust process, merged by the master.

Single process: the plan is read from ``$QOFSIM_LOAD_PLAN``, the tally written to
``$QOFSIM_LOAD_TALLY`` when Locust quits. Distributed: the master reads the plan and, when the test
starts, sends each worker the plan with its share of the practices (``qofsim-plan``; before the
spawn message, on the same socket, so a worker has it before its users start); each worker sends
its whole tally when its users have stopped (``qofsim-tally``), and the master merges them. No two
workers own a practice, so a practice's workflow happens in one process, in order.
"""

from __future__ import annotations

import itertools
import json
import logging
import os
import random
from collections import deque

from locust import events
from locust.runners import MasterRunner, WorkerRunner

from simulator.loadtest.plan import PLAN_ENV, TALLY_ENV, Plan

log = logging.getLogger("qofsim.load")


class Tally:
    """What this process saw the services accept: the conservation checks start from it."""

    def __init__(self) -> None:
        self.accepted: dict[str, list] = {}  # extract_id -> [practice_code, sha256] (answered 201)
        self.resent = 0  # resends answered 200 with the first receipt
        self.workflow: dict[str, list[str]] = {}  # practice -> declared / approved / rejected, in order
        self.instructions: list[list] = []  # [practice_code, amount_gbp, instruction_id] from payment runs
        self.manual: dict[str, int] = {}  # practice -> round of the last manual entries it stored
        self.refused_approvers = 0  # a CCG deciding for a practice it does not commission, answered 403

    def event(self, practice: str, what: str) -> None:
        self.workflow.setdefault(practice, []).append(what)

    def to_dict(self) -> dict:
        return dict(vars(self))

    def merge(self, d: dict) -> None:
        self.accepted.update(d.get("accepted", {}))
        self.resent += d.get("resent", 0)
        for p, evs in d.get("workflow", {}).items():
            self.workflow.setdefault(p, []).extend(evs)
        self.instructions += d.get("instructions", [])
        self.manual.update(d.get("manual", {}))
        self.refused_approvers += d.get("refused_approvers", 0)


class State:
    def __init__(self) -> None:
        self.plan: Plan | None = None
        self.tally = Tally()
        self.worker_tallies: dict[str, dict] = {}
        self.worker_ids: list[str] = []  # (master) the workers the test started with
        self.mine: list[list] = []
        self._supply = None
        self.to_declare: deque[str] = deque()
        self.to_approve: deque[str] = deque()
        self.to_enter: deque[str] = deque()
        self.entry_round = 0

    def start(self, plan: Plan) -> None:
        self.plan = plan
        self.mine = plan.my_practices()
        rng = random.Random(f"{plan.seed}/{plan.share}")
        order = list(self.mine)
        rng.shuffle(order)  # suppliers' extracts arrive in no particular practice order
        self._supply = itertools.cycle(order)
        self.to_declare = deque(p[0] for p in self.mine)
        self.to_enter = deque(p[0] for p in self.mine)
        log.info("share %d of %d: %d practices", plan.share, plan.shares, len(self.mine))

    def next_supply(self) -> list | None:
        return next(self._supply) if self.mine else None

    def next_entry(self) -> tuple[str, int] | None:
        """The next practice to enter its manual indicators; when all have, another round begins."""
        if not self.mine:
            return None
        if not self.to_enter:
            self.entry_round += 1
            self.to_enter.extend(p[0] for p in self.mine)
        return self.to_enter.popleft(), self.entry_round


STATE = State()


@events.init.add_listener
def _init(environment, **_):
    runner = environment.runner
    if isinstance(runner, WorkerRunner):
        runner.register_message("qofsim-plan", lambda environment, msg, **kw: STATE.start(Plan.from_dict(msg.data)))
        return
    path = os.environ.get(PLAN_ENV)
    if not path:
        raise SystemExit(f"{PLAN_ENV} is not set: run profiles with `qofsim load PROFILE` (it writes the plan)")
    STATE.plan = Plan.read(path)
    if isinstance(runner, MasterRunner):
        runner.register_message("qofsim-tally",
                                lambda environment, msg, **kw: STATE.worker_tallies.__setitem__(msg.node_id, msg.data))


@events.test_start.add_listener
def _test_start(environment, **_):
    runner = environment.runner
    if isinstance(runner, MasterRunner):
        clients = STATE.worker_ids = sorted(c.id for c in runner.clients.all)
        for i, client_id in enumerate(clients):
            runner.send_message("qofsim-plan", STATE.plan.for_share(i, len(clients)), client_id=client_id)
    elif not isinstance(runner, WorkerRunner):
        STATE.start(STATE.plan)


@events.test_stop.add_listener
def _test_stop(environment, **_):
    """A worker whose users have stopped sends its tally and its last stats now: once it has told the
    master it stopped, the master no longer counts its reports."""
    runner = environment.runner
    if isinstance(runner, WorkerRunner):
        runner.send_message("qofsim-tally", STATE.tally.to_dict())
        runner._send_stats()  # noqa: SLF001 - Locust's own final report, sent before 'client_stopped'


@events.quitting.add_listener
def _quitting(environment, **_):
    if isinstance(environment.runner, WorkerRunner):
        return
    merged = Tally()
    if isinstance(environment.runner, MasterRunner):
        for d in STATE.worker_tallies.values():
            merged.merge(d)
    else:
        merged = STATE.tally
    out = os.environ.get(TALLY_ENV)
    if out:
        with open(out, "w") as f:
            json.dump({**merged.to_dict(), "workers": len(STATE.worker_tallies)}, f)
