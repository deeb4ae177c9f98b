"""One small exported population (three indicators and the registers they read) shared by the kit's tests."""

import pytest

from simulator.conform import export, extract
from simulator.qof.catalogue import default_catalogue

SUBSET = ["DM26", "DEP06", "ASTHMA08"]  # an exception order, an age step, a register with resolved codes


@pytest.fixture(scope="session")
def catalogue():
    return default_catalogue()


@pytest.fixture(scope="session")
def population(tmp_path_factory, catalogue):
    out = tmp_path_factory.mktemp("conform") / "population"
    export.export(catalogue, out, SUBSET)
    return out


@pytest.fixture(scope="session")
def good_extracts(tmp_path_factory, catalogue, population):
    out = tmp_path_factory.mktemp("conform") / "extracts"
    extract.run(catalogue, population, out)
    return out
