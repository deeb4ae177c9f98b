"""A GP-system supplier's extraction service submitting practice extracts to GPES.

Each extract carries real counts (the plan's template for that practice) and a fresh
``extract_id``, answering this run's extraction request for the supplier; GPES must answer 201
and store it, then forward the same bytes to CQRS (which supersedes the practice's previous
extract). Now and then a supplier resends an extract it already sent, which GPES must answer 200
with the first receipt, storing nothing new.
"""

from __future__ import annotations

import random
import uuid
from collections import deque

from locust import FastHttpUser, constant, task
from locust.exception import StopUser

from qofload.state import STATE
from simulator.loadtest.plan import sha256

JSON = "application/json"


class SupplierUser(FastHttpUser):
    """EMIS, TPP, INPS or Microtest: whichever supplier the next practice in this share belongs to."""

    wait_time = constant(0)  # a closed loop: the next extract as soon as GPES answers
    resend_every = 20  # about one extract in this many is a resend of one already accepted

    def __init__(self, environment):
        self.host = STATE.plan.gpes_url if STATE.plan else "http://127.0.0.1:9"
        super().__init__(environment)
        self.recent: deque[tuple[str, bytes, str]] = deque(maxlen=16)
        self.rng = random.Random()

    def on_start(self):
        if STATE.plan is None:
            raise StopUser("no plan (qofsim-plan never arrived)")

    def _post(self, body: bytes, name: str, supplier: str):
        return self.client.post("/extracts", data=body, name=name, catch_response=True,
                                headers={"Content-Type": JSON, "X-Content-SHA256": sha256(body),
                                         **STATE.plan.auth("supplier", supplier=supplier)})

    @task
    def submit(self):
        if self.recent and self.rng.randrange(self.resend_every) == 0:
            return self.resend()
        row = STATE.next_supply()
        if row is None:
            raise StopUser("no practices in this share")
        extract_id = str(uuid.uuid4())
        body = STATE.plan.body(row[0], extract_id)
        with self._post(body, "POST /extracts (new)", row[1]) as r:
            if r.status_code == 201:
                STATE.tally.accepted[extract_id] = [row[0], sha256(body)]
                self.recent.append((extract_id, body, row[1]))
                r.success()
            else:
                r.failure(f"{r.status_code}, expected 201: {(r.text or '')[:200]}")

    def resend(self):
        extract_id, body, supplier = self.rng.choice(self.recent)
        with self._post(body, "POST /extracts (resend)", supplier) as r:
            if r.status_code == 200 and (r.json() or {}).get("extract_id") == extract_id:
                STATE.tally.resent += 1
                r.success()
            else:
                r.failure(f"resend answered {r.status_code}, expected 200 with the first receipt")
