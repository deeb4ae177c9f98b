"""The HTML report of a features run, rendered with Jinja2 from pytest-bdd's cucumber JSON."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

HERE = Path(__file__).parent


def _status(steps: list[dict]) -> str:
    statuses = [s["result"]["status"] for s in steps]
    return "failed" if "failed" in statuses else "skipped" if "skipped" in statuses or not statuses else "passed"


def model(data: list[dict]) -> dict:
    """Features, scenarios and steps with their status and time, and the totals, for the template."""
    features = []
    totals = {"passed": 0, "failed": 0, "skipped": 0}
    seconds = 0.0
    for f in sorted(data, key=lambda f: f.get("uri", "")):
        scenarios = []
        for sc in f.get("elements", []):
            steps = [{"keyword": s["keyword"], "name": s["name"], "line": s.get("line"),
                      "status": s["result"]["status"], "seconds": s["result"].get("duration", 0) / 1e9,
                      "error": s["result"].get("error_message", "")} for s in sc.get("steps", [])]
            status = _status(sc.get("steps", []))
            totals[status] += 1
            took = sum(s["seconds"] for s in steps)
            seconds += took
            scenarios.append({"name": sc["name"], "keyword": sc.get("keyword", "Scenario"), "line": sc.get("line"),
                              "tags": [t["name"] for t in sc.get("tags", [])], "status": status, "seconds": took,
                              "steps": steps})
        status = ("failed" if any(s["status"] == "failed" for s in scenarios) else
                  "passed" if any(s["status"] == "passed" for s in scenarios) else "skipped")
        features.append({"name": f.get("name", f.get("uri")), "uri": f.get("uri"), "description": f.get("description", ""),
                         "tags": [t["name"] for t in f.get("tags", [])], "status": status, "scenarios": scenarios,
                         "counts": {k: sum(1 for s in scenarios if s["status"] == k) for k in totals}})
    return {"features": features, "totals": totals, "scenarios": sum(totals.values()), "seconds": seconds}


def write_report(cucumber: Path, out: Path, title: str = "qofsim features", world: str | None = None) -> Path:
    data = json.loads(Path(cucumber).read_text()) if Path(cucumber).exists() else []
    env = Environment(loader=FileSystemLoader(HERE), autoescape=select_autoescape(["html", "j2"]))
    html = env.get_template("report.html.j2").render(
        title=title, world=world, generated=dt.datetime.now().strftime("%d/%m/%Y %H:%M"), **model(data))
    out = Path(out)
    out.write_text(html, encoding="utf-8")
    return out
