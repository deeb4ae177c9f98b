"""pytest-bdd: steps are fixtures, so the step library and the suite's hooks are imported here
(DESIGN.md pitfalls). The library lives in simulator/bdd/ so that `qofsim steps` can print it."""

from simulator.bdd.plugin import *  # noqa: F401,F403
from simulator.bdd.steps import *  # noqa: F401,F403
