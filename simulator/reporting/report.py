"""The run report: ``<run>/index.html`` (flow, reconciliation, plots, practices, commissioners), a page
per practice (``practices/<code>.html``) and per commissioner (``commissioners/<ccg>.html``), all
self-contained: the Vega bundle is written beside them (``assets/vega.js``), nothing is fetched.

Rendered from ``summary.json``'s figures and ``report/practices.ndjson`` (see data.py) in one pass over
the practices, so the time is linear in practices (a national run's 8,000 pages are written as read).
"""

from __future__ import annotations

import json
import os
from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from collections.abc import Iterable

from jinja2 import Environment, FileSystemLoader, select_autoescape

from simulator.qof.catalogue import Catalogue, default_catalogue
from simulator.reporting import charts
from simulator.reporting.data import DATA, expand, plain, read_records, write_records

REJECTED_CHECK = "rejected submissions as expected"
PAYMENT_STATES = ("Approved", "Payment Instructed")


def environment() -> Environment:
    return Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"),
                       autoescape=select_autoescape(["html", "htm", "xml", "j2"]))


def vega_bundle() -> str:
    """Vega, Vega-Lite and vega-embed as one script, from the vl-convert-python wheel (no network);
    made once per vl-convert version and kept in the user's cache (it takes ~1 s to bundle)."""
    import vl_convert

    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "qofsim"
    path = cache / f"vega-bundle-{vl_convert.__version__}.js"
    try:
        return path.read_text()
    except OSError:
        pass
    js = vl_convert.javascript_bundle()
    try:
        cache.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(js)
        tmp.replace(path)
    except OSError:
        pass  # a read-only home: bundle again next time
    return js


def write_assets(run_dir: Path) -> None:
    assets = run_dir / "assets"
    assets.mkdir(exist_ok=True)
    (assets / "vega.js").write_text(vega_bundle())


def _money(x: Decimal | str | None) -> str:
    return "" if x is None else f"{Decimal(x):,.2f}"


def _moves(history: list[dict], word: str) -> str:
    """The last 'declared by …' / 'approved by …' move of a record, with when."""
    for h in reversed(history):
        if (h.get("why") or "").startswith(word):
            return f"{h['why']}, {h['at'][:19].replace('T', ' ')}"
    return ""


def _checks(summary: dict) -> list[dict]:
    failed = defaultdict(int)
    for d in summary.get("discrepancies", ()):
        failed[d["check"]] += 1
    out = []
    for name, n in summary.get("checks", {}).items():
        note = ""
        if name == REJECTED_CHECK and "extracts_rejected" in summary:
            exp = summary.get("extracts_rejected_expected")
            note = (f"GPES refused {summary['extracts_rejected']} submissions"
                    + (f", {exp} expected" if exp is not None else ""))
        out.append({"name": name, "n": n, "failed": failed.get(name, 0), "note": note})
    return out


def write_report(run_dir: Path, summary: dict, records: Iterable[dict], catalogue: Catalogue,
                 pages: bool = True) -> Path:
    """Write the practices' data, then the pages. Returns index.html."""
    write_records(run_dir / DATA, records)
    return build_site(run_dir, summary, catalogue, pages)


def build_site(run_dir: Path, summary: dict | None = None, catalogue: Catalogue | None = None,
               pages: bool = True) -> Path:
    """Render a run folder's pages from its summary.json and report/practices.ndjson."""
    run_dir = Path(run_dir)
    summary = summary or json.loads((run_dir / "summary.json").read_text())
    catalogue = catalogue or default_catalogue()
    env = environment()
    practice_tpl = env.get_template("practice.html.j2")
    ppp = f"{Decimal(catalogue.parameters.pounds_per_point):.2f}"
    domain_order = list(dict.fromkeys(d.domain for d in catalogue.indicators.values()))
    domain_max: dict[str, Decimal] = defaultdict(Decimal)
    for d in catalogue.indicators.values():
        domain_max[d.domain] += d.points
    domain_sum: dict[str, Decimal] = defaultdict(Decimal)
    by_ind: dict[str, list[float]] = defaultdict(list)
    rows, by_ccg = [], defaultdict(list)
    flow = {"expected": 0, "sent": 0, "received": 0, "stored": 0, "changed": 0, "paid": 0}
    by_supplier: dict[str, dict] = {}
    if pages:
        (run_dir / "practices").mkdir(exist_ok=True)
        (run_dir / "commissioners").mkdir(exist_ok=True)
    n_calc = 0
    for r in read_records(run_dir / DATA):
        code = r["practice_code"]
        missed = sum((Decimal(i["missed"]) for i in r["indicators"]), Decimal(0))
        row = {k: r[k] for k in ("practice_code", "supplier", "ccg_code", "list_size", "total_points", "payment_gbp",
                                 "state", "calculated", "prevalence")}
        row.update(payment=_money(r["payment_gbp"]), missed=f"{missed:.2f}" if r["calculated"] else "",
                   declared=_moves(r["history"], "declared by"), approved=_moves(r["history"], "approved by"))
        rows.append(row)
        by_ccg[r["ccg_code"]].append(row)
        if r["calculated"]:
            n_calc += 1
            for d in r["domains"]:
                domain_sum[d["domain"]] += Decimal(d["points"])
            for i in r["indicators"]:
                if i["achievement_pct"] is not None and i["status"] == "scored":
                    by_ind[i["ind_code"]].append(float(i["achievement_pct"]))
        s = by_supplier.setdefault(r["supplier"], {"supplier": r["supplier"], "practices": 0, "sent": 0,
                                                   "received": 0, "stored": 0, "changed": 0})
        s["practices"] += 1
        flow["expected"] += 1
        for h in r["hops"]:
            s["sent"] += 1
            s["received"] += h["gpes_sha256"] is not None
            s["stored"] += h["cqrs_sha256"] is not None
            s["changed"] += h["cqrs_sha256"] is not None and not h["same"]
        flow["paid"] += r["instruction"] is not None
        if pages:
            r["indicators"] = [expand(i, catalogue) for i in r["indicators"]]
            lost = sorted((i for i in r["indicators"] if Decimal(i["missed"]) > 0), key=lambda i: -Decimal(i["missed"]))
            groups = defaultdict(list)
            for i in r["indicators"]:
                groups[i["domain"]].append(i)
            asp = r.get("aspiration") or {}
            html = practice_tpl.render(
                p=r, run_id=summary["run_id"], root="../", missed=f"{missed:.2f}", lost=lost, ppp=ppp,
                by_domain=[(d, groups[d]) for d in domain_order if d in groups], payment=_money(r["payment_gbp"]),
                aspiration_expected=_money(asp.get("expected_gbp")), money=_money,
                charts=[("areas", charts.practice_areas(r["areas"]))] if r["areas"] else [])
            (run_dir / "practices" / f"{code}.html").write_text(html)
    for s in by_supplier.values():
        for k in ("sent", "received", "stored", "changed"):
            flow[k] += s[k]
    flow["by_supplier"] = [by_supplier[k] for k in sorted(by_supplier)]
    ccgs = []
    for ccg in sorted(by_ccg):
        members = by_ccg[ccg]
        total = sum((Decimal(m["payment_gbp"]) for m in members if m["payment_gbp"] is not None), Decimal("0.00"))
        awaiting = [m for m in members if m["state"] == "Awaiting Commissioning Organisation Approval"]
        c = {"ccg_code": ccg, "practices": len(members), "awaiting": len(awaiting), "payment": _money(total),
             "payment_gbp": str(total)}
        ccgs.append(c)
        if pages:
            spec = charts.payments_per_practice([m for m in members])
            (run_dir / "commissioners" / f"{ccg}.html").write_text(env.get_template("commissioner.html.j2").render(
                c=c, rows=members, awaiting=awaiting, run_id=summary["run_id"], root="../",
                charts=[("ccg-payments", spec)]))
    n = max(n_calc, 1)
    domains = [{"domain": k, "mean": f"{domain_sum[k] / n:.2f}", "max": plain(domain_max[k])} for k in domain_order]
    thresholds = {c: (float(catalogue.indicators[c].lower), float(catalogue.indicators[c].upper))
                  for c in catalogue.indicators if c in by_ind and catalogue.indicators[c].lower is not None
                  and catalogue.indicators[c].upper is not None}
    national = summary.get("national_prevalence", {})
    register_area = {r.id: r.area for r in catalogue.rules.registers.values()}
    plots = [("achievement", charts.achievement_distribution({c: by_ind[c] for c in thresholds}, thresholds)),
             ("domains", charts.points_by_domain(domains)),
             ("payments", charts.payments_per_practice(rows)),
             ("commissioner-payments", charts.payments_per_commissioner(ccgs)),
             ("prevalence", charts.prevalence(rows, national, register_area))]
    total_pay = sum((Decimal(r["payment_gbp"]) for r in rows if r["payment_gbp"] is not None), Decimal("0.00"))
    verdict = summary.get("verdict") or ("failed" if summary.get("discrepancies") else "passed")
    html = env.get_template("run_index.html.j2").render(
        s=summary, verdict=verdict, comparisons=sum(summary.get("checks", {}).values()), checks=_checks(summary),
        flow=flow, domains=domains, rows=rows, ccgs=ccgs, pages=pages, root="",
        total_points=f"{Decimal(summary.get('total_points', '0')):,.2f}", total_payment=_money(total_pay),
        national=[(k, f"{Decimal(v) * 100:.4f} %") for k, v in national.items()],
        prevalence_truncated=charts.PER_PRACTICE_LIMIT if len(rows) > charts.PER_PRACTICE_LIMIT else 0,
        charts=plots)
    write_assets(run_dir)
    out = run_dir / "index.html"
    out.write_text(html)
    (run_dir / "report.html").write_text(  # the old name, kept for links and habits
        '<!doctype html><meta charset="utf-8"><meta http-equiv="refresh" content="0; url=index.html">'
        '<title>moved</title><a href="index.html">The report is index.html</a>\n')
    return out
