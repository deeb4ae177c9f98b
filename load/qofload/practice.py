"""Practices in CQRS: viewing their achievement, declaring it, and entering the 44 manual indicators.

Each practice belongs to one Locust process (its share), so its steps happen in order: a practice
is declared only when CQRS shows it 'Awaiting Service Provider Approval', and then waits for its
commissioner (``commissioner.py``); a practice the commissioner rejects comes back to declare again.
Manual entries are ``simulator.practice.manual_entries`` for (practice, seed + round): the values
the checks expect CQRS to hold afterwards are those of the last round each practice stored.
"""

from __future__ import annotations

import random
from functools import lru_cache

from locust import FastHttpUser, between, task
from locust.exception import StopUser

from qofload.state import STATE

AWAITING_SP = "Awaiting Service Provider Approval"
AWAITING_CO = "Awaiting Commissioning Organisation Approval"
JSON = {"Content-Type": "application/json"}


@lru_cache(maxsize=1)
def _catalogue():
    from simulator.qof.catalogue import default_catalogue

    return default_catalogue()


def manual_body(practice: str, seed: int) -> str:
    from simulator.practice import manual_entries

    return manual_entries(_catalogue(), practice, seed).model_dump_json()


class _CqrsUser(FastHttpUser):
    abstract = True

    def __init__(self, environment):
        self.host = STATE.plan.cqrs_url if STATE.plan else "http://127.0.0.1:9"
        super().__init__(environment)
        self.rng = random.Random()

    def on_start(self):
        if STATE.plan is None or not STATE.mine:
            raise StopUser("no plan, or no practices in this share")

    def view(self, practice: str) -> None:
        self.client.get(f"/practices/{practice}/achievement/summary", name="GET /practices/[p]/achievement/summary",
                        headers=self.as_practice(practice))

    def as_practice(self, practice: str) -> dict:
        """Each practice acts with its own credential (it may read and declare only its own)."""
        return STATE.plan.auth("practice", practice=practice)


class PracticeUser(_CqrsUser):
    """A practice manager at year end: looks at the achievement, then declares it."""

    wait_time = between(0.05, 0.3)

    @task(3)
    def declare(self):
        if not STATE.to_declare:
            return self.view(self.rng.choice(STATE.mine)[0])
        p = STATE.to_declare.popleft()
        with self.client.get(f"/practices/{p}/achievement", name="GET /practices/[p]/achievement",
                             catch_response=True, headers=self.as_practice(p)) as r:
            state = (r.json() or {}).get("state") if r.status_code == 200 else None
            if state != AWAITING_SP:
                r.failure(f"{p}: {r.status_code} {state!r}, expected {AWAITING_SP!r} before declaring")
                return
        with self.client.post(f"/practices/{p}/declaration", json={"declared_by": f"{p}-practice-manager"},
                              name="POST /practices/[p]/declaration", catch_response=True,
                              headers=self.as_practice(p)) as r:
            if r.status_code == 200 and (r.json() or {}).get("state") == AWAITING_CO:
                STATE.tally.event(p, "declared")
                STATE.to_approve.append(p)
            else:
                r.failure(f"{p}: declaration answered {r.status_code}: {(r.text or '')[:200]}")

    @task(2)
    def look(self):
        self.view(self.rng.choice(STATE.mine)[0])


class ViewingPractice(_CqrsUser):
    """A practice looking at its achievement while the figures come in (soak)."""

    wait_time = between(0.5, 1.5)

    @task
    def look(self):
        self.view(self.rng.choice(STATE.mine)[0])


class ManualEntryUser(_CqrsUser):
    """A practice entering its 44 non-extracted indicators before the entry window closes."""

    wait_time = between(0.05, 0.3)
    busy: set[str] = set()  # practices with an entry in flight in this process (one at a time each)

    def _send(self, p: str, rnd: int, name: str, expect_unchanged: bool = False) -> None:
        self.busy.add(p)
        try:
            with self.client.post(f"/practices/{p}/manual-entries", data=manual_body(p, STATE.plan.seed + rnd),
                                  headers={**JSON, **self.as_practice(p)}, name=name, catch_response=True) as r:
                if r.status_code not in (200, 201):
                    r.failure(f"{p}: {r.status_code}: {(r.text or '')[:200]}")
                    return
                result = r.json() or {}
                if expect_unchanged and result.get("stored") != 0:
                    r.failure(f"{p}: the same entries again stored {result.get('stored')} (expected 0, all unchanged)")
                    return
                STATE.tally.manual[p] = rnd
        finally:
            self.busy.discard(p)

    @task(6)
    def enter(self):
        for _ in range(len(STATE.mine)):
            nxt = STATE.next_entry()
            if nxt[0] not in self.busy:
                return self._send(*nxt, "POST /practices/[p]/manual-entries")
            STATE.to_enter.append(nxt[0])

    @task(1)
    def resubmit(self):
        done = [p for p in STATE.tally.manual if p not in self.busy]
        if done:
            p = self.rng.choice(done)
            self._send(p, STATE.tally.manual[p], "POST /practices/[p]/manual-entries (same again)", expect_unchanged=True)

    @task(1)
    def review(self):
        if STATE.tally.manual:
            p = self.rng.choice(list(STATE.tally.manual))
            self.client.get(f"/practices/{p}/manual-entries", name="GET /practices/[p]/manual-entries",
                            headers=self.as_practice(p))
