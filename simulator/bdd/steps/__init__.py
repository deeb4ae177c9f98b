"""The step library, by stage of the flow. Importing this package registers every step (with pytest-bdd
and in :data:`simulator.bdd.library.REGISTRY`); tests/bdd/conftest.py star-imports it, which is how
pytest-bdd finds the steps (they are fixtures)."""

from simulator.bdd.steps.world import *  # noqa: F401,F403
from simulator.bdd.steps.flow import *  # noqa: F401,F403
from simulator.bdd.steps.money import *  # noqa: F401,F403
from simulator.bdd.steps.practice import *  # noqa: F401,F403
from simulator.bdd.steps.checks import *  # noqa: F401,F403
