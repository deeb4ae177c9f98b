"""What the report shows of each practice, put together once from what the run gathered over the wire.

One JSON line per practice in ``<run>/report/practices.ndjson``: CQRS's calculated record (points,
achievement, payment components), the counts of the extract CQRS stored and the practice's manual
entries, CQRS's workflow history, the payment instruction, and the extract's SHA-256 as the supplier
sent it, as GPES received it and as CQRS stored it. The pages are rendered from that file alone, so
``qofsim report build`` can render a run again, and a national run's 8,000 practices are read one
line at a time (the work is linear in practices × indicators).

Money stays text (Decimal strings from CQRS); nothing here is a float except chart positions.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping
from decimal import Decimal
from pathlib import Path

from simulator.qof.catalogue import Catalogue

DATA = "report/practices.ndjson"


def plain(x: Decimal) -> str:
    """257 for Decimal('257.0'), 12.5 for Decimal('12.50'): points and thresholds as a person writes them."""
    x = Decimal(x).normalize()
    return f"{x:f}"


def _d(x) -> Decimal | None:
    return None if x is None else Decimal(str(x))


def why_points(defn, status: str, pct: Decimal | None, points: Decimal, achieved: bool | None) -> str:
    """In a practice manager's words: why this indicator scored what it did (the 2012/13 sliding scale)."""
    full = Decimal(defn.points)
    if status == "not_supplied":
        return "not supplied: no count reached CQRS, so it scores nothing"
    if status == "not_applicable":
        return "not applicable (no eligible patients): left out of the area's maximum"
    if pct is None:  # register or yes/no
        if achieved is False or (achieved is None and points < full):
            return "not achieved: a yes/no indicator scores all or nothing"
        return "achieved" if points == full else ""
    lower, upper = defn.lower, defn.upper
    if lower is None or upper is None:
        return ""
    if pct < lower:
        return f"{pct:.1f} % is below the lower threshold of {lower} %: no points"
    if pct < upper:
        return (f"{pct:.1f} % is between the thresholds ({lower}–{upper} %): points rise in proportion; "
                f"{upper - pct:.1f} percentage points more would have scored the maximum")
    return f"at or above the upper threshold of {upper} %: full points"


def _register_indicators(catalogue: Catalogue) -> dict[str, str]:
    return {r.indicator: r.id for r in catalogue.rules.registers.values()}


def _factor_rows(catalogue: Catalogue, record: dict, registers: Mapping[str, int], targets: Mapping[str, int],
                 national: Mapping[str, str], natp: Mapping[str, str]) -> list[dict]:
    """Each payment component CQRS reported, with the figures it multiplied: points (CQRS's area or domain
    points), £ per point, and the factor from the inputs CQRS held — the list size on its record, the
    registers and target populations of the extract it stored, and the national prevalence and average
    target population its calculation answered. ``agrees``: those figures multiply to CQRS's amount
    (to a hundredth of a penny); the amount shown is always CQRS's own."""
    p = catalogue.parameters
    ppp, divisor = Decimal(p.pounds_per_point), Decimal(p.cpi_divisor)
    list_size = int(record["list_size"])
    cpi = Decimal(list_size) / divisor
    area_points = {a["area"]: Decimal(a["points"]) for a in record.get("areas", ())}
    domain_points = {d["domain"]: Decimal(d["points"]) for d in record.get("domains", ())}
    register_of = catalogue.register_for_area
    cpi_text = f"CPI = list {list_size:,} ÷ {divisor:,} = {cpi:.4f}"
    rows = []
    for name, amount in record.get("components_gbp", {}).items():
        amount = Decimal(amount)
        base = name.split(" (")[0]
        domain, _, area = base.partition(": ")
        pts = area_points.get(area) if area else domain_points.get(domain)
        figures = [cpi_text]
        factor = cpi
        if domain == "Clinical":
            rid = register_of.get(area)
            if rid is None or area in p.apdf_one_areas:
                figures.append("APDF = 1 (no register of its own)")
            else:
                reg, nat = registers.get(rid, 0), Decimal(national.get(rid, "0"))
                prev = Decimal(reg) / list_size if list_size else Decimal(0)
                apdf = prev / nat if nat else Decimal(0)
                factor = cpi * apdf
                figures.append(f"APDF = prevalence ({rid} register {reg:,} ÷ list {list_size:,} = {prev * 100:.3f} %) "
                               f"÷ national {nat * 100:.3f} % = {apdf:.4f}")
        elif "(target population " in name:
            g = name.rsplit(" ", 1)[-1].rstrip(")")
            tp, avg = targets.get(g, 0), Decimal(natp.get(g, "0"))
            factor = Decimal(tp) / avg if avg else Decimal(0)
            figures = [f"target population {g} {tp:,} ÷ national average {avg:.2f} = {factor:.4f} (in place of CPI)"]
        elif "(CPI: no target population" in name:
            figures.append("paid by CPI: the extract carried no target population for this service")
        product = (pts or Decimal(0)) * ppp * factor
        rows.append({"name": name, "points": None if pts is None else f"{pts:.2f}", "ppp": f"{ppp:.2f}",
                     "figures": figures, "factor": f"{factor:.4f}", "amount_gbp": f"{amount:,.2f}", "amount_exact": str(amount),
                     "agrees": pts is not None and abs(product - amount) < Decimal("0.0001")})
    return rows


def practice_records(catalogue: Catalogue, practices: Iterable[dict], achievements: Mapping[str, dict],
                     bodies: Mapping[str, bytes], cqrs_extracts: list[dict], receipts: list[dict],
                     outboxes: list[dict], manual: Mapping[str, list], workflow: Mapping[str, dict],
                     instructions: list[dict], national: Mapping[str, str], natp: Mapping[str, str],
                     audit: Mapping[str, list[dict]] | None = None) -> Iterator[dict]:
    """One record per practice of the nation (those CQRS never calculated too: their page says so).
    ``audit``: practice -> CQRS's audit entries for it (who, when, what, before -> after), when gathered."""
    reg_ind = _register_indicators(catalogue)
    sent: dict[str, list[dict]] = {}
    for o in outboxes:
        sent.setdefault(o["practice_code"], []).append(o)
    got = {r["extract_id"]: r for r in receipts}
    held: dict[str, list[dict]] = {}
    for x in cqrs_extracts:
        held.setdefault(x["practice_code"], []).append(x)
    paid = {i["practice_code"]: i for i in instructions}
    for p in sorted(practices, key=lambda p: p["practice_code"]):
        code = p["practice_code"]
        rec = achievements.get(code)
        current = next((x for x in held.get(code, ()) if x["current"]), None)
        body = json.loads(bodies[current["extract_id"]]) if current and current["extract_id"] in bodies else {}
        counts = {i["id"]: i for i in body.get("indicators", ())}
        registers = body.get("registers", {})
        entries = {e["ind_code"]: e for e in (manual.get(code) or ())}
        hops = []
        for o in sorted(sent.get(code, ()), key=lambda o: (o["extract_id"], not o["final"])):
            if not o["final"]:
                continue
            digest = hashlib.sha256(o["body"].encode()).hexdigest()
            r = got.get(o["extract_id"])
            x = next((x for x in held.get(code, ()) if x["extract_id"] == o["extract_id"]), None)
            hops.append({"extract_id": o["extract_id"], "supplier_sha256": digest, "supplier_status": o["status"],
                         "gpes_sha256": r["sha256"] if r else None, "gpes_status": (f"received {r['received_at'][:19]}, forwarded: {r['forward_state']}"
                                                               if r else None),
                         "cqrs_sha256": x["sha256"] if x else None, "cqrs_current": bool(x and x["current"]),
                         "same": bool(r and x and digest == r["sha256"] == x["sha256"])})
        indicators = []
        for i in (rec or {}).get("indicators", ()):
            d = catalogue.indicators[i["ind_code"]]
            c, e = counts.get(i["ind_code"]), entries.get(i["ind_code"])
            num = den = exc = None
            achieved = None
            if c is not None:
                num, den, exc, source = c["numerator"], c["denominator"], c["exceptions"], "extract"
            elif i["ind_code"] in reg_ind:
                num, source = registers.get(reg_ind[i["ind_code"]]), "extract (register)"
            elif e is not None:
                num, den, achieved, source = e.get("numerator"), e.get("denominator"), e.get("achieved"), "manual entry"
            else:
                source = "—"
            pct, pts, full = _d(i["achievement_pct"]), Decimal(i["points"]), Decimal(d.points)
            missed = full - pts if i["status"] != "not_applicable" else Decimal(0)
            indicators.append({  # only what CQRS and the extract said: the catalogue's words are added when rendered
                "ind_code": i["ind_code"], "status": i["status"], "source": source, "numerator": num,
                "denominator": den, "exceptions": exc, "achieved": achieved,
                "achievement_pct": None if pct is None else f"{pct:.4f}", "points": f"{pts:.2f}",
                "missed": f"{missed:.2f}"})
        list_size = (rec or {}).get("list_size") or body.get("list_size")
        prevalence = {rid: str(Decimal(n) / list_size) for rid, n in registers.items()} if list_size else {}
        yield {
            "practice_code": code, "supplier": p["supplier"], "ccg_code": p["ccg_code"],
            "name": p.get("name"), "list_size": list_size,
            "calculated": rec is not None,
            "state": (workflow.get(code) or {}).get("state") or (rec or {}).get("state"),
            "total_points": None if rec is None else f"{Decimal(rec['total_points']):.2f}",
            "max_points": plain(sum((Decimal(d['max_points']) for d in rec.get('domains', ())), Decimal(0))) if rec else None,
            "payment_gbp": None if rec is None else rec["payment_gbp"],
            "aspiration_paid_gbp": ((rec or {}).get("aspiration") or {}).get("paid_gbp"),
            "aspiration": (rec or {}).get("aspiration"),
            "net_gbp": (rec or {}).get("net_gbp"),
            "domains": [_short(d) for d in (rec or {}).get("domains", ())],
            "areas": [_short(a) for a in (rec or {}).get("areas", ())],
            "indicators": indicators,
            "components": _factor_rows(catalogue, rec, registers, body.get("target_populations", {}), national, natp)
            if rec else [],
            "history": (workflow.get(code) or {}).get("history", []),
            "audit": None if audit is None else audit.get(code, []),
            "instruction": paid.get(code),
            "hops": hops,
            "registers": registers, "prevalence": prevalence,
            "target_populations": body.get("target_populations", {}),
        }


def _short(row: dict) -> dict:
    """An area's or domain's points to 2 decimals (the page's precision; the money keeps CQRS's own text)."""
    return {**{k: v for k, v in row.items() if k not in ("points", "points_2dp")}, "points": row["points_2dp"]}


def expand(indicator: dict, catalogue: Catalogue) -> dict:
    """An indicator of a record with the catalogue's words and thresholds, and why it scored what it did."""
    d = catalogue.indicators[indicator["ind_code"]]
    pct = _d(indicator["achievement_pct"])
    return {**indicator, "domain": d.domain, "area": d.area, "wording": d.wording,
            "achievement_pct": None if pct is None else f"{pct:.1f}",
            "lower": None if d.lower is None else plain(d.lower), "upper": None if d.upper is None else plain(d.upper),
            "max_points": plain(d.points),
            "why": why_points(d, indicator["status"], pct, Decimal(indicator["points"]), indicator["achieved"])}


def write_records(path: Path, records: Iterable[dict]) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    n = 0
    with open(path, "w") as f:
        for r in records:
            f.write(json.dumps(r, separators=(",", ":"), default=str) + "\n")
            n += 1
    return n


def read_records(path: Path) -> Iterator[dict]:
    with open(path) as f:
        for line in f:
            yield json.loads(line)
