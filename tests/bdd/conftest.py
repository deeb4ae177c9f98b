"""pytest-bdd: step libraries are fixtures, so they are imported here (DESIGN.md pitfalls)."""

from tests.bdd.steps_collection import *  # noqa: F401,F403
from tests.bdd.steps_points import *  # noqa: F401,F403
