"""spike: a quiet collection, then every supplier at once for a fifth of the run, then quiet again.

Checks that GPES takes the burst without losing or doubling an extract, and that its outbox to
CQRS catches up afterwards. Run with `qofsim load spike`.
"""

import locust  # noqa: F401  (first: gevent patches before anything imports requests)

from qofload.shape import StagedShape
from qofload.supplier import SupplierUser  # noqa: F401

PROFILE = {
    "name": "spike",
    "purpose": "a quiet collection, every supplier at once for a fifth of the run, then quiet: nothing lost",
    "run_time": "90s",
    "practices": 8000,
    "users": 32,
    "setup": "none",
    "thresholds": {"p95_ms": 1000, "max_error_ratio": 0.001},
}


class Spike(StagedShape):
    profile = PROFILE
    stages = ((0.4, 0.0625), (0.6, 1.0), (1.0, 0.0625))
