"""The Gherkin library itself: its glossary, its words, its discovery of features, its reports."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from simulator.bdd.library import STAGES, QofParser, StepRefused, TYPES, glossary, load_library, nearest
from simulator.bdd.plugin import feature_files, feature_tags
from simulator.bdd.report import model, write_report
from simulator.bdd.runner import BddError, marker_expression, summary_of
from simulator.bdd.worlds import WorldPool, named_nation
from simulator.bdd.context import Story, indicator, register, area
from simulator.cli import app

ROOT = Path(__file__).resolve().parents[2]
STEPS = load_library()


def test_every_example_matches_its_own_step_and_no_other():
    for d in STEPS:
        kinds = set(d.kind.split("/"))
        hits = [e for e in STEPS if kinds & set(e.kind.split("/")) and QofParser(e.pattern).is_matching(d.example)]
        assert hits == [d], f"{d.keyword} {d.example!r} matches {[h.pattern for h in hits]}"


def test_every_step_has_a_stage_a_type_for_each_parameter_and_words_for_the_generic_ones():
    assert len(STEPS) >= 100
    for d in STEPS:
        assert d.stage in STAGES
        for name, means in d.meanings().items():
            assert means, f"{d.pattern}: <{name}> says nothing"
            assert not means.startswith("words (") and not means.startswith("free words") and \
                not means.startswith("any text"), f"{d.pattern}: <{name}> is not explained"


@pytest.mark.parametrize("fmt", ["text", "markdown"])
def test_qofsim_steps_lists_every_step_with_its_example_grouped_by_stage(fmt):
    res = CliRunner().invoke(app, ["steps", "--format", fmt])
    assert res.exit_code == 0, res.output
    out = res.output
    for d in STEPS:
        assert d.sentence in out and d.example in out, d.pattern
    positions = [out.index(title) for title in STAGES.values()]
    assert positions == sorted(positions), "stages in the order of the flow"
    assert f"{len(STEPS)} steps" in out


def test_qofsim_steps_refuses_an_unknown_format():
    res = CliRunner().invoke(app, ["steps", "--format", "pdf"])
    assert res.exit_code == 2 and "--format: 'pdf' is not one of text, markdown" in res.output


def test_the_glossary_is_the_registry():
    # generated from the step library: a step declared is a step listed
    assert glossary().count("\n    e.g. ") == len(STEPS)


def test_an_unknown_step_is_answered_with_the_nearest_steps():
    near = nearest("A81001 report SMOKE07 numerator 50 out of 100", "given")
    assert near[0].pattern == "{practice:Practice} reports {ind:Indicator} numerator {num:Count} of denominator {den:Count}"


def test_words_a_step_cannot_honour_are_refused_naming_them():
    with pytest.raises(StepRefused, match=r"DM99 is not a QOF 2012/13 indicator \(nearest: DM29"):
        indicator("DM99")
    with pytest.raises(StepRefused, match="'diabetis' is not a QOF 2012/13 area .nearest: Diabetes"):
        area("diabetis")
    with pytest.raises(StepRefused, match="'sugar' is not a register"):
        register("sugar")
    assert register("diabetes") == "DM" and register("COPD") == "COPD" and area("smoking") == "Smoking"
    with pytest.raises(StepRefused, match='no synthetic nation "infrastructure-tset" .*nations there: infrastructure-test'):
        named_nation("infrastructure-tset")
    assert named_nation("infrastructure-test")[0].practices == 12
    with pytest.raises(StepRefused, match="not a date"):
        TYPES["Date"].convert("31/02/2013")


def test_a_practice_is_checked_against_the_world_it_is_said_to_be_in(tmp_path):
    from simulator.bdd.worlds import NationSpec

    qof = Story(WorldPool(tmp_path))
    with pytest.raises(StepRefused, match="no world described yet"):
        qof.practice("A81001")
    qof.describe_nation(NationSpec(practices=4))
    assert qof.practice("A81002", "TPP")["ccg_code"] == "01A"
    with pytest.raises(StepRefused, match="A81002 is on TPP in this world, not EMIS"):
        qof.practice("A81002", "EMIS")
    with pytest.raises(StepRefused, match="no practice A81009 in this world"):
        qof.add_fault("A81009", "resend")
    with pytest.raises(StepRefused, match="already described as"):
        qof.describe_nation(NationSpec(practices=8))


def test_tags_become_a_marker_expression_and_an_unknown_tag_is_refused():
    known = {"gpes", "slow", "unit"}
    assert marker_expression("@gpes and not @slow", known) == "gpes and not slow"
    assert marker_expression("(@gpes or @unit) and not @slow", known) == "(gpes or unit) and not slow"
    with pytest.raises(BddError, match="no feature or scenario uses the tag @gpse"):
        marker_expression("@gpse", known)


def test_features_are_found_under_features_by_stage_and_every_tag_is_a_marker(pytestconfig):
    found = feature_files()
    assert found == sorted(p.resolve() for p in (ROOT / "features").rglob("*.feature"))
    assert len(found) >= 12
    markers = "\n".join(pytestconfig.getini("markers"))
    for tag in feature_tags(found):
        assert f"{tag}:" in markers


def test_the_report_counts_scenarios_by_what_their_steps_did(tmp_path):
    data = [{"uri": "a.feature", "name": "A", "description": "", "tags": [], "elements": [
        {"name": "ok", "keyword": "Scenario", "line": 3, "tags": [],
         "steps": [{"keyword": "Given", "name": "x", "line": 4, "result": {"status": "passed", "duration": 10}}]},
        {"name": "bad", "keyword": "Scenario", "line": 6, "tags": [{"name": "gpes", "line": 5}],
         "steps": [{"keyword": "Then", "name": "y", "line": 7,
                    "result": {"status": "failed", "duration": 10, "error_message": "Mismatch: CQRS holds <1>"}}]},
        {"name": "skip", "keyword": "Scenario", "line": 9, "tags": [],
         "steps": [{"keyword": "Given", "name": "z", "line": 10, "result": {"status": "skipped", "duration": 0}}]},
    ]}]
    (tmp_path / "c.json").write_text(json.dumps(data))
    assert summary_of(tmp_path / "c.json")["scenarios"] == {"passed": 1, "failed": 1, "skipped": 1}
    assert model(data)["totals"] == {"passed": 1, "failed": 1, "skipped": 1}
    html = write_report(tmp_path / "c.json", tmp_path / "r.html").read_text()
    assert "Mismatch: CQRS holds &lt;1&gt;" in html and "1 failed" in html and "@gpes" in html


def _bdd(tmp_path: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "simulator.cli", "bdd", *args, "--out", str(tmp_path / "out")],
                          cwd=ROOT, capture_output=True, text=True, env={**os.environ, **(env or {})}, timeout=600)


def test_a_new_feature_file_is_picked_up_with_no_python_change(tmp_path):
    """A .feature dropped into a folder is run, reported in cucumber JSON, JUnit XML and HTML."""
    folder = tmp_path / "features" / "99-new"
    folder.mkdir(parents=True)
    (folder / "new.feature").write_text(textwrap.dedent("""\
        @payments @unit
        Feature: A feature nobody told Python about
          Scenario: The published diabetes example, once more
            Given a practice with 6,000 patients at 1 January and a diabetes register of 300
            And a national diabetes prevalence of 2,700,000 in 55,000,000
            When the practice achieves 70 diabetes points
            Then CQRS pays £9,713.05 for them
        """))
    res = _bdd(tmp_path, str(tmp_path / "features"))
    assert res.returncode == 0, res.stdout + res.stderr
    cucumber = json.loads((tmp_path / "out" / "cucumber.json").read_text())
    (feature,) = cucumber
    assert feature["name"] == "A feature nobody told Python about"
    assert [(e["name"], {s["result"]["status"] for s in e["steps"]}) for e in feature["elements"]] == \
        [("The published diabetes example, once more", {"passed"})]
    assert 'tests="1"' in (tmp_path / "out" / "junit.xml").read_text()
    assert "The published diabetes example, once more" in (tmp_path / "out" / "report.html").read_text()
    assert "1 scenarios: 1 passed" in res.stdout
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())  # what the reports index lists
    assert (summary["kind"], summary["verdict"], summary["report"]) == ("bdd", "passed", "report.html")
    assert 'href="out/report.html"' in (tmp_path / "index.html").read_text()


def test_a_failing_feature_says_in_words_what_differed_and_where(tmp_path):
    (tmp_path / "wrong.feature").write_text(textwrap.dedent("""\
        Feature: Wrong on purpose
          Scenario: A wrong expectation
            Given a practice with 6,000 patients at 1 January and a diabetes register of 300
            And a national diabetes prevalence of 2,700,000 in 55,000,000
            When the practice achieves 70 diabetes points
            Then CQRS pays £9,713.06 for them

          Scenario: A misspelt step
            Given a practise with 6,000 patients at 1 January and a diabetes register of 300

          Scenario: An indicator that does not exist
            Given a QOF 2012/13 world of 4 practices on EMIS, TPP, INPS and Microtest
            And A81001 reports DM99 numerator 50 of denominator 100
        """))
    res = _bdd(tmp_path, str(tmp_path / "wrong.feature"))
    assert res.returncode == 1
    out = res.stdout
    assert "Mismatch: CQRS's formula pays £9,713.05; the scenario expects £9,713.06" in out
    assert "at step: Then CQRS pays £9,713.06 for them (wrong.feature, line 6)" in out
    assert "No step matches: Given a practise with 6,000 patients" in out
    assert "Given a practice with <size> patients at 1 January and a diabetes register of <reg>" in out
    assert "Step refused: DM99 is not a QOF 2012/13 indicator (nearest: DM29" in out
    assert "Traceback" not in out
    cucumber = json.loads((tmp_path / "out" / "cucumber.json").read_text())
    statuses = {e["name"]: [s["result"]["status"] for s in e["steps"]] for e in cucumber[0]["elements"]}
    assert statuses["A misspelt step"] == ["failed"]
    assert statuses["A wrong expectation"][-1] == "failed"
    assert "3 scenarios: 0 passed, 3 failed" in out


def test_qofsim_bdd_refuses_what_it_cannot_run(tmp_path):
    res = CliRunner().invoke(app, ["bdd", str(tmp_path / "nowhere")])
    assert res.exit_code == 2 and "no such feature file or folder" in res.output
    res = CliRunner().invoke(app, ["bdd", "--tags", "@nosuchtag", "--out", str(tmp_path / "o")])
    assert res.exit_code == 2 and "no feature or scenario uses the tag @nosuchtag" in res.output
    res = CliRunner().invoke(app, ["bdd", "--world", str(tmp_path)])
    assert res.exit_code == 2 and "has no world.json" in res.output


def test_a_count_that_differs_is_said_with_practice_indicator_hop_and_both_values(tmp_path):
    """The words of 'Then CQRS holds for <practice> exactly the counts <supplier> sent' when one differs."""
    from simulator.bdd.library import Mismatch
    from simulator.bdd.steps.flow import _same_counts
    from simulator.bdd.worlds import NationSpec

    sent = {"extract_id": "x1", "spec_id": "QOF-2012-13", "supplier": "TPP", "practice_code": "A81002",
            "achievement_date": "2013-03-31", "list_size": 6000, "registers": {"DM": 300},
            "indicators": [{"id": "DM26", "numerator": 382, "denominator": 400, "exceptions": 12}]}
    held = json.loads(json.dumps(sent))
    held["indicators"][0]["numerator"] = 383

    class Fake(Story):
        def sent_body(self, practice):
            return "TPP", sent

        def held(self, practice):
            return [{"extract_id": "x1", "practice_code": practice}]

        def body(self, extract_id):
            return held

    qof = Fake(WorldPool(tmp_path))
    qof.describe_nation(NationSpec(practices=4))
    with pytest.raises(Mismatch, match=r"^CQRS holds DM26 numerator 383 for A81002; TPP sent 382$"):
        _same_counts(qof, "A81002")
    held["indicators"][0]["numerator"] = 382
    _same_counts(qof, "A81002")


def test_every_step_of_the_library_is_used_by_a_feature():
    """A step no feature uses is a step the suite never runs: each one is in some scenario (outlines
    rendered with their examples), so the glossary lists only steps that work."""
    from pytest_bdd.feature import get_features

    sentences = []
    for feature in get_features([str(p) for p in feature_files()]):
        for template in feature.scenarios.values():
            contexts = [c for ex in template.examples for c in ex.as_contexts()] or [{}]
            for context in contexts:
                scenario = template.render(context)
                sentences += [(s.type, s.name) for s in scenario.steps]
    unused = [f"{d.keyword} {d.sentence}" for d in STEPS
              if not any(kind in d.kind.split("/") and QofParser(d.pattern).is_matching(text)
                         for kind, text in sentences)]
    assert unused == []
