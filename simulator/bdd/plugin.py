"""pytest hooks and fixtures of the Gherkin suite (star-imported by tests/bdd/conftest.py).

* every tag used in a feature file is registered as a marker (a new tag needs no Python change);
* an unknown step fails listing the nearest steps that exist;
* a refusal nobody checked fails the next step (or the scenario), saying what was refused;
* worlds are shared by the scenarios of a feature and brought down when the feature is done.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from pytest_bdd.exceptions import StepDefinitionNotFoundError
from pytest_bdd.reporting import StepReport, scenario_reports_registry

from simulator.bdd.context import Story
from simulator.bdd.library import Mismatch, StepRefused, UnexpectedRefusal, definition_of, load_library, nearest
from simulator.bdd.worlds import WorldPool, repo_root

FRESH_TAG = "fresh_world"
READ_ONLY_TAG = "read_only"
_TAG = re.compile(r"(?:^|\s)@([^\s@]+)")


def feature_files(paths: list[str] | None = None) -> list[Path]:
    """Every .feature under the given files or folders (default: the repository's features/), sorted."""
    roots = [Path(p) for p in paths] if paths else [repo_root() / "features"]
    out: list[Path] = []
    for root in roots:
        out += [root] if root.is_file() else sorted(root.rglob("*.feature"))
    return sorted({p.resolve() for p in out})


def feature_tags(paths: list[Path]) -> set[str]:
    tags: set[str] = set()
    for p in paths:
        for line in p.read_text(encoding="utf-8").splitlines():
            if line.strip().startswith("@"):
                tags |= set(_TAG.findall(line))
    return tags


def pytest_configure(config):
    for tag in sorted(feature_tags(feature_files()) | {FRESH_TAG, READ_ONLY_TAG, "unit", "slow"}):
        config.addinivalue_line("markers", f"{tag}: a tag of the Gherkin features (features/)")


SKIP_SLOW_ENV = "QOFSIM_BDD_SKIP_SLOW"  # `make test` sets it: @slow features are left to `make bdd`
_left_out: list[str] = []


def pytest_collection_modifyitems(config, items):
    if not os.environ.get(SKIP_SLOW_ENV):
        return
    slow = [i for i in items if "test_features.py" in i.nodeid and i.get_closest_marker("slow")]
    if slow:
        config.hook.pytest_deselected(items=slow)
        items[:] = [i for i in items if i not in slow]
        _left_out[:] = [i.nodeid for i in slow]


def pytest_terminal_summary(terminalreporter):
    if _left_out:
        terminalreporter.write_line(f"{len(_left_out)} scenarios tagged @slow left to `make bdd` ({SKIP_SLOW_ENV} is set)")


class StepNotFound(StepDefinitionNotFoundError):
    pass


def _report_failed(request, step=None) -> None:
    """Mark the scenario's cucumber report failed from the current step (or from ``step``, a step that
    never ran), so that the report says what pytest says (pytest-bdd marks only a step's own errors)."""
    report = scenario_reports_registry.get(request.node)
    if report is None:
        return
    if step is not None:
        report.add_step_report(StepReport(step=step))
    if report.step_reports:
        report.fail()


def pytest_bdd_step_func_lookup_error(request, feature, scenario, step, exception):
    _report_failed(request, step)
    near = nearest(step.name, step.type)
    lines = "\n".join(f"    {d.keyword} {d.sentence}    (e.g. {d.example})" for d in near)
    raise StepNotFound(f'No step matches: {step.keyword} {step.name}\n'
                       f'  ({Path(feature.filename).name}, line {step.line_number}, scenario "{scenario.name}")\n'
                       f"  The nearest steps that exist:\n{lines}\n"
                       f"  Every step: `qofsim steps`")


def _story(request) -> Story | None:
    try:
        return request.getfixturevalue("qof")
    except pytest.FixtureLookupError:
        return None


def pytest_bdd_before_scenario(request, feature, scenario):
    story = _story(request)
    if story is None:
        return
    tags = set(scenario.tags) | set(feature.tags)
    story.feature, story.scenario = feature.filename, scenario.name
    story.read_only = READ_ONLY_TAG in tags and FRESH_TAG not in tags
    story.group = request.node.nodeid if FRESH_TAG in tags else READ_ONLY_TAG if story.read_only else feature.filename
    story.pool.enter(feature.filename)  # worlds of the features before this one come down
    story.before_skip = lambda: _report_failed(request)


def pytest_bdd_before_step_call(request, feature, scenario, step, step_func, step_func_args):
    """(Inside the step's error handling, so a refusal here is reported as this step's failure.)"""
    story = _story(request)
    if story is None:
        return
    pending = story.unchecked_refusal()
    d = definition_of(step_func)
    if story.read_only and d is not None and d.mutates:
        raise StepRefused(f"'{step.keyword} {step.name}' changes what the world holds, and this feature is tagged "
                          f"@{READ_ONLY_TAG} (its world is shared with other @{READ_ONLY_TAG} features): remove the "
                          "tag or the step")
    if pending is not None and not (d and d.checks_refusal):
        pending.checked = True
        raise UnexpectedRefusal(f"{pending.describe()}; no step said that was expected "
                             f"(a refusal is read by a step such as 'Then {pending.hop} refuses it ...')")


def pytest_bdd_step_error(request, feature, scenario, step, step_func, step_func_args, exception):
    story = _story(request)
    if story is not None:
        story.failed = True
    try:
        exception.qof_step = f"{step.keyword} {step.name} ({Path(feature.filename).name}, line {step.line_number})"
    except AttributeError:
        pass


SAID_IN_WORDS = (Mismatch, StepRefused, UnexpectedRefusal, StepNotFound)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """A failure the library words itself (a mismatch, a refused step, an unexpected refusal, an unknown
    step) is reported as its words and the step, not as a Python traceback: in the terminal, the JUnit
    XML, the cucumber JSON and the HTML report alike."""
    rep = yield
    exc = call.excinfo.value if call.excinfo is not None else None
    if rep.failed and isinstance(exc, SAID_IN_WORDS):
        where = getattr(exc, "qof_step", None)
        kind = {Mismatch: "Mismatch", StepRefused: "Step refused", UnexpectedRefusal: "Unexpected refusal",
                StepNotFound: ""}[type(exc)]
        rep.longrepr = (f"{kind}: {exc}" if kind else str(exc)) + (f"\n  at step: {where}" if where else "")
    return rep


def pytest_bdd_after_scenario(request, feature, scenario):
    story = _story(request)
    if story is None:
        return
    if story.group == request.node.nodeid:
        story.pool.release_group(story.group)
    pending = story.unchecked_refusal()
    if pending is not None and not story.failed:
        pending.checked = True
        _report_failed(request)
        raise UnexpectedRefusal(f"{pending.describe()}; the scenario ended without a step saying that was expected")


@pytest.fixture(scope="session")
def qof_pool(tmp_path_factory):
    load_library()
    pool = WorldPool.from_environment(tmp_path_factory.mktemp("bdd"))
    yield pool
    pool.close()


@pytest.fixture
def qof(qof_pool):
    """The scenario's story (simulator/bdd/context.py)."""
    return Story(qof_pool)
