"""soak: a steady collection and steady viewing for 30 minutes; each service's RSS sampled and reported.

Set-up: every practice's extract and one calculation. Then suppliers resubmit at a steady pace
(each extract superseding the practice's last) while practices look at their achievement; the
driver samples every service's resident memory throughout. Run with `qofsim load soak`.
"""

import locust  # noqa: F401  (first: gevent patches before anything imports requests)
from locust import constant_throughput

from qofload import practice, supplier
from qofload.shape import StagedShape


class SteadySupplier(supplier.SupplierUser):
    wait_time = constant_throughput(10)  # extracts per second per user, at most
    weight = 1


class SteadyViewer(practice.ViewingPractice):
    weight = 1


PROFILE = {
    "name": "soak",
    "purpose": "a steady collection and steady viewing for 30 minutes, with each service's RSS sampled",
    "run_time": "30m",
    "practices": 2000,
    "users": 8,
    "setup": "collected",
    "thresholds": {"p95_ms": 250, "max_error_ratio": 0.001},
}


class Soak(StagedShape):
    profile = PROFILE
    stages = ((0.02, 0.5), (1.0, 1.0))
