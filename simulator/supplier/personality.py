"""How a supplier behaves on the wire, from the scenario file: slow, flaky, stalling, late.

Faults (``faults.py``) change what a supplier sends; a personality changes how and when it
answers and sends. Both are the raw material GPES's status and reconciliation must explain.
"""

from __future__ import annotations

import random
import threading

from pydantic import BaseModel, ConfigDict, Field


class Personality(BaseModel):
    """Per supplier, under ``suppliers.<NAME>`` in a scenario."""

    model_config = ConfigDict(extra="forbid")

    latency_ms: int = Field(0, ge=0, le=60_000, description="added before answering GPES's extraction request")
    error_rate: float = Field(0.0, ge=0, le=1, description="fraction of extraction requests answered 503")
    timeouts: int = Field(0, ge=0, le=100, description="the first N extraction requests stall past GPES's timeout")
    stall_s: float = Field(5.0, gt=0, le=600, description="how long a stalled answer takes")
    late: list[str] = Field(default_factory=list, description="practices whose extract is sent after all others")
    late_s: float = Field(1.0, ge=0, le=600, description="how long after the others a late practice is sent")
    seed: int = Field(0, description="seeds the choice of which calls fail")

    def gate(self) -> "Gate":
        return Gate(self)


class Gate:
    """Decides, call by call, whether this supplier stalls, fails or answers (thread-safe, seeded)."""

    def __init__(self, personality: Personality):
        self.p = personality
        self._rng = random.Random(personality.seed)
        self._calls = 0
        self._lock = threading.Lock()

    def next_call(self) -> str:
        """'stall', 'error' or 'ok' for the next extraction request."""
        with self._lock:
            self._calls += 1
            if self._calls <= self.p.timeouts:
                return "stall"
            if self.p.error_rate and self._rng.random() < self.p.error_rate:
                return "error"
            return "ok"
