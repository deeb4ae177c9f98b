"""Commissioners (CCGs) deciding on the practices that have declared.

A declared practice waits in its process's queue until a commissioner takes it: most are approved,
about one in ten is rejected with a reason (the practice declares again), and now and then the
wrong CCG tries first, which CQRS must refuse (403) without changing anything.
"""

from __future__ import annotations

import random

from locust import FastHttpUser, between, task
from locust.exception import StopUser

from qofload.state import STATE

APPROVED = "Approved"
AWAITING_SP = "Awaiting Service Provider Approval"


class CommissionerUser(FastHttpUser):
    """A CCG's QOF lead, taking the next declared practice of whichever CCG commissions it."""

    wait_time = between(0.05, 0.3)
    reject_ratio = 0.1
    wrong_ccg_ratio = 0.02

    def __init__(self, environment):
        self.host = STATE.plan.cqrs_url if STATE.plan else "http://127.0.0.1:9"
        super().__init__(environment)
        self.rng = random.Random()

    def on_start(self):
        if STATE.plan is None:
            raise StopUser("no plan")
        self.ccgs = sorted({p[2] for p in STATE.plan.practices if p[2]})

    def _decide(self, p: str, approver: str, decision: str, reason: str = "", name: str | None = None):
        return self.client.post(f"/practices/{p}/approval", json={"approver": approver, "decision": decision,
                                                                   "reason": reason},
                                name=name or f"POST /practices/[p]/approval ({decision})", catch_response=True,
                                headers=STATE.plan.auth("commissioner", ccg=approver))  # each CCG as itself

    @task
    def decide(self):
        if not STATE.to_approve:
            return
        p = STATE.to_approve.popleft()
        ccg = STATE.plan.practice(p)[2]
        others = [c for c in self.ccgs if c != ccg]
        if others and self.rng.random() < self.wrong_ccg_ratio:
            with self._decide(p, self.rng.choice(others), "approve", name="POST /practices/[p]/approval (wrong CCG)") as r:
                if r.status_code == 403:
                    STATE.tally.refused_approvers += 1
                    r.success()
                else:
                    r.failure(f"{p}: another CCG's approval answered {r.status_code}, expected 403")
        if self.rng.random() < self.reject_ratio:
            with self._decide(p, ccg, "reject", "list size does not match the practice's own return") as r:
                if r.status_code == 200 and (r.json() or {}).get("state") == AWAITING_SP:
                    STATE.tally.event(p, "rejected")
                    STATE.to_declare.append(p)
                else:
                    r.failure(f"{p}: rejection answered {r.status_code}: {(r.text or '')[:200]}")
            return
        with self._decide(p, ccg, "approve") as r:
            if r.status_code == 200 and (r.json() or {}).get("state") == APPROVED:
                STATE.tally.event(p, "approved")
            else:
                r.failure(f"{p}: approval answered {r.status_code}: {(r.text or '')[:200]}")
