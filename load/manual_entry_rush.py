"""manual-entry-rush: the 44 manual indicators entered by thousands of practices before the window closes.

Set-up: every practice's extract through GPES (manual entry opens once a practice has one). Then
practices enter their organisational and patient-experience indicators, more and more of them as
the close approaches; some send the same entries again (nothing changes) or review what is stored.
Run with `qofsim load manual-entry-rush`.
"""

import locust  # noqa: F401  (first: gevent patches before anything imports requests)

from qofload.practice import ManualEntryUser  # noqa: F401
from qofload.shape import StagedShape

PROFILE = {
    "name": "manual-entry-rush",
    "purpose": "the 44 manual indicators entered by thousands of practices before the entry window closes",
    "run_time": "2m",
    "practices": 3000,
    "users": 16,
    "setup": "collected",
    "thresholds": {"p95_ms": 500, "max_error_ratio": 0.001},
}


class ManualEntryRush(StagedShape):
    profile = PROFILE
    stages = ((0.3, 0.25), (0.6, 0.5), (1.0, 1.0))
