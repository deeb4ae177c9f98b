"""``qofsim bdd``: run the features (all of features/, or the files and folders named), by tag, against
a world the suite brings up itself or one a team already started; write cucumber JSON, JUnit XML and
an HTML report in reports/bdd/.

The features run under pytest (pytest-bdd) in a process of their own, from the repository's
tests/bdd/test_features.py, so that `make test` and `qofsim bdd` run the very same scenarios.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Callable

from simulator.bdd.plugin import FRESH_TAG, READ_ONLY_TAG, SKIP_SLOW_ENV, feature_files, feature_tags
from simulator.bdd.worlds import WORLD_ENV, repo_root

PATHS_ENV = "QOFSIM_BDD_PATHS"
SUITE = Path("tests") / "bdd" / "test_features.py"


class BddError(ValueError):
    """The run cannot start as asked: the message says which argument and why."""


def marker_expression(tags: str, known: set[str]) -> str:
    """A tag expression (``@gpes and not @slow``) as pytest's -m expression; an unknown tag is refused."""
    words = re.findall(r"\(|\)|[^\s()]+", tags)
    out = []
    for w in words:
        if w in ("and", "or", "not", "(", ")"):
            out.append(w)
            continue
        name = w.lstrip("@")
        if not re.fullmatch(r"\w+", name):
            raise BddError(f"--tags: {w!r} is not a tag (tags are words: @gpes, @slow)")
        if name not in known:
            raise BddError(f"--tags: no feature or scenario uses the tag @{name} (tags in use: "
                           f"{', '.join('@' + t for t in sorted(known))})")
        out.append(name)
    expr = re.sub(r"\s+", " ", " ".join(out).replace("( ", "(").replace(" )", ")")).strip()
    return expr


def summary_of(cucumber: Path) -> dict:
    """Counts of features, scenarios and steps by status, from the cucumber JSON."""
    data = json.loads(cucumber.read_text()) if cucumber.exists() else []
    scenarios = {"passed": 0, "failed": 0, "skipped": 0}
    steps = {"passed": 0, "failed": 0, "skipped": 0}
    for feature in data:
        for sc in feature.get("elements", []):
            statuses = [s["result"]["status"] for s in sc.get("steps", [])]
            for s in statuses:
                steps[s] = steps.get(s, 0) + 1
            status = "failed" if "failed" in statuses else "skipped" if "skipped" in statuses else "passed"
            scenarios[status] += 1
    return {"features": len(data), "scenarios": scenarios, "steps": steps}


def run(paths: list[Path] | None = None, tags: str | None = None, world: Path | None = None,
        out: Path = Path("reports/bdd"), say: Callable[[str], None] = print, pytest_args: list[str] | None = None) -> int:
    """Run the features; returns pytest's exit code (0: every scenario passed)."""
    root = repo_root()
    suite = root / SUITE
    if not suite.exists():
        raise BddError(f"no {SUITE} under {root}: run qofsim bdd from the qofsim repository")
    chosen: list[Path] = []
    for p in paths or []:
        p = Path(p)
        if not p.exists():
            raise BddError(f"{p}: no such feature file or folder")
        if p.is_file() and p.suffix != ".feature":
            raise BddError(f"{p}: not a .feature file")
        found = feature_files([str(p)])
        if not found:
            raise BddError(f"{p}: no .feature file there")
        chosen += found
    features = chosen or feature_files()
    if not features:
        raise BddError(f"no .feature file under {root / 'features'}")
    env = {**os.environ, PATHS_ENV: os.pathsep.join(str(f) for f in features)}
    env.pop(WORLD_ENV, None)
    env.pop(SKIP_SLOW_ENV, None)  # qofsim bdd runs every scenario it is asked for, @slow too
    if world is not None:
        world = Path(world).resolve()
        if not (world / "world.json").exists():
            raise BddError(f"--world: {world} has no world.json (start one with `qofsim up SCENARIO --dir {world}`)")
        env[WORLD_ENV] = str(world)
    out = Path(out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    cucumber, junit, html = out / "cucumber.json", out / "junit.xml", out / "report.html"
    for f in (cucumber, junit, html):
        f.unlink(missing_ok=True)
    args = [sys.executable, "-m", "pytest", str(suite), "-p", "no:locust", "-p", "no:cacheprovider",
            f"--cucumberjson={cucumber}", f"--junitxml={junit}", "-o", "junit_suite_name=qofsim-bdd",
            "--tb=short", "-q", "-rfEs", *(pytest_args or [])]
    if tags:
        args += ["-m", marker_expression(tags, feature_tags(feature_files()) | set(features and feature_tags(features))
                                         | {FRESH_TAG, READ_ONLY_TAG, "unit", "slow"})]
    say(f"{len(features)} feature files" + (f", tags {tags}" if tags else "")
        + (f", against the world in {world}" if world else ", each world brought up by the suite"))
    started_at = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    code = subprocess.call(args, cwd=root, env=env)
    counts = summary_of(cucumber)
    from simulator.bdd.report import write_report

    write_report(cucumber, html, title="qofsim features", world=str(world) if world else None)
    sc = counts["scenarios"]
    # what the reports index (qofsim report index) lists: kind, verdict, started, title, report
    (out / "summary.json").write_text(json.dumps({
        "kind": "bdd", "verdict": "passed" if code == 0 else ("no scenario" if code == 5 else "failed"),
        "started": started_at, "title": "Gherkin features" + (f" ({tags})" if tags else ""), "report": "report.html",
        "detail": f"{counts['features']} features, {sum(sc.values())} scenarios: {sc['passed']} passed, "
                  f"{sc['failed']} failed, {sc['skipped']} skipped",
        "exit": code, "counts": counts}, indent=2) + "\n")
    from simulator.reporting.index import write_index

    write_index(out.parent)
    say(f"{counts['features']} features, {sum(sc.values())} scenarios: {sc['passed']} passed, {sc['failed']} failed, "
        f"{sc['skipped']} skipped")
    for f in (cucumber, junit, html):
        say(f"  {f}")
    if code == 5:
        say("no scenario matched (--tags or paths)")
    return code
