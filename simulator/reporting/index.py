"""``reports/index.html``: every report folder under reports/, newest first, with its verdict.

A folder is listed when it holds a ``summary.json`` with a ``kind`` (run, load, bdd, conform, …),
``verdict`` (passed / failed / anything else), ``started`` (ISO 8601) and ``title``: any tool joins the
index by writing that small file beside its own report (named in ``report``, default index.html or
report.html). Run folders written before ``kind`` existed are recognised by their run_id and scenario.
Load runs are also drawn over time (throughput, p50/p95, errors).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from simulator.reporting import charts
from simulator.reporting.report import environment, write_assets

DEPTH = 3  # reports/<run>/summary.json, reports/load/<run>/summary.json, reports/<kit>/<x>/<run>/summary.json
SKIP = {"world", "nation", "assets", "practices", "commissioners", "report", "plots", "logs", ".templates"}


def _summaries(root: Path, depth: int = DEPTH):
    try:
        entries = sorted(p for p in root.iterdir() if p.is_dir() and p.name not in SKIP and not p.name.startswith("."))
    except OSError:
        return
    for d in entries:
        f = d / "summary.json"
        if f.is_file():
            yield d, f
        if depth > 1:
            yield from _summaries(d, depth - 1)


def _started(s: dict, folder: Path) -> str:
    if s.get("started"):
        return str(s["started"])
    rid = str(s.get("run_id") or folder.name)
    try:  # run ids begin 20261130T130203
        return dt.datetime.strptime(rid[:15], "%Y%m%dT%H%M%S").isoformat()
    except ValueError:
        return dt.datetime.fromtimestamp((folder / "summary.json").stat().st_mtime).isoformat(timespec="seconds")


def entry(folder: Path, s: dict, root: Path) -> dict | None:
    """What the index shows of one summary.json, or None when it is no report's summary."""
    kind = s.get("kind")
    if kind is None and "run_id" in s and "scenario" in s:
        kind = "run"
    elif kind is None and "run_id" in s and "profile" in s:
        kind = "load"
    if not kind:
        return None
    verdict = s.get("verdict")
    if verdict is None:
        verdict = ("failed" if s.get("discrepancies") else "passed") if kind == "run" else (
            ("passed" if s["passed"] else "failed") if "passed" in s else "unknown")
    page = s.get("report")
    if not page:
        page = next((n for n in ("index.html", "report.html", "locust.html") if (folder / n).exists()), "summary.json")
    return {"kind": kind, "verdict": str(verdict), "started": _started(s, folder),
            "title": s.get("title") or s.get("scenario") or s.get("profile") or folder.name,
            "folder": folder.relative_to(root).as_posix(), "href": (folder / page).relative_to(root).as_posix(),
            "detail": s.get("detail") or _detail(kind, s), "summary": s}


def _detail(kind: str, s: dict) -> str:
    if kind == "run":
        return (f"{s.get('practices', '?')} practices, {len(s.get('discrepancies', []))} discrepancies, "
                f"£{s.get('total_payment_gbp', '?')}")
    if kind == "load":
        return (f"{s.get('requests_per_s', 0):.1f} requests/s, p50 {s.get('p50_ms')} ms, p95 {s.get('p95_ms')} ms, "
                f"{s.get('failed_requests', 0)} errors")
    return ""


def write_index(reports: Path) -> Path:
    """(Re)write reports/index.html from every summary.json found."""
    reports = Path(reports)
    reports.mkdir(parents=True, exist_ok=True)
    entries = []
    for folder, f in _summaries(reports):
        try:
            s = json.loads(f.read_text())
        except (OSError, ValueError):
            continue
        e = entry(folder, s, reports) if isinstance(s, dict) else None
        if e:
            entries.append(e)
    entries.sort(key=lambda e: e["started"], reverse=True)
    loads = [{"run": e["folder"], "profile": e["summary"].get("profile", e["title"]), "started": e["started"],
              "requests_per_s": e["summary"].get("requests_per_s"), "p50_ms": e["summary"].get("p50_ms"),
              "p95_ms": e["summary"].get("p95_ms"), "error_pct": 100 * (e["summary"].get("error_ratio") or 0),
              "verdict": e["verdict"]} for e in entries if e["kind"] == "load"]
    plots = [("load", charts.load_over_time(loads))] if loads else []
    kinds = sorted({e["kind"] for e in entries})
    html = environment().get_template("all.html.j2").render(
        entries=entries, kinds=kinds, root="", charts=plots,
        bdd=[e for e in entries if e["kind"] == "bdd"], conform=[e for e in entries if e["kind"] == "conform"],
        loads=[e for e in entries if e["kind"] == "load"])
    if plots:
        write_assets(reports)
    out = reports / "index.html"
    out.write_text(html)
    return out
