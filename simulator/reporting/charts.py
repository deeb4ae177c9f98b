"""The report's plots as Vega-Lite specifications (built with Altair), drawn in the browser by the
Vega bundle written beside the pages (assets/vega.js): interactive (tooltips, a register picker),
sized to the page (``width: container``), every colour named in a key, every axis with its unit.

Only chart positions are floats; every figure a person reads in a tooltip is CQRS's own text.
"""

from __future__ import annotations

import functools
import json
import statistics
from collections import defaultdict
from decimal import Decimal

import altair as alt

SUPPLIER_COLOURS = {"EMIS": "#005eb8", "TPP": "#009639", "INPS": "#ed8b00", "Microtest": "#7c2855"}
RED, GREEN, BLUE, GREY, DARK = "#d5281b", "#007f3b", "#005eb8", "#aeb7bd", "#212b32"
LABELLED = 120  # more practices than this: bars without a label each
PER_PRACTICE_LIMIT = 1500  # the prevalence plot draws at most this many practices (first by code)


def _spec(chart) -> dict:
    spec = chart.to_dict()
    spec.setdefault("config", {}).update({"view": {"stroke": None}, "axis": {"labelFontSize": 11, "titleFontSize": 12},
                                          "legend": {"labelFontSize": 11, "titleFontSize": 12, "orient": "top",
                                                     "labelLimit": 0}})
    return spec


def _quartiles(values: list[float]) -> tuple[float, float, float]:
    if len(values) == 1:
        return values[0], values[0], values[0]
    q = statistics.quantiles(values, n=4, method="inclusive")
    return q[0], q[1], q[2]


def achievement_distribution(by_indicator: dict[str, list[float]], thresholds: dict[str, tuple]) -> dict:
    """Per indicator: the practices' achievement (range, middle half, median) against its lower and
    upper thresholds; one row per indicator so the plot is as wide as the page however many there are."""
    rows, lines = [], []
    for code, vals in by_indicator.items():
        vals = sorted(vals)
        q1, med, q3 = _quartiles(vals)
        rows.append({"indicator": code, "min": vals[0], "q1": q1, "median": med, "q3": q3, "max": vals[-1],
                     "practices": len(vals), "lower": thresholds[code][0], "upper": thresholds[code][1]})
        lines += [{"indicator": code, "pct": thresholds[code][0], "key": "lower threshold (points start)"},
                  {"indicator": code, "pct": thresholds[code][1], "key": "upper threshold (full points)"}]
    keys = ["range across practices", "middle half of practices", "median practice",
            "lower threshold (points start)", "upper threshold (full points)"]
    colour = alt.Color("key:N", title="Key", scale=alt.Scale(domain=keys, range=[GREY, "#7fa7d9", DARK, RED, GREEN]))
    y = alt.Y("indicator:N", sort=None, title="indicator", axis=alt.Axis(labelFontSize=10))
    x = alt.X("min:Q", title="achievement (% of eligible patients)", scale=alt.Scale(domain=[0, 100]))
    tip = [alt.Tooltip("indicator:N"), alt.Tooltip("practices:Q"), alt.Tooltip("median:Q", format=".1f"),
           alt.Tooltip("q1:Q", format=".1f", title="25th percentile"),
           alt.Tooltip("q3:Q", format=".1f", title="75th percentile"),
           alt.Tooltip("lower:Q", title="lower threshold %"), alt.Tooltip("upper:Q", title="upper threshold %")]
    base = alt.Chart(alt.Data(values=rows))
    rng = base.mark_rule().encode(y=y, x=x, x2="max:Q", color=alt.datum("range across practices"), tooltip=tip)
    box = base.mark_bar(height=8).encode(y=y, x="q1:Q", x2="q3:Q", color=alt.datum("middle half of practices"),
                                          tooltip=tip)
    med = base.mark_tick(thickness=2, size=12).encode(y=y, x="median:Q", color=alt.datum("median practice"),
                                                      tooltip=tip)
    thr = alt.Chart(alt.Data(values=lines)).mark_tick(thickness=2, size=10).encode(
        y=y, x="pct:Q", color=colour, tooltip=["indicator:N", "key:N", alt.Tooltip("pct:Q", title="%")])
    chart = alt.layer(rng, box, med, thr).encode(color=colour).properties(
        width="container", height=max(120, 13 * len(rows)),
        title="Achievement by indicator across practices, against its thresholds")
    return _spec(chart)


def points_by_domain(rows: list[dict]) -> dict:
    """Mean points per practice in each domain beside the domain's maximum (bars, one key)."""
    data = []
    for r in rows:
        data.append({"domain": r["domain"], "measure": "mean points per practice", "points": float(r["mean"]),
                     "text": r["mean"]})
        data.append({"domain": r["domain"], "measure": "domain maximum", "points": float(r["max"]), "text": r["max"]})
    chart = alt.Chart(alt.Data(values=data)).mark_bar().encode(
        y=alt.Y("domain:N", title=None, sort=None), yOffset=alt.YOffset("measure:N", sort=["mean points per practice"]),
        x=alt.X("points:Q", title="QOF points"),
        color=alt.Color("measure:N", title="Key", scale=alt.Scale(domain=["mean points per practice", "domain maximum"],
                                                                   range=[BLUE, GREY])),
        tooltip=["domain:N", "measure:N", alt.Tooltip("text:N", title="points")],
    ).properties(width="container", height=60 * max(1, len(rows)), title="Points by domain")
    return _spec(chart)


def payments_per_practice(rows: list[dict]) -> dict:
    """The year-end achievement payment of each practice, coloured by its supplier (keyed)."""
    data = [{"practice": r["practice_code"], "supplier": r["supplier"], "ccg": r["ccg_code"],
             "gbp": float(Decimal(r["payment_gbp"])), "payment": f"£{Decimal(r['payment_gbp']):,.2f}",
             "points": r["total_points"]} for r in rows if r["payment_gbp"] is not None]
    supplier = alt.Color("supplier:N", title="GP-system supplier",
                         scale=alt.Scale(domain=list(SUPPLIER_COLOURS), range=list(SUPPLIER_COLOURS.values())))
    if len(data) > LABELLED:  # thousands of practices: how many were paid how much, a bar per £ band
        chart = alt.Chart(alt.Data(values=data)).mark_bar().encode(
            x=alt.X("gbp:Q", bin=alt.Bin(maxbins=60), title="achievement payment (£)", axis=alt.Axis(format=",.0f")),
            y=alt.Y("count():Q", title="practices"), color=supplier,
            tooltip=[alt.Tooltip("gbp:Q", bin=True, title="£ band", format=",.0f"), "supplier:N",
                     alt.Tooltip("count():Q", title="practices")],
        ).properties(width="container", height=260, title=f"Achievement payments of {len(data):,} practices")
        return _spec(chart)
    chart = alt.Chart(alt.Data(values=data)).mark_bar().encode(
        x=alt.X("practice:N", sort=None, title="practice", axis=alt.Axis(labelAngle=-60)),
        y=alt.Y("gbp:Q", title="achievement payment (£)", axis=alt.Axis(format=",.0f")), color=supplier,
        tooltip=["practice:N", "supplier:N", alt.Tooltip("ccg:N", title="commissioner"), "points:N", "payment:N"],
    ).properties(width="container", height=260, title="Achievement payment per practice")
    return _spec(chart)


def payments_per_commissioner(rows: list[dict]) -> dict:
    data = [{"commissioner": r["ccg_code"], "gbp": float(Decimal(r["payment_gbp"])), "payment": r["payment"],
             "practices": r["practices"]} for r in rows]
    chart = alt.Chart(alt.Data(values=data)).mark_bar(color=BLUE).encode(
        x=alt.X("commissioner:N", sort=None, title="commissioner (CCG)", axis=alt.Axis(labelAngle=0)),
        y=alt.Y("gbp:Q", title="achievement payments (£)", axis=alt.Axis(format=",.0f")),
        tooltip=["commissioner:N", "practices:Q", "payment:N"],
    ).properties(width="container", height=220, title="Achievement payments per commissioner")
    return _spec(chart)


def prevalence(rows: list[dict], national: dict[str, str], register_area: dict[str, str]) -> dict:
    """Each practice's raw prevalence of one register (picked in a drop-down) against the national
    prevalence CQRS used, and the APDF it gave: practice prevalence ÷ national."""
    data, shown = [], rows[:PER_PRACTICE_LIMIT]
    for r in shown:
        for rid, prev in r["prevalence"].items():
            nat = Decimal(national.get(rid, "0"))
            if not nat:
                continue
            p = Decimal(prev)
            data.append({"practice": r["practice_code"], "register": rid, "prevalence": float(p * 100),
                         "apdf": float(p / nat), "APDF": f"{p / nat:.4f}", "national": float(nat * 100),
                         "supplier": r["supplier"]})
    registers = sorted({d["register"] for d in data})
    pick = alt.param(name="register", value=registers[0] if registers else "",
                     bind=alt.binding_select(options=registers, labels=[f"{r} ({register_area.get(r, r)})" for r in registers],
                                             name="Register shown: "))
    labelled = len(shown) <= LABELLED
    x = alt.X("practice:N", sort=None, title="practice" if labelled else f"{len(shown):,} practices, by code",
              axis=alt.Axis(labelAngle=-60) if labelled else None)
    base = alt.Chart(alt.Data(values=data)).transform_filter(alt.datum.register == pick)
    tip = ["practice:N", "register:N", alt.Tooltip("prevalence:Q", format=".3f", title="practice prevalence %"),
           alt.Tooltip("national:Q", format=".3f", title="national %"), "APDF:N"]
    pts = base.mark_point(filled=True, size=60).encode(
        x=x, y=alt.Y("prevalence:Q", title="raw prevalence (% of list)"),
        color=alt.Color("supplier:N", title="practice (by supplier)",
                        scale=alt.Scale(domain=list(SUPPLIER_COLOURS), range=list(SUPPLIER_COLOURS.values()))),
        tooltip=tip)
    nat = base.mark_rule(strokeDash=[6, 3], strokeWidth=2).encode(
        y="mean(national):Q", stroke=alt.Stroke("k:N", title="Line", scale=alt.Scale(
            domain=["national prevalence"], range=[RED]))).transform_calculate(k="'national prevalence'")
    top = alt.layer(pts, nat).properties(width="container", height=200,
                                         title="Prevalence per practice against national")
    apdf = base.mark_bar(color=BLUE).encode(
        x=x, y=alt.Y("apdf:Q", title="APDF (practice ÷ national)"), tooltip=tip,
    ).properties(width="container", height=160, title="The prevalence factor (APDF) it gave")
    one = alt.Chart(alt.Data(values=[{"one": 1}])).mark_rule(color=DARK, strokeDash=[2, 2]).encode(y="one:Q")
    chart = alt.vconcat(top, alt.layer(apdf, one)).add_params(pick).resolve_scale(color="independent")
    spec = _spec(chart)
    spec["autosize"] = {"type": "fit-x", "contains": "padding"}
    spec["config"]["legend"]["orient"] = "right"
    return spec


@functools.cache
def _practice_areas_template() -> str:
    """The per-practice plot built by Altair once (validating a spec costs ~50 ms: 8,000 pages would
    spend minutes on it); each page gets a copy with its own data and height."""
    chart = alt.Chart(alt.Data(values=[])).mark_bar().encode(
        y=alt.Y("area:N", sort=None, title=None), x=alt.X("points:Q", stack="zero", title="QOF points"),
        color=alt.Color("part:N", title="Key", scale=alt.Scale(domain=["points scored", "points missed"],
                                                                range=[GREEN, RED])),
        order=alt.Order("part:N", sort="descending"),
        tooltip=["area:N", "domain:N", "part:N", alt.Tooltip("text:N", title="points")],
    ).properties(width="container", height=100, title="Points scored and missed by area")
    return json.dumps(_spec(chart))


def practice_areas(areas: list[dict]) -> dict:
    """One practice: points scored and points missed in each area (stacked to the area's maximum)."""
    data = []
    for a in areas:
        pts, mx = Decimal(a["points"]), Decimal(a["max_points"])
        data.append({"area": a["area"], "domain": a["domain"], "part": "points scored", "points": float(pts),
                     "text": f"{pts:.2f} of {mx.normalize():f}"})
        data.append({"area": a["area"], "domain": a["domain"], "part": "points missed", "points": float(mx - pts),
                     "text": f"{mx - pts:.2f} of {mx.normalize():f}"})
    spec = json.loads(_practice_areas_template())
    spec["data"] = {"values": data}
    spec["height"] = max(100, 16 * len(areas))
    return spec


def load_over_time(rows: list[dict]) -> dict:
    """Load runs over time: throughput, p50/p95 and error ratio, one colour per profile."""
    base = alt.Chart(alt.Data(values=rows)).encode(
        x=alt.X("started:T", title="run started"),
        color=alt.Color("profile:N", title="load profile"),
        tooltip=["run:N", "profile:N", alt.Tooltip("requests_per_s:Q", format=".1f"),
                 alt.Tooltip("p50_ms:Q"), alt.Tooltip("p95_ms:Q"), alt.Tooltip("error_pct:Q", format=".3f"), "verdict:N"])
    thr = base.mark_line(point=True).encode(y=alt.Y("requests_per_s:Q", title="throughput (requests/s)")).properties(
        width="container", height=140, title="Throughput")
    p95 = base.mark_line(point=True).encode(y=alt.Y("p95_ms:Q", title="p95 latency (ms)")).properties(
        width="container", height=140, title="p95 latency (p50 in the tooltip)")
    err = base.mark_line(point=True).encode(y=alt.Y("error_pct:Q", title="errors (% of requests)")).properties(
        width="container", height=120, title="Errors")
    spec = _spec(alt.vconcat(thr, p95, err))
    spec["autosize"] = {"type": "fit-x", "contains": "padding"}
    return spec


def achievement_inputs(records, catalogue) -> tuple[dict[str, list[float]], dict[str, tuple]]:
    """Per indicator with thresholds, every calculated practice's achievement % (for the distribution)."""
    by_ind: dict[str, list[float]] = defaultdict(list)
    for r in records:
        for i in r["indicators"]:
            if i["achievement_pct"] is not None and i["status"] == "scored":
                by_ind[i["ind_code"]].append(float(i["achievement_pct"]))
    order = [c for c, d in catalogue.indicators.items() if c in by_ind and d.lower is not None and d.upper is not None]
    return ({c: by_ind[c] for c in order},
            {c: (float(catalogue.indicators[c].lower), float(catalogue.indicators[c].upper)) for c in order})
