"""Reconciliation: counts conserved supplier -> GPES -> CQRS, and payments re-derived independently.

The second half is the "QMAS side" of the 2012/13 parallel run: points and money are worked out
again from the counts CQRS stored, with exact fractions and none of ``simulator.cqrs``'s code,
and must agree to the hundredth of a point and to the penny.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from collections.abc import Collection, Iterable, Mapping

from simulator.contracts.errors import exact_number
from simulator.population.nhs_number import is_valid as is_valid_nhs_number
from simulator.qof.catalogue import Catalogue
from simulator.qof.engines import PracticeCounts

NHS_LIKE = re.compile(r"^[0-9]{3} ?[0-9]{3} ?[0-9]{4}$")
NHS_IN_TEXT = re.compile(rb"(?<![0-9A-Za-z])[0-9]{3} ?[0-9]{3} ?[0-9]{4}(?![0-9A-Za-z])")


@dataclass
class Discrepancy:
    check: str
    practice_code: str | None
    detail: str

    def as_dict(self) -> dict:
        return {"check": self.check, "practice_code": self.practice_code, "detail": self.detail}


@dataclass
class Reconciliation:
    discrepancies: list[Discrepancy] = field(default_factory=list)
    checks: Counter = field(default_factory=Counter)  # check name -> number of comparisons made

    def compare(self, check: str, practice: str | None, ok: bool, detail: str) -> None:
        self.checks[check] += 1
        if not ok:
            self.discrepancies.append(Discrepancy(check, practice, detail))


def _count_differences(got, want) -> str:
    """Only what differs, each count named (``DM26 numerator: supplier 383, reference 382 (+1)``), not the
    whole practice twice; `qofsim conform check` names the rule step and the patients."""
    if want is None:
        return "the reference engine has no counts for this practice"
    out = []
    if got[0] != want[0]:
        out.append(f"list_size: supplier {got[0]}, reference {want[0]} ({got[0] - want[0]:+d})")
    for rid in sorted(set(got[1]) | set(want[1])):
        g, w = got[1].get(rid), want[1].get(rid)
        if g != w:
            out.append(f"register {rid}: supplier {g}, reference {w}")
    for iid in sorted(set(got[2]) | set(want[2])):
        g, w = got[2].get(iid), want[2].get(iid)
        for n, name in enumerate(("numerator", "denominator", "exceptions")):
            gv, wv = (g[n] if g else None), (w[n] if w else None)
            if gv != wv:
                by = f" ({gv - wv:+d})" if isinstance(gv, int) and isinstance(wv, int) else ""
                out.append(f"{iid} {name}: supplier {gv}, reference {wv}{by}")
    return "; ".join(out)


def _values(obj):
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield k
            yield from _values(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from _values(v)
    else:
        yield obj


def nhs_numbers_in(body: bytes) -> list[str]:
    """Every value in a message that is a valid NHS number (ten digits, Modulus 11, spaces allowed).

    JSON is walked value by value, so digits inside an identifier (a UUID) are not mistaken for one;
    anything else is scanned as text."""
    try:
        values = list(_values(json.loads(body)))
    except (ValueError, UnicodeDecodeError):
        found = [m.decode().replace(" ", "") for m in NHS_IN_TEXT.findall(body)]
        return [n for n in found if is_valid_nhs_number(n)]
    found = []
    for v in values:
        text = str(v) if isinstance(v, int) and not isinstance(v, bool) else v
        if isinstance(text, str) and NHS_LIKE.match(text.strip()) and is_valid_nhs_number(text.replace(" ", "")):
            found.append(text.replace(" ", ""))
    return found


# ---------------------------------------------------------------- the independent (QMAS) calculation


def _threshold_points(G: Fraction, lo: Fraction, hi: Fraction, a: int, b: int) -> Fraction:
    pct = Fraction(100 * a, b)
    if pct >= hi:  # checked first: a single-threshold row (lower == upper) is all or nothing
        return G
    return Fraction(0) if pct <= lo else G * (pct - lo) / (hi - lo)


def qmas_points(catalogue: Catalogue, body: dict, manual: Iterable[dict] = ()) -> dict[str, Fraction]:
    """Points per indicator from one extract's JSON and the practice's manual entries, by the
    published formula, in exact fractions."""
    out: dict[str, Fraction] = {}
    counts = {i["id"]: i for i in body["indicators"]}
    entered = {m["ind_code"]: m for m in manual}
    register_of = {r.indicator: r.id for r in catalogue.rules.registers.values()}
    for code, d in catalogue.indicators.items():
        G = Fraction(str(d.points))
        if code in register_of:
            out[code] = G if register_of[code] in body["registers"] else Fraction(0)
        elif code in counts and d.kind == "yesno":  # evidence in the records: yes when the numerator is 1 or more
            out[code] = G if counts[code]["numerator"] >= 1 else Fraction(0)
        elif code in counts:
            a, b = counts[code]["numerator"], counts[code]["denominator"]
            out[code] = _threshold_points(G, Fraction(str(d.lower)), Fraction(str(d.upper)), a, b) if b else Fraction(0)
        elif code in entered and not d.extracted:
            m = entered[code]
            if m["achieved"] is not None:
                out[code] = G if m["achieved"] else Fraction(0)
            elif m["denominator"]:
                out[code] = _threshold_points(G, Fraction(str(d.lower)), Fraction(str(d.upper)), m["numerator"],
                                              m["denominator"])
            else:
                out[code] = Fraction(0)
        else:
            out[code] = Fraction(0)
    return out


def qmas_payment(catalogue: Catalogue, body: dict, points: Mapping[str, Fraction],
                 national: Mapping[str, Fraction], target_average: Mapping[str, Fraction] | None = None) -> Decimal:
    """The practice's payment: points x £/point x CPI x APDF (clinical), x CPI (organisational,
    patient experience), x target population / national average target population (an additional
    service whose group the extract carries, else CPI), rounded to pence once."""
    p = catalogue.parameters
    ppp, divisor = Fraction(str(p.pounds_per_point)), Fraction(str(p.cpi_divisor))
    list_size = body["list_size"]
    cpi = Fraction(list_size) / divisor
    area_register = {r.area: r.id for r in catalogue.rules.registers.values()}
    group_of = {t.area: t.group for t in p.target_populations}
    sent_targets = body.get("target_populations", {})
    total = Fraction(0)
    for code, pts in points.items():
        d = catalogue.indicators[code]
        factor = cpi
        if d.domain == "Clinical" and d.area in area_register and d.area not in p.apdf_one_areas:
            rid = area_register[d.area]
            nat = national.get(rid, Fraction(0))
            factor = cpi * (Fraction(body["registers"].get(rid, 0), list_size) / nat) if nat and list_size else Fraction(0)
        elif d.domain == "Additional services" and group_of.get(d.area) in sent_targets \
                and (target_average or {}).get(group_of[d.area]) is not None:
            natp = target_average[group_of[d.area]]
            factor = Fraction(sent_targets[group_of[d.area]]) / natp if natp else Fraction(0)
        total += pts * ppp * factor
    return (Decimal(total.numerator) / Decimal(total.denominator)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP) \
        if total else Decimal("0.00")


def qmas_target_average(catalogue: Catalogue, bodies: Iterable[dict]) -> dict[str, Fraction]:
    """National average target population per group: CPI divisor x total target population / total
    list, over the extracts that carry the group (or the figures the parameters file fixes).
    One pass over ``bodies`` (a national run's are parsed one at a time)."""
    fixed = catalogue.parameters.national_average_target_population  # an input of the parameters file, not CQRS's arithmetic
    if fixed:
        return {k: Fraction(str(v)) for k, v in fixed.items()}
    groups = [t.group for t in catalogue.parameters.target_populations]
    target, listed = dict.fromkeys(groups, 0), dict.fromkeys(groups, 0)
    for b in bodies:
        sent = b.get("target_populations", {})
        for g in groups:
            if g in sent:
                target[g] += sent[g]
                listed[g] += b["list_size"]
    return {g: Fraction(str(catalogue.parameters.cpi_divisor)) * Fraction(target[g], listed[g])
            for g in groups if listed[g]}


def qmas_national(catalogue: Catalogue, bodies: Iterable[dict]) -> dict[str, Fraction]:
    """National prevalence per register: registers over list sizes of every extract (one pass)."""
    fixed = catalogue.parameters.national_prevalence
    if fixed:
        return {k: Fraction(str(v)) for k, v in fixed.items()}
    total_list, registered = 0, dict.fromkeys(catalogue.rules.registers, 0)
    for b in bodies:
        total_list += b["list_size"]
        for r in registered:
            registered[r] += b["registers"].get(r, 0)
    return {r: Fraction(n, total_list) if total_list else Fraction(0) for r, n in registered.items()}


class _Parsed(Mapping):
    """key -> the JSON document of its bytes, parsed on each read (not held: a national run has
    thousands)."""

    def __init__(self, raw: Mapping[str, bytes | str]):
        self._raw = raw

    def __getitem__(self, key):
        return json.loads(self._raw[key], parse_float=exact_number)  # a count written 33.0 is 33, as CQRS read it

    def __iter__(self):
        return iter(self._raw)

    def __len__(self):
        return len(self._raw)


# ---------------------------------------------------------------- the whole reconciliation


def reconcile(catalogue: Catalogue, practices: list[dict], outboxes: list[dict], gpes_receipts: list[dict],
              cqrs_extracts: list[dict], cqrs_bodies: Mapping[str, bytes], achievements: Mapping[str, dict],
              payment_instructions: list[dict], oracle: Mapping[str, PracticeCounts] | None = None,
              expected_rejections: int = 0, manual: Mapping[str, list[dict]] | None = None,
              oracle_targets: Mapping[str, Mapping[str, int]] | None = None,
              oracle_practices: Collection[str] | None = None) -> Reconciliation:
    """Every check of a run. ``oracle``: the reference engine's counts, compared with what each
    practice's supplier sent; ``oracle_practices``: only these practices were re-counted (a
    sample), so only these are compared (None: every practice CQRS holds)."""
    rec = Reconciliation()
    codes = [p["practice_code"] for p in practices]
    accepted = [o for o in outboxes if o["status"] in (200, 201)]
    sent_by_practice: dict[str, dict[str, dict]] = {}
    for o in accepted:
        sent_by_practice.setdefault(o["practice_code"], {})[o["extract_id"]] = o
    for o in outboxes:
        rec.compare("no patient identifier leaves a supplier", o["practice_code"], not nhs_numbers_in(o["body"].encode()),
                    f"extract {o['extract_id']} carries an NHS-number-like value")
    rejected = [o for o in outboxes if o["status"] not in (200, 201)]
    rec.compare("rejected submissions as expected", None, len(rejected) == expected_rejections,
                f"{len(rejected)} submissions were refused by GPES, {expected_rejections} expected")

    receipts = {r["extract_id"]: r for r in gpes_receipts}
    stored = {x["extract_id"]: x for x in cqrs_extracts}
    current = {x["practice_code"]: x for x in cqrs_extracts if x["current"]}
    for code in codes:
        sent = sent_by_practice.get(code, {})
        rec.compare("one extract per practice sent", code, len(sent) == 1,
                    f"{len(sent)} distinct accepted extracts sent")
        for extract_id, o in sent.items():
            r = receipts.get(extract_id)
            rec.compare("GPES received what the supplier sent", code, r is not None and r["sha256"] == o["sha256"],
                        f"extract {extract_id}: GPES {'has no receipt' if r is None else 'checksum differs'}")
            x = stored.get(extract_id)
            rec.compare("CQRS stored what GPES received", code, x is not None and x["sha256"] == o["sha256"],
                        f"extract {extract_id}: CQRS {'has no extract' if x is None else 'checksum differs'}")
            body = cqrs_bodies.get(extract_id)
            rec.compare("bytes unchanged end to end", code, body is not None and body == o["body"].encode(),
                        f"extract {extract_id}: stored bytes differ from the bytes sent")
        rec.compare("CQRS holds one current extract", code, code in current, "no current extract in CQRS")

    # and the converse: GPES and CQRS hold nothing this collection's suppliers did not send (a database
    # shared with an earlier run, or anything else that got in, is not silently counted as reconciled)
    sent_ids = {o["extract_id"] for o in outboxes}
    for extract_id, r in receipts.items():
        rec.compare("GPES received only what suppliers sent", r["practice_code"], extract_id in sent_ids,
                    f"GPES holds extract {extract_id}, which no supplier sent in this collection")
    for extract_id, x in stored.items():
        rec.compare("CQRS stored only what GPES received", x["practice_code"], extract_id in receipts,
                    f"CQRS holds extract {extract_id}, which GPES did not receive in this collection")

    # counts conserved: national totals per indicator field, supplier side vs CQRS side
    def totals(bodies: Iterable[dict]) -> Counter:
        c: Counter = Counter()
        for b in bodies:
            c["list_size"] += b["list_size"]
            for k, v in b["registers"].items():
                c[f"register {k}"] += v
            for k, v in b.get("target_populations", {}).items():
                c[f"target population {k}"] += v
            for i in b["indicators"]:
                for f in ("numerator", "denominator", "exceptions"):
                    c[f"{i['id']} {f}"] += i[f]
        return c

    sent_bodies = (json.loads(next(iter(s.values()))["body"], parse_float=exact_number)
                   for s in sent_by_practice.values() if s)
    stored_bodies = _Parsed({x["practice_code"]: cqrs_bodies[x["extract_id"]]
                             for x in current.values() if x["extract_id"] in cqrs_bodies})
    a, b = totals(sent_bodies), totals(stored_bodies.values())
    for key in sorted(set(a) | set(b)):
        rec.compare("counts conserved supplier -> CQRS", None, a[key] == b[key], f"{key}: sent {a[key]}, CQRS {b[key]}")

    if oracle is not None:
        for code in stored_bodies if oracle_practices is None else sorted(set(oracle_practices) & set(stored_bodies)):
            body = stored_bodies[code]
            o = oracle.get(code)
            got = (body["list_size"], body["registers"], {i["id"]: (i["numerator"], i["denominator"], i["exceptions"])
                                                          for i in body["indicators"]})
            want = None if o is None else (o.list_size, {k: o.registers[k] for k in body["registers"]},
                                           {k: (o.indicators[k].numerator, o.indicators[k].denominator,
                                                o.indicators[k].exceptions) for k in got[2]})
            rec.compare("supplier counts match the reference engine", code, got == want,
                        "" if got == want else _count_differences(got, want))
            if oracle_targets is not None:
                sent_t = body.get("target_populations", {})
                want_t = {k: oracle_targets.get(code, {}).get(k) for k in sent_t}
                rec.compare("target populations match the reference count", code, sent_t == want_t,
                            f"supplier sent {sent_t}, reference count {want_t}")

    national = qmas_national(catalogue, stored_bodies.values())
    target_average = qmas_target_average(catalogue, stored_bodies.values())
    for code, body in stored_bodies.items():
        ach = achievements.get(code)
        if ach is None:
            rec.compare("CQRS calculated every practice", code, False, "no achievement record")
            continue
        pts = qmas_points(catalogue, body, (manual or {}).get(code, ()))
        for ind in ach["indicators"]:
            mine = Decimal(pts[ind["ind_code"]].numerator) / Decimal(pts[ind["ind_code"]].denominator)
            ok = mine.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP) == Decimal(ind["points"]).quantize(
                Decimal("0.01"), rounding=ROUND_HALF_UP)
            rec.compare("points re-derive (QMAS)", code, ok,
                        f"{ind['ind_code']}: CQRS {ind['points']}, re-derived {mine:.6f}")
        pay = qmas_payment(catalogue, body, pts, national, target_average)
        rec.compare("payment re-derives to the penny (QMAS)", code, pay == Decimal(ach["payment_gbp"]),
                    f"CQRS £{ach['payment_gbp']}, re-derived £{pay}")

    instructed = Counter(i["practice_code"] for i in payment_instructions)
    amount_of: dict[str, str] = {}  # each practice's first instruction: one pass, not one scan per practice
    for i in payment_instructions:
        amount_of.setdefault(i["practice_code"], i["amount_gbp"])
    for code, ach in achievements.items():
        if ach["state"] == "Payment Instructed":
            rec.compare("one payment instruction per paid practice", code, instructed[code] == 1,
                        f"{instructed[code]} payment instructions")
            amount = amount_of.get(code)
            rec.compare("payment instruction equals the calculated payment", code, amount == ach["payment_gbp"],
                        f"instruction £{amount}, calculated £{ach['payment_gbp']}")
    return rec
