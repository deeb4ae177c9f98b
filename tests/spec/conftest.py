"""Every spec test runs on every engine: the fixture ``engine`` is parametrised over both.

``engine(patients)`` (or ``engine.counts(patients)``) returns the PracticeCounts of the one
practice; ``engine.outcome("DM26", p)`` / ``engine.on_register("DM", p)`` give one patient's
verdict, read off the counts of a run in which each patient has a practice of its own.
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import pytest

try:
    import simulator  # noqa: F401
except ImportError:  # the venv's editable install predates the package; use the checkout
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from simulator.population.records import to_tables  # noqa: E402
from simulator.qof.catalogue import default_catalogue  # noqa: E402
from simulator.qof.engines import PracticeCounts  # noqa: E402
from simulator.qof.engines import duckdb as duckdb_engine  # noqa: E402
from simulator.qof.engines import reference  # noqa: E402
from simulator.qof.engines.reference import Patient  # noqa: E402

from .builders import PRACTICE  # noqa: E402


def _rules(only):
    """The whole ruleset, or only the named indicators/registers (and the registers they read):
    a probe of one indicator compiles one rule list, not a hundred."""
    rules = default_catalogue().rules
    return rules if only is None else rules.subset(only)


def _run_reference(patients: list[Patient], practices: list[str], only=None) -> dict[str, PracticeCounts]:
    return reference.run(_rules(only), default_catalogue().clusters, patients, practices)


def _run_duckdb(patients: list[Patient], practices: list[str], only=None) -> dict[str, PracticeCounts]:
    pts, evs = to_tables(patients)
    return duckdb_engine.run(_rules(only), default_catalogue().clusters, pts, evs, practices)


class Engine:
    def __init__(self, name: str, run):
        self.name = name
        self._run = run

    def __repr__(self) -> str:
        return self.name

    def counts(self, patients: list[Patient] | Patient) -> PracticeCounts:
        patients = [patients] if isinstance(patients, Patient) else list(patients)
        assert {p.practice_code for p in patients} <= {PRACTICE}, "spec cases use one practice"
        return self._run(patients, [PRACTICE])[PRACTICE]

    __call__ = counts

    def _alone(self, patients: tuple[Patient, ...], only: str) -> list[PracticeCounts]:
        codes = [f"S{i:05d}" for i in range(len(patients))]
        own = [dataclasses.replace(p, practice_code=c) for p, c in zip(patients, codes)]
        out = self._run(own, codes, [only])
        return [out[c] for c in codes]

    def outcomes(self, indicator: str, *patients: Patient) -> list[str]:
        """Per patient: numerator | exception | denominator | reject (not counted at all)."""
        shapes = {(1, 1, 0): "numerator", (0, 0, 1): "exception", (0, 1, 0): "denominator", (0, 0, 0): "reject"}
        found = []
        for pc in self._alone(patients, indicator):
            ic = pc.indicators[indicator]
            found.append(shapes[(ic.numerator, ic.denominator, ic.exceptions)])  # KeyError: impossible counts
        return found

    def outcome(self, indicator: str, p: Patient) -> str:
        return self.outcomes(indicator, p)[0]

    def on_register(self, register: str, *patients: Patient) -> list[bool] | bool:
        found = [bool(pc.registers[register]) for pc in self._alone(patients, register)]
        return found[0] if len(found) == 1 else found


@pytest.fixture(params=["reference", "duckdb"])
def engine(request) -> Engine:
    return Engine(request.param, {"reference": _run_reference, "duckdb": _run_duckdb}[request.param])
