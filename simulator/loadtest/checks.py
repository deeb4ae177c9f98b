"""After a load run: correct under load, not only fast.

* **conservation** — every extract Locust saw accepted is held by GPES and by CQRS exactly once, with
  the SHA-256 of the bytes the supplier sent (and a sample of stored bodies byte for byte); GPES
  forwarded all of them; no practice has two current extracts;
* **workflow** — what the run left half-done is finished (commissioners approve the practices still
  awaiting them, finance runs a last payment), then every practice whose declaration stands has
  exactly one payment instruction, one it withdrew or saw rejected none, each for the calculated sum;
* **manual entries** — CQRS holds the last entries each practice stored;
* **re-derivation** — CQRS recalculates, and for a sample of practices every indicator's points and
  the payment are worked out again from the stored counts by ``simulator.reconcile``'s independent
  (QMAS) functions, over a national prevalence taken from every current extract.

Each check adds what it counted to the summary and a one-line failure for what is wrong.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import statistics
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from decimal import ROUND_HALF_UP, Decimal

from simulator.loadtest.plan import Plan, sha256
from simulator.loadtest.target import Target, wait_forwarded
from simulator.reconcile import qmas_national, qmas_payment, qmas_points, qmas_target_average
from simulator.transport.http import CqrsClient, GpesClient

PAID = "Payment Instructed"


class Outcome:
    def __init__(self) -> None:
        self.summary: dict = {}
        self.failures: list[str] = []

    def fail(self, message: str) -> None:
        self.failures.append(message)


def _pmap(fn, items, threads: int = 4) -> list:
    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(fn, items))


def _ms(xs: list[float], q: int) -> float | None:
    if not xs:
        return None
    if len(xs) == 1:
        return round(xs[0], 1)
    return round(statistics.quantiles(xs, n=100)[q - 1], 1)


def _ts(text: str) -> float:
    t = dt.datetime.fromisoformat(text)
    return (t if t.tzinfo else t.replace(tzinfo=dt.timezone.utc)).timestamp()


def conservation(out: Outcome, plan: Plan, target: Target, run_accepted: dict, setup_accepted: dict,
                 resent: int, drain_timeout_s: float) -> list[dict] | None:
    """Returns every extract CQRS holds (read once: the list is long, and CQRS is slow to give it)."""
    accepted = {**setup_accepted, **run_accepted}
    s: dict = {"accepted_in_run": len(run_accepted), "accepted_in_setup": len(setup_accepted), "resent": resent}
    out.summary["extracts"] = s
    if not accepted:
        return None
    try:
        s["drain_s"] = round(wait_forwarded(plan.gpes_url, drain_timeout_s), 2)
    except Exception as exc:  # noqa: BLE001 - reported, and the checks below say what is missing
        out.fail(f"forwarding: {exc}")
    gpes = GpesClient(plan.gpes_url, timeout=300, token=plan.token("gpes"))
    cqrs = CqrsClient(plan.cqrs_url, timeout=300, token=plan.token("auditor"))
    ids = list(plan.requests.values())
    receipts, everything = gpes.receipts(ids), cqrs.extracts()
    wanted = set(ids)
    stored = [x for x in everything if x["request_id"] in wanted]
    rmap = {r["extract_id"]: r for r in receipts}
    smap = {x["extract_id"]: x for x in stored}
    doubled = [i for i, n in Counter(r["extract_id"] for r in receipts).items() if n > 1] + \
              [i for i, n in Counter(x["extract_id"] for x in stored).items() if n > 1]
    current = Counter(x["practice_code"] for x in everything if x["current"])
    two_current = sorted(p for p, n in current.items() if n > 1)
    lost_gpes = [i for i in accepted if i not in rmap]
    lost_cqrs = [i for i in accepted if i not in smap]
    not_forwarded = [i for i in accepted if i in rmap and rmap[i]["forward_state"] != "acknowledged"]
    altered = [i for i, (_, sha) in accepted.items()
               if (i in rmap and rmap[i]["sha256"] != sha) or (i in smap and smap[i]["sha256"] != sha)]
    unrebuilt = [i for i, (p, sha) in accepted.items() if sha256(plan.body(p, i)) != sha]
    sample = random.Random(plan.seed).sample(sorted(set(accepted) & set(smap)), min(40, len(set(accepted) & set(smap))))
    differ = [i for i, body in zip(sample, _pmap(cqrs.extract_body, sample)) if body != plan.body(accepted[i][0], i)]
    run_receipts = [rmap[i] for i in run_accepted if i in rmap and rmap[i]["acknowledged_at"]]
    s |= {"held_by_gpes": len(accepted) - len(lost_gpes), "forwarded": len(accepted) - len(lost_gpes) - len(not_forwarded),
          "held_by_cqrs": len(accepted) - len(lost_cqrs), "lost": len(set(lost_gpes) | set(lost_cqrs)),
          "doubled": len(doubled) + len(two_current), "altered": len(altered), "bodies_compared": len(sample),
          "bodies_differ": len(differ),
          "unconfirmed": sum(1 for i in rmap if i not in accepted)}  # stored, but Locust never saw the 201 (a timeout)
    if run_receipts:
        first = min(_ts(r["received_at"]) for r in run_receipts)
        last = max(_ts(r["acknowledged_at"]) for r in run_receipts)
        lat = [(_ts(r["acknowledged_at"]) - _ts(r["received_at"])) * 1000 for r in run_receipts]
        s |= {"end_to_end_per_s": round(len(run_receipts) / max(last - first, 1e-3), 1),
              "gpes_to_cqrs_p50_ms": _ms(lat, 50), "gpes_to_cqrs_p95_ms": _ms(lat, 95)}
    if lost_gpes or lost_cqrs:
        out.fail(f"{s['lost']} accepted extracts lost ({len(lost_gpes)} not in GPES, {len(lost_cqrs)} not in CQRS; "
                 f"e.g. {(lost_gpes or lost_cqrs)[0]})")
    if not_forwarded:
        states = Counter(rmap[i]["forward_state"] for i in not_forwarded)
        out.fail(f"{len(not_forwarded)} accepted extracts not acknowledged by CQRS ({dict(states)})")
    if doubled:
        out.fail(f"{len(doubled)} extracts held twice (e.g. {doubled[0]})")
    if two_current:
        out.fail(f"{len(two_current)} practices with more than one current extract in CQRS (e.g. {two_current[0]})")
    if altered:
        out.fail(f"{len(altered)} extracts stored with a checksum other than the bytes sent (e.g. {altered[0]})")
    if unrebuilt or differ:
        out.fail(f"{len(unrebuilt) + len(differ)} stored extracts are not the bytes the supplier sent")
    return everything


def workflow(out: Outcome, plan: Plan, tally: dict) -> None:
    events: dict[str, list[str]] = tally.get("workflow", {})
    if not events and not tally.get("instructions"):
        return
    last = {p: evs[-1] for p, evs in events.items()}
    waiting = sorted(p for p, e in last.items() if e == "declared")
    for p in waiting:  # the commissioners finish what the run left
        ccg = plan.practice(p)[2]
        CqrsClient(plan.cqrs_url, timeout=300, token=plan.token("commissioner", ccg=ccg)).decide(p, ccg, "approve")
    settle = CqrsClient(plan.cqrs_url, timeout=300, token=plan.token("finance")).payment_run()  # finance pays again
    instructions = [tuple(i) for i in tally.get("instructions", [])] + \
                   [(i.practice_code, i.amount_gbp, i.instruction_id) for i in settle.instructions]
    per = Counter(p for p, _, _ in instructions)
    standing = sorted(p for p, e in last.items() if e in ("declared", "approved"))
    withdrawn = sorted(p for p, e in last.items() if e == "rejected")
    wrong = [p for p in standing if per[p] != 1] + [p for p in withdrawn if per[p] != 0]
    ours = set(events)
    out.summary["workflow"] = {
        "declarations": sum(e.count("declared") for e in events.values()),
        "approvals": sum(e.count("approved") for e in events.values()),
        "rejections": sum(e.count("rejected") for e in events.values()),
        "refused_wrong_ccg": tally.get("refused_approvers", 0),
        "payment_instructions_in_run": len(tally.get("instructions", [])),
        "approved_and_paid_after_run": len(waiting), "payment_instructions_after_run": len(settle.instructions),
        "practices_declared": len(standing), "practices_withdrawn": len(withdrawn),
        "practices_with_one_instruction": sum(1 for p in standing if per[p] == 1),
        "instructions_for_practices_not_declared_in_run": sum(n for p, n in per.items() if p not in ours)}
    if wrong:
        p = wrong[0]
        out.fail(f"{len(wrong)} practices without exactly the payment instructions their declaration calls for "
                 f"(e.g. {p}: {per[p]}, expected {1 if p in standing else 0})")
    out.summary["workflow"]["_paid"] = {p: a for p, a, _ in instructions if p in ours}


def manual(out: Outcome, plan: Plan, rounds: dict[str, int], sample_n: int) -> None:
    if not rounds:
        return
    from simulator.practice import manual_entries
    from simulator.qof.catalogue import default_catalogue

    cat = default_catalogue()
    cqrs = CqrsClient(plan.cqrs_url, timeout=300, token=plan.token("auditor"))
    sample = random.Random(plan.seed).sample(sorted(rounds), min(sample_n, len(rounds)))
    key = lambda e: (e["ind_code"], e["achieved"], e["numerator"], e["denominator"])  # noqa: E731

    def differs(p: str) -> bool:
        want = {key(e.model_dump()) for e in manual_entries(cat, p, plan.seed + rounds[p]).entries}
        return {key(e) for e in cqrs.manual_entries(p)} != want

    bad = [p for p, d in zip(sample, _pmap(differs, sample)) if d]
    out.summary["manual_entries"] = {"practices_entered": len(rounds), "rounds": max(rounds.values()) + 1,
                                     "practices_compared": len(sample), "differ": len(bad)}
    if bad:
        out.fail(f"{len(bad)} of {len(sample)} practices compared hold manual entries other than the last they stored "
                 f"(e.g. {bad[0]})")


def rederive(out: Outcome, plan: Plan, accepted: dict, sample_n: int, everything: list[dict] | None = None) -> None:
    """CQRS recalculates; a sample of practices' points and payments are re-derived from the stored counts."""
    from simulator.qof.catalogue import default_catalogue

    cat = default_catalogue()
    cqrs = CqrsClient(plan.cqrs_url, timeout=600, token=plan.token("auditor"))
    t = time.perf_counter()
    calc = CqrsClient(plan.cqrs_url, timeout=600, token=plan.token("finance")).calculate()
    calculate_s = time.perf_counter() - t
    current = {x["practice_code"]: x for x in (everything if everything is not None else cqrs.extracts()) if x["current"]}
    missing = [x["extract_id"] for x in current.values() if x["extract_id"] not in accepted]
    fetched = dict(zip(missing, _pmap(cqrs.extract_body, missing)))
    bodies = {p: json.loads(plan.body(accepted[x["extract_id"]][0], x["extract_id"]) if x["extract_id"] in accepted
                            else fetched[x["extract_id"]]) for p, x in current.items()}
    national, targets = qmas_national(cat, bodies.values()), qmas_target_average(cat, bodies.values())
    ours = sorted(p[0] for p in plan.practices if p[0] in current)
    paid = out.summary.get("workflow", {}).pop("_paid", {})
    rng = random.Random(plan.seed)
    sample = sorted(set(rng.sample(ours, min(sample_n, len(ours)))) | set(rng.sample(sorted(paid), min(50, len(paid)))))

    def check(p: str) -> list[str]:
        ach = cqrs.get_json(f"/practices/{p}/achievement")
        problems = []
        if ach["extract_id"] != current[p]["extract_id"]:
            problems.append(f"{p}: calculated from extract {ach['extract_id']}, current is {current[p]['extract_id']}")
        pts = qmas_points(cat, bodies[p], cqrs.manual_entries(p))
        for ind in ach["indicators"]:
            mine = Decimal(pts[ind["ind_code"]].numerator) / Decimal(pts[ind["ind_code"]].denominator)
            if mine.quantize(Decimal("0.01"), ROUND_HALF_UP) != Decimal(ind["points"]).quantize(Decimal("0.01"), ROUND_HALF_UP):
                problems.append(f"{p} {ind['ind_code']}: CQRS {ind['points']} points, re-derived {mine:.6f}")
        pay = qmas_payment(cat, bodies[p], pts, national, targets)
        if pay != Decimal(ach["payment_gbp"]):
            problems.append(f"{p}: CQRS £{ach['payment_gbp']}, re-derived £{pay}")
        if p in paid and (paid[p] != ach["payment_gbp"] or ach["state"] != PAID):
            problems.append(f"{p}: instructed £{paid[p]}, calculated £{ach['payment_gbp']} ({ach['state']})")
        return problems

    problems = [x for xs in _pmap(check, sample) for x in xs]
    out.summary["rederivation"] = {"calculated": calc.get("calculated"), "calculate_s": round(calculate_s, 2),
                                   "current_extracts": len(current), "practices_compared": len(sample),
                                   "indicators_compared": len(sample) * len(cat.indicators),
                                   "paid_practices_compared": len(set(sample) & set(paid)), "discrepancies": len(problems),
                                   "first_discrepancies": problems[:5]}
    if problems:
        out.fail(f"{len(problems)} points or payments do not re-derive from the stored counts (e.g. {problems[0]})")


def run_all(plan: Plan, target: Target, tally: dict, setup_accepted: dict, setup_manual: dict[str, int],
            sample_n: int = 200, drain_timeout_s: float = 300) -> Outcome:
    out = Outcome()
    accepted = {**setup_accepted, **tally.get("accepted", {})}
    took = out.summary["checks_s"] = {}
    held: dict = {}
    for name, step in (
            ("conservation", lambda: held.update(everything=conservation(
                out, plan, target, tally.get("accepted", {}), setup_accepted, tally.get("resent", 0), drain_timeout_s))),
            ("workflow", lambda: workflow(out, plan, tally)),
            ("manual_entries", lambda: manual(out, plan, {**setup_manual, **tally.get("manual", {})}, sample_n)),
            ("rederivation", lambda: rederive(out, plan, accepted, sample_n, held.get("everything")))):
        t = time.perf_counter()
        step()
        took[name] = round(time.perf_counter() - t, 2)
    return out
