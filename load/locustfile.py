"""Locust load profile: suppliers submitting practice extracts to GPES, which forwards each to CQRS.

Run by `make load` (load/run_load.py), or by hand against a world started with `qofsim up`:
    QOFSIM_SERVE_INFO=DIR/world.json locust -f load/locustfile.py --headless -u 20 -r 10 -t 30s --host GPES_URL
Each simulated supplier asks GPES for an extraction request, then submits extracts for its
practices (a fresh extract_id each time, so CQRS supersedes the practice's previous one), and
now and then resends one it already sent (which must be answered as the first time).
Counts of accepted and resent extracts are written on exit for the conservation check.
"""

import json
import os
import random
import uuid
from collections import Counter

from locust import FastHttpUser, between, events, task

SHA_HEADER = "X-Content-SHA256"
TALLY: Counter = Counter()
_state = {"practices": {}}


def extract_body(request: dict, practice: str, spec: dict, rng: random.Random) -> bytes:
    """A valid extract for one practice: counts drawn at random within the contract's invariants."""
    list_size = rng.randint(2000, 12000)
    indicators = []
    for ind in spec["indicators"]:
        den = rng.randint(0, list_size // 8)
        indicators.append({"id": ind["id"], "numerator": rng.randint(0, den), "denominator": den,
                           "exceptions": rng.randint(0, max(den // 20, 0))})
    body = {"schema_version": "1", "extract_id": str(uuid.UUID(int=rng.getrandbits(128))),
            "request_id": request["request_id"], "spec_id": spec["spec_id"], "supplier": request["supplier"],
            "practice_code": practice, "achievement_date": spec["achievement_date"], "list_size": list_size,
            "registers": {r["id"]: rng.randint(0, list_size // 5) for r in spec["registers"]},
            "indicators": indicators}
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()


@events.test_start.add_listener
def _load_world(environment, **_):
    path = os.environ.get("QOFSIM_SERVE_INFO")
    if path:
        with open(path) as f:
            info = json.load(f)
        for p in info["practices"]:
            _state["practices"].setdefault(p["supplier"], []).append(p["practice_code"])


@events.quitting.add_listener
def _write_tally(environment, **_):
    out = os.environ.get("QOFSIM_LOAD_TALLY")
    if out:
        with open(out, "w") as f:
            json.dump(dict(TALLY), f)


class SupplierUser(FastHttpUser):
    """One GP-system supplier's extraction service submitting to GPES."""

    wait_time = between(0.0, 0.05)

    def on_start(self):
        import hashlib

        self._sha = lambda b: hashlib.sha256(b).hexdigest()
        self.rng = random.Random()
        self.spec = self.client.get("/spec").json()
        supplier = random.choice(sorted(_state["practices"]) or ["EMIS"])
        self.practices = _state["practices"].get(supplier, [])
        r = self.client.post("/requests", json={"supplier": supplier}, name="/requests")
        self.request = r.json()
        self.sent: list[bytes] = []

    @task(10)
    def submit_extract(self):
        if not self.practices:
            return
        body = extract_body(self.request, self.rng.choice(self.practices), self.spec, self.rng)
        with self.client.post("/extracts", data=body, headers={"Content-Type": "application/json",
                                                               SHA_HEADER: self._sha(body)},
                              name="/extracts (new)", catch_response=True) as r:
            if r.status_code == 201:
                TALLY["accepted"] += 1
                self.sent.append(body)
                r.success()
            else:
                r.failure(f"{r.status_code}: {r.text[:200]}")

    @task(1)
    def resend_extract(self):
        if not self.sent:
            return
        body = self.rng.choice(self.sent)
        with self.client.post("/extracts", data=body, headers={"Content-Type": "application/json",
                                                               SHA_HEADER: self._sha(body)},
                              name="/extracts (resend)", catch_response=True) as r:
            if r.status_code == 200:
                TALLY["resent"] += 1
                r.success()
            else:
                r.failure(f"resend answered {r.status_code}, expected 200")
