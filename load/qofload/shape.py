"""A staged ``LoadTestShape``: stages as fractions of the run time and of the peak users.

``qofsim load`` sets the run time (``--run-time``, else the profile's ``run_time``) and the peak
users (``--users``, else the profile's ``users``) in the environment, so ``--run-time 30s``
compresses any profile's curve into 30 s. When the time is up the shape stops every user itself
and, when it is a master, waits until every worker has stopped its users (each sends its tally and
its last stats as it does, ``state.py``) before Locust quits, and tells each worker to leave (a
stopped worker is no longer the master's, and would otherwise wait a minute for its heartbeat).
"""

from __future__ import annotations

import os

import gevent
from locust import LoadTestShape
from locust.rpc import Message
from locust.runners import MasterRunner

from qofload.state import STATE

from simulator.loadtest.plan import RUN_TIME_ENV, USERS_ENV
from simulator.loadtest.profiles import parse_duration


class StagedShape(LoadTestShape):
    abstract = True
    profile: dict = {}
    stages: tuple[tuple[float, float], ...] = ((1.0, 1.0),)  # (until this fraction of the run, this fraction of peak)

    def run_time(self) -> float:
        return parse_duration(os.environ.get(RUN_TIME_ENV) or self.profile["run_time"])

    def peak(self) -> int:
        return int(os.environ.get(USERS_ENV) or self.profile["users"])

    def users_at(self, t: float) -> int | None:
        total = self.run_time()
        for until, share in self.stages:
            if t < until * total:
                return max(1, round(self.peak() * share))
        return None

    def tick(self):
        users = self.users_at(self.get_run_time())
        if users is None:
            if isinstance(self.runner, MasterRunner):
                self.runner.stop()  # every worker stops its users and sends its tally and last stats
                gevent.sleep(0.5)
                for worker in STATE.worker_ids:  # stopped workers are no longer the master's: tell each to leave
                    self.runner.server.send_to_client(Message("quit", None, worker))
            return None
        return users, max(self.peak() / 2.0, 1.0)
