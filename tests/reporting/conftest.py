"""One small real run (4 practices through the services over loopback), shared by the reporting tests."""

from pathlib import Path

import pytest

from simulator.run import run_scenario
from simulator.scenario import parse_scenario


@pytest.fixture(scope="package")
def small_run(tmp_path_factory) -> Path:
    reports = tmp_path_factory.mktemp("reports")
    sc = parse_scenario({"name": "small", "population": {"profile": "england-2012-13", "practices": 4, "seed": 11,
                                                          "list_size_range": [1500, 2500]},
                         "faults": [], "workflow": {"declare": "all", "approve": "all"}, "oracle": False})
    result = run_scenario(sc, reports, "run1", say=lambda m: None)
    return result.run_dir
