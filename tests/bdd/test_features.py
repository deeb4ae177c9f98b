"""Every scenario of every .feature under features/, found here in path order (a new file needs no
Python change). `qofsim bdd PATH...` narrows it through QOFSIM_BDD_PATHS."""

import os

from pytest_bdd import scenarios

from simulator.bdd.plugin import feature_files

_paths = [p for p in os.environ.get("QOFSIM_BDD_PATHS", "").split(os.pathsep) if p]
for _feature in feature_files(_paths or None):
    scenarios(str(_feature))  # one call per file: pytest-bdd would sort several by their titles
