"""The never-arrows hold (DESIGN.md §2, issue #8): the services meet only over the wire.

``lint-imports`` (import-linter) checks the contracts of ``[tool.importlinter]`` in pyproject.toml;
this test runs it from the venv so ``make test`` fails when an import undoes the layering, and
checks the contracts themselves so that deleting or emptying one fails too.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SERVICES = {"simulator.supplier", "simulator.gpes", "simulator.cqrs"}


def contracts() -> dict[str, dict]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    assert config["root_package"] == "simulator"
    return {c["id"]: c for c in config["contracts"]}


def test_the_never_arrows_are_written_down():
    c = contracts()
    assert c["peers"]["type"] == "independence" and set(c["peers"]["modules"]) == SERVICES
    assert c["qmas"]["type"] == "forbidden" and c["qmas"]["source_modules"] == ["simulator.reconcile"]
    assert SERVICES <= set(c["qmas"]["forbidden_modules"])
    assert c["ground"]["type"] == "forbidden"
    assert {"simulator.contracts", "simulator.qof", "simulator.population"} <= set(c["ground"]["source_modules"])
    assert SERVICES <= set(c["ground"]["forbidden_modules"])
    assert "simulator.web" in c["shared"]["source_modules"] and SERVICES <= set(c["shared"]["forbidden_modules"])


def test_lint_imports_keeps_every_contract():
    exe = Path(sys.executable).parent / "lint-imports"
    assert exe.exists(), f"{exe} is missing: install the test extra (pip install -e '.[test]')"
    r = subprocess.run([str(exe), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300,
                       env={**os.environ, "COLUMNS": "250"})
    out = r.stdout + r.stderr
    assert r.returncode == 0, out
    expected = contracts()
    analysed = re.search(r"Analyzed (\d+) files, (\d+) dependencies", out)
    assert analysed and int(analysed[1]) >= 40 and int(analysed[2]) >= 100, out  # the whole package, not an empty graph
    assert f"Contracts: {len(expected)} kept, 0 broken." in out, out
    for c in expected.values():
        assert re.search(rf"^{re.escape(c['name'])} KEPT$", out, re.MULTILINE), (c["name"], out)
