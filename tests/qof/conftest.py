"""Fixtures for the rule-model, catalogue and engine-agreement tests."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

try:
    import simulator  # noqa: F401
except ImportError:  # the venv's editable install predates the package; use the checkout
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from simulator.qof.catalogue import HERE, Catalogue, default_catalogue  # noqa: E402


@pytest.fixture(scope="session")
def catalogue() -> Catalogue:
    return default_catalogue()


@pytest.fixture(scope="session")
def catalogue_dir() -> Path:
    """The shipped catalogue folder (indicators CSV, parameters, rules YAML, clusters/)."""
    return HERE
