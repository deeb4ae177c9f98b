"""year-end-peak: practices viewing achievement and declaring, commissioners approving and rejecting,
finance running payments — the weeks after 31 March.

Set-up (before the clock): every practice's extract through GPES, its manual indicators, and one
calculation. Then practices look and declare, CCGs decide (about one in ten rejected, the practice
declares again), and finance runs payments every few seconds. Run with `qofsim load year-end-peak`.
"""

import locust  # noqa: F401  (first: gevent patches before anything imports requests)

from qofload.commissioner import CommissionerUser
from qofload.finance import FinanceUser  # noqa: F401
from qofload.practice import PracticeUser
from qofload.shape import StagedShape

PracticeUser.weight = 3
CommissionerUser.weight = 2

PROFILE = {
    "name": "year-end-peak",
    "purpose": "practices viewing and declaring, commissioners approving and rejecting, finance running payments",
    "run_time": "2m",
    "practices": 2000,
    "users": 24,
    "setup": "collected+manual",
    "thresholds": {"p95_ms": 400, "max_error_ratio": 0.001},
    "commissioners": True,
}


class YearEndPeak(StagedShape):
    profile = PROFILE
    stages = ((0.15, 0.3), (0.3, 0.7), (0.8, 1.0), (1.0, 0.5))
