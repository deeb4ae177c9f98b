"""The kit's three outputs from one result: HTML a person reads, JUnit XML for CI, JSON for machines."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from simulator.conform.check import Result


def write_json(result: Result, path: Path) -> None:
    Path(path).write_text(json.dumps(result.to_json(), separators=(",", ":"), default=str) + "\n")


def write_junit(result: Result, path: Path) -> None:
    """One testsuite per practice, one testcase per subject × check (CI shows failures by indicator)."""
    suites = ET.Element("testsuites", name="qofsim conform", tests=str(len(result.verdicts)),
                        failures=str(result.tally()["fail"]), errors=str(result.tally()["error"]),
                        skipped=str(result.tally()["skip"]), time=f"{result.seconds:.2f}")
    by_practice = defaultdict(list)
    for v in result.verdicts:
        by_practice[v.practice].append(v)
    for practice, vs in by_practice.items():
        s = ET.SubElement(suites, "testsuite", name=practice, tests=str(len(vs)),
                          failures=str(sum(v.status == "fail" for v in vs)), errors=str(sum(v.status == "error" for v in vs)),
                          skipped=str(sum(v.status == "skip" for v in vs)))
        for v in vs:
            case = ET.SubElement(s, "testcase", classname=f"{practice}.{v.subject}", name=v.check)
            if v.status in ("fail", "error"):
                el = ET.SubElement(case, "failure" if v.status == "fail" else "error", message=v.message[:500])
                el.text = json.dumps(v.details, indent=1, default=str) if v.details else v.message
            elif v.status == "skip":
                ET.SubElement(case, "skipped", message=v.message)
    ET.ElementTree(suites).write(path, encoding="utf-8", xml_declaration=True)


def write_html(result: Result, path: Path) -> None:
    env = Environment(loader=FileSystemLoader(Path(__file__).parent), autoescape=select_autoescape(["html", "j2"]))
    # subject -> check -> status -> practices: one row per indicator, not per practice × indicator
    subjects: dict = defaultdict(lambda: defaultdict(lambda: defaultdict(int)))
    for v in result.verdicts:
        subjects[v.subject][v.check][v.status] += 1
    Path(path).write_text(env.get_template("report.html.j2").render(r=result, failures=result.failures(),
                                                                     subjects=subjects, tally=result.tally()))


def write_all(result: Result, out: Path) -> dict[str, Path]:
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    paths = {"html": out / "report.html", "junit": out / "junit.xml", "json": out / "verdicts.json"}
    write_html(result, paths["html"])
    write_junit(result, paths["junit"])
    write_json(result, paths["json"])
    return paths
