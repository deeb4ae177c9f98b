"""Fixtures for the population generator: the England profile and a few small generated nations.

Nations are generated once per session (each takes about a second) and shared read-only.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

try:
    import simulator  # noqa: F401
except ImportError:  # the venv's editable install predates the package; use the checkout
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from simulator.population.generate import Nation, generate_nation  # noqa: E402
from simulator.population.profile import Profile, load_profile  # noqa: E402

SEED = 20130331
DEMO_RANGE = (2000, 12000)


@pytest.fixture(scope="session")
def profile() -> Profile:
    return load_profile("england-2012-13")


@pytest.fixture(scope="session")
def demo_nation(profile, tmp_path_factory) -> Nation:
    """The demo shape: 12 practices, lists clamped to 2,000-12,000."""
    return generate_nation(profile, n_practices=12, seed=SEED, out_dir=tmp_path_factory.mktemp("demo"),
                           list_size_range=DEMO_RANGE)


@pytest.fixture(scope="session")
def demo_nation_again(profile, tmp_path_factory) -> Nation:
    """The same run again, elsewhere: must be byte-identical."""
    return generate_nation(profile, n_practices=12, seed=SEED, out_dir=tmp_path_factory.mktemp("demo_again"),
                           list_size_range=DEMO_RANGE)


@pytest.fixture(scope="session")
def nation20(profile, tmp_path_factory) -> Nation:
    """A moderate run (20 practices, demo clamp) for prevalence and achievement."""
    return generate_nation(profile, n_practices=20, seed=SEED, out_dir=tmp_path_factory.mktemp("n20"),
                           list_size_range=DEMO_RANGE)


@pytest.fixture(scope="session")
def nation20_check(nation20):
    from simulator.population.calibration import check

    return check(nation20)
