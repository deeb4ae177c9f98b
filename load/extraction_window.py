"""extraction-window: the national collection — about 8,000 practices' extracts arriving through GPES
to CQRS over a compressed window, in the 2012/13 supplier shares.

The suppliers' queues open, rise to a peak, hold, and drain: each supplier user submits the next
extract of its share of practices as soon as GPES answers (with real counts; now and then a resend),
GPES stores each and forwards it from its outbox to CQRS. Run with `qofsim load extraction-window`.
"""

import locust  # noqa: F401  (first: gevent patches before anything imports requests)

from qofload.shape import StagedShape
from qofload.supplier import SupplierUser  # noqa: F401  (the user class Locust runs)

PROFILE = {
    "name": "extraction-window",
    "purpose": "the national collection: ~8,000 practices' extracts through GPES to CQRS over a compressed window",
    "run_time": "2m",
    "practices": 8000,
    "users": 8,
    "setup": "none",
    "thresholds": {"p95_ms": 250, "max_error_ratio": 0.001},
}


class ExtractionWindow(StagedShape):
    profile = PROFILE
    stages = ((0.1, 0.25), (0.2, 0.5), (0.8, 1.0), (0.9, 0.5), (1.0, 0.25))
