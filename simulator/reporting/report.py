"""The run report: one HTML page a person can open, with plots (matplotlib) beside summary.json."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from jinja2 import Environment, FileSystemLoader, select_autoescape  # noqa: E402

from simulator.qof.catalogue import Catalogue  # noqa: E402

LABELLED_BARS = 120  # more practices than this: bars without a label each
SUPPLIER_COLOURS = {"EMIS": "#005eb8", "TPP": "#009639", "INPS": "#ed8b00", "Microtest": "#7c2855"}


def _bar(path: Path, labels, values, colours, ylabel: str, title: str) -> None:
    fig, ax = plt.subplots(figsize=(9, 3.6), dpi=100)
    if len(labels) <= LABELLED_BARS:
        ax.bar(labels, values, color=colours)
        ax.tick_params(axis="x", rotation=60, labelsize=8)
    else:  # thousands of practices: one bar each, in practice-code order, unlabelled
        ax.bar(range(len(values)), values, color=colours, width=1.0)
        ax.set_xticks([])
        ax.set_xlabel(f"{len(values):,} practices, in practice-code order")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    handles = [plt.Rectangle((0, 0), 1, 1, color=c) for c in SUPPLIER_COLOURS.values()]
    ax.legend(handles, SUPPLIER_COLOURS.keys(), fontsize=8, ncols=4, loc="lower right")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def _achievement_plot(path: Path, achievements: dict[str, dict], catalogue: Catalogue) -> None:
    by_ind: dict[str, list[float]] = defaultdict(list)
    for a in achievements.values():
        for i in a["indicators"]:
            if i["achievement_pct"] is not None:
                by_ind[i["ind_code"]].append(float(i["achievement_pct"]))
    codes = [c for c in catalogue.indicators if c in by_ind]
    fig, ax = plt.subplots(figsize=(max(9, 0.24 * len(codes)), 3.8), dpi=100)
    if codes:
        ax.boxplot([by_ind[c] for c in codes], tick_labels=codes)
        for n, c in enumerate(codes, start=1):
            d = catalogue.indicators[c]
            ax.hlines([float(d.lower), float(d.upper)], n - 0.4, n + 0.4, colors=["#d5281b", "#009639"], linewidth=1)
    ax.set_ylabel("achievement %")
    ax.set_ylim(0, 101)
    ax.set_title("Achievement by indicator across practices (red: lower threshold, green: upper)")
    ax.tick_params(axis="x", rotation=60, labelsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def write_report(run_dir: Path, summary: dict, achievements: dict[str, dict], practices: list[dict],
                 catalogue: Catalogue, history: dict[str, list[dict]] | None = None) -> Path:
    """``history``: practice -> its entries in CQRS's audit log (None: too many practices to show)."""
    plots = run_dir / "plots"
    plots.mkdir(exist_ok=True)
    rows = []
    for p in sorted(practices, key=lambda p: p["practice_code"]):
        a = achievements.get(p["practice_code"], {})
        rows.append({**p, "list_size": a.get("list_size"), "points": a.get("total_points"),
                     "payment": a.get("payment_gbp"), "state": a.get("state")})
    labels = [r["practice_code"] for r in rows]
    colours = [SUPPLIER_COLOURS.get(r["supplier"], "grey") for r in rows]
    _bar(plots / "points.png", labels, [float(r["points"] or 0) for r in rows], colours, "points",
         "Total QOF points per practice (extracted indicators)")
    _bar(plots / "payments.png", labels, [float(r["payment"] or 0) for r in rows], colours, "£",
         "Achievement payment per practice")
    _achievement_plot(plots / "achievement.png", achievements, catalogue)
    domains: dict[str, Decimal] = defaultdict(Decimal)
    domain_max: dict[str, Decimal] = defaultdict(Decimal)
    for d in catalogue.indicators.values():
        domain_max[d.domain] += d.points
    for a in achievements.values():
        for i in a["indicators"]:
            domains[catalogue.indicators[i["ind_code"]].domain] += Decimal(i["points"])
    n = max(len(achievements), 1)
    domain_rows = [{"domain": k, "mean_points": f"{domains[k] / n:.2f}", "max": str(domain_max[k])}
                   for k in domain_max]
    for r in rows:
        if r["points"] is not None:
            r["points"] = f"{Decimal(r['points']):.2f}"
    env = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"), autoescape=select_autoescape(["html", "htm", "xml", "j2"]))  # run.html.j2 too
    html = env.get_template("run.html.j2").render(s=summary, rows=rows, domains=domain_rows, history=history)
    out = run_dir / "report.html"
    out.write_text(html)
    return out
