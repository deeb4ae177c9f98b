"""Finance running payments: every approved record gets its payment instruction.

One finance user in the whole run (``fixed_count``), as there is one payment run at a time; every
instruction a run returns is tallied, and the checks require exactly one per declared practice.
"""

from __future__ import annotations

from locust import FastHttpUser, constant, task
from locust.exception import StopUser

from qofload.state import STATE


class FinanceUser(FastHttpUser):
    fixed_count = 1
    wait_time = constant(5)

    def __init__(self, environment):
        self.host = STATE.plan.cqrs_url if STATE.plan else "http://127.0.0.1:9"
        super().__init__(environment)

    def on_start(self):
        if STATE.plan is None:
            raise StopUser("no plan")

    @task
    def pay(self):
        with self.client.post("/payment-runs", name="POST /payment-runs", catch_response=True,
                              headers=STATE.plan.auth("finance")) as r:
            if r.status_code != 201:
                r.failure(f"payment run answered {r.status_code}: {(r.text or '')[:200]}")
                return
            for i in (r.json() or {}).get("instructions", []):
                STATE.tally.instructions.append([i["practice_code"], i["amount_gbp"], i["instruction_id"]])
