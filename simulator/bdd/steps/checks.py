"""Reconciliation (counts conserved, the reference engine, the independent QMAS re-derivation), record
faults, and killing and restarting services."""

from __future__ import annotations

import time
from collections import Counter

from simulator.bdd.context import Story, area, catalogue, register
from simulator.bdd.library import Mismatch, StepRefused, step
from simulator.bdd.oracle import diff_reference, reference_counts
from simulator.reconcile import reconcile
from simulator.world import kill, restart

REFUSED_FAULTS = {"numerator_above_denominator", "missing_indicator", "duplicate_indicator", "negative_count",
                  "wrong_spec", "wrong_supplier_practice", "non_integer_count"}


def _clean_practices(qof: Story) -> list[dict]:
    """The practices whose supplier sends their extract as it should (no supplier fault but resend)."""
    faulty = {p for p, k, _ in qof.spec().supplier_faults if k != "resend"} if qof.pool.external is None else set()
    return [p for p in qof.practices() if p["practice_code"] not in faulty]


def _evidence(qof: Story) -> dict:
    extracts = qof.extracts()
    return {"outboxes": qof.outbox(), "receipts": qof.receipts(), "extracts": extracts,
            "bodies": {x["extract_id"]: qof.w.cqrs().extract_body(x["extract_id"]) for x in extracts}}


def _fail_on(rec, checks: set[str] | None = None) -> None:
    bad = [d for d in rec.discrepancies if checks is None or d.check in checks]
    if bad:
        d = bad[0]
        raise Mismatch(f"{d.check}" + (f" for {d.practice_code}" if d.practice_code else "") + f": {d.detail}"
                       + (f" (and {len(bad) - 1} more discrepancies)" if len(bad) > 1 else ""))


@step("then", "every count is conserved from the suppliers through GPES to CQRS", stage="reconciliation",
      example="every count is conserved from the suppliers through GPES to CQRS")
def _conserved(qof: Story):
    """qofsim's reconciliation over this collection: one extract per practice sent, GPES received and CQRS
    stored what the supplier sent (same SHA-256, same bytes), national totals of every count equal on
    both sides, no NHS number left a supplier. Practices the scenario gave a refused-extract fault are
    left out."""
    ev = _evidence(qof)
    keep = {p["practice_code"] for p in _clean_practices(qof)}
    rec = reconcile(catalogue(), [p for p in qof.practices() if p["practice_code"] in keep],
                    [o for o in ev["outboxes"] if o["practice_code"] in keep],
                    [r for r in ev["receipts"] if r["practice_code"] in keep],
                    [x for x in ev["extracts"] if x["practice_code"] in keep], ev["bodies"], {}, [])
    _fail_on(rec, {"no patient identifier leaves a supplier", "one extract per practice sent",
                   "GPES received what the supplier sent", "CQRS stored what GPES received",
                   "bytes unchanged end to end", "CQRS holds one current extract", "counts conserved supplier -> CQRS"})


@step("then", "every payment re-derives to the penny from the counts CQRS stored", stage="reconciliation",
      example="every payment re-derives to the penny from the counts CQRS stored")
def _rederive(qof: Story):
    """The independent QMAS re-derivation (simulator/reconcile.py, which uses none of CQRS's code): every
    indicator's points and every practice's payment from the stored bytes and manual entries; and every
    payment instruction of the scenario equals the calculated payment."""
    ev = _evidence(qof)
    current = [x for x in ev["extracts"] if x["current"]]
    cqrs = qof.w.cqrs()
    achievements = {x["practice_code"]: cqrs.achievement(x["practice_code"]).model_dump(mode="json") for x in current}
    manual = {p: cqrs.manual_entries(p) for p in achievements}
    instructions = [i.model_dump(mode="json") for r in qof.payment_runs for i in r.instructions]
    rec = reconcile(catalogue(), qof.practices(), ev["outboxes"], ev["receipts"], ev["extracts"], ev["bodies"],
                    achievements, instructions, manual=manual)
    _fail_on(rec, {"points re-derive (QMAS)", "payment re-derives to the penny (QMAS)", "CQRS calculated every practice",
                   "one payment instruction per paid practice", "payment instruction equals the calculated payment"})
    if rec.checks["payment re-derives to the penny (QMAS)"] != len(current) or not current:
        raise Mismatch(f"{rec.checks['payment re-derives to the penny (QMAS)']} payments re-derived; CQRS holds "
                       f"{len(current)} current extracts of this collection")


@step("then", "every supplier's counts equal the reference engine's count of its records", stage="reconciliation",
      example="every supplier's counts equal the reference engine's count of its records")
def _oracle_all(qof: Story):
    """Each practice's accepted extract against qofsim's per-patient reference engine on its records."""
    for p in _clean_practices(qof):
        supplier, body = qof.sent_body(p["practice_code"])
        diffs = diff_reference(body, reference_counts(qof, p["practice_code"]))
        if diffs:
            what, sent, ref = diffs[0]
            raise Mismatch(f"{supplier} sent {what} {sent} for {p['practice_code']}; the reference engine counts "
                           f"{ref}" + (f" (and {len(diffs) - 1} more differences)" if len(diffs) > 1 else ""))


# ---------------------------------------------------------------- record faults


@step("then", "the counts CQRS holds for {practice:Practice} equal those of its records without the fault",
      stage="faults", example="the counts CQRS holds for A81002 equal those of its records without the fault")
def _as_if_clean(qof: Story, practice):
    """The reference engine's count of the practice's records in the same nation generated without the
    scenario's record faults (a fault a correct extraction ignores leaves every count unchanged)."""
    body = qof.current_body(qof.practice(practice)["practice_code"])
    diffs = diff_reference(body, reference_counts(qof, practice, without_record_faults=True))
    if diffs:
        what, held, clean = diffs[0]
        raise Mismatch(f"CQRS holds {what} {held} for {practice}; its records without the fault count {clean}"
                       + (f" (and {len(diffs) - 1} more differences)" if len(diffs) > 1 else ""))


@step("then", "the counts CQRS holds for {practice:Practice} differ from those of its records without the fault",
      stage="faults", example="the counts CQRS holds for A81004 differ from those of its records without the fault")
def _not_as_if_clean(qof: Story, practice):
    body = qof.current_body(qof.practice(practice)["practice_code"])
    if not diff_reference(body, reference_counts(qof, practice, without_record_faults=True)):
        raise Mismatch(f"CQRS holds for {practice} exactly the counts of its records without the fault")


@step("then", "CQRS holds a {reg:Words} register of {n:Count} for {practice:Practice}", stage="faults",
      example="CQRS holds a diabetes register of 0 for A81005")
def _register_held(qof: Story, reg, n, practice):
    rid = register(reg)
    got = qof.current_body(qof.practice(practice)["practice_code"])["registers"].get(rid)
    if got != n:
        raise Mismatch(f"CQRS holds register {rid} {got} for {practice}; the scenario expects {n}")


@step("then", "CQRS holds every {name:Words} indicator of {practice:Practice} at {num:Count} of {den:Count}",
      stage="faults", example="CQRS holds every Diabetes indicator of A81005 at 0 of 0")
def _area_held(qof: Story, name, practice, num, den):
    a = area(name)
    codes = {c for c, d in catalogue().indicators.items() if d.area == a and d.extracted and d.kind != "register"}
    body = qof.current_body(qof.practice(practice)["practice_code"])
    for i in body["indicators"]:
        if i["id"] in codes and (i["numerator"], i["denominator"]) != (num, den):
            raise Mismatch(f"CQRS holds {i['id']} {i['numerator']} of {i['denominator']} for {practice}; the "
                           f"scenario expects every {a} indicator at {num} of {den}")


# ---------------------------------------------------------------- kill and restart


def _service(qof: Story, name: str) -> str:
    svc = name.lower() if name in ("CQRS", "GPES") else f"supplier-{name}"
    if svc not in qof.w.file.services:
        raise StepRefused(f"this world has no {name} service (it has {', '.join(qof.w.file.services)})")
    return svc


def _wait(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.02)
    raise Mismatch(f"timed out after {timeout:.0f} s waiting for {what}")


def _acknowledged(qof: Story, collection_id: str) -> int:
    try:
        return qof.w.gpes().collection(collection_id)["tally"].get("acknowledged", 0)
    except Exception:  # GPES restarting
        return 0


@step("when", "{service:Service} is killed while the extracts are on their way, and started again",
      stage="resilience", example="CQRS is killed while the extracts are on their way, and started again", mutates=True)
def _kill_mid(qof: Story, service):
    """Starts a collection (unless one was started), waits until CQRS has acknowledged a first extract,
    SIGKILLs the service (no clean shutdown), waits a second, starts it again on the same port and
    database, and waits for the collection to finish."""
    live = qof.world()
    svc = _service(qof, service)
    cid = qof.started or qof.start()
    _wait(lambda: _acknowledged(qof, cid) >= 1, 60, "a first extract acknowledged by CQRS")
    kill(live.directory, svc)
    time.sleep(1.0)
    restart(live.directory, svc)
    qof.finish(cid)


@step("given/when", "{service:Service} is killed", stage="resilience", example="CQRS is killed", mutates=True)
def _kill(qof: Story, service):
    """SIGKILL: no clean shutdown, no flush."""
    kill(qof.world().directory, _service(qof, service))


@step("given/when", "{service:Service} is started again", stage="resilience", example="CQRS is started again", mutates=True)
def _restart(qof: Story, service):
    """The service's own command again: the same port, configuration and database."""
    restart(qof.world().directory, _service(qof, service))


@step("then", "GPES holds every practice's extract, reporting it forwarded but not yet acknowledged",
      stage="resilience", example="GPES holds every practice's extract, reporting it forwarded but not yet acknowledged")
def _held_back(qof: Story):
    """While CQRS cannot be reached, every practice of the collection started in this scenario reaches
    status 'forwarded' (stored by GPES, forwarding tried and failed, to be retried)."""
    if qof.started is None:
        raise StepRefused("no collection was started in this scenario ('When GPES starts collecting ...')")
    cid = qof.started

    def all_forwarded():
        c = qof.w.gpes().collection(cid)
        return c if {p["status"] for p in c["practices"]} == {"forwarded"} else None

    try:
        c = _wait(all_forwarded, 60, "every practice forwarded")
    except Mismatch:
        c = qof.w.gpes().collection(cid)
        raise Mismatch(f"GPES reports {c['tally']}; the scenario expects every practice forwarded") from None
    if not all(p["reason"] for p in c["practices"]):
        raise Mismatch("GPES reports a practice forwarded without saying why CQRS was not reached")


@step("then", "every extract a supplier was told was accepted is in CQRS exactly once, byte for byte",
      stage="resilience", example="every extract a supplier was told was accepted is in CQRS exactly once, byte for byte")
def _exactly_once(qof: Story):
    sent = qof.outbox()
    accepted = {o["extract_id"]: o for o in sent if o["status"] in (200, 201)}
    codes = {p["practice_code"] for p in qof.practices()}
    missing = codes - {o["practice_code"] for o in accepted.values()}
    if missing:
        raise Mismatch(f"no accepted extract for {', '.join(sorted(missing))} in this collection")
    stored = qof.extracts()
    times = Counter(x["extract_id"] for x in stored)
    lost = [accepted[i]["practice_code"] for i in accepted if times[i] == 0]
    if lost:
        raise Mismatch(f"CQRS holds nothing of the accepted extracts of {', '.join(sorted(lost))}")
    doubled = [x["practice_code"] for x in stored if times[x["extract_id"]] > 1]
    if doubled:
        raise Mismatch(f"CQRS holds {', '.join(sorted(set(doubled)))}'s extract more than once")
    stray = [x["practice_code"] for x in stored if x["extract_id"] not in accepted]
    if stray:
        raise Mismatch(f"CQRS holds extracts for {', '.join(stray)} no supplier was told were accepted")
    for x in stored:
        o = accepted[x["extract_id"]]
        if x["sha256"] != o["sha256"] or qof.w.cqrs().extract_body(x["extract_id"]) != o["body"].encode():
            raise Mismatch(f"CQRS holds other bytes for {x['practice_code']} than "
                           f"{qof.supplier_of(x['practice_code'])} sent")
    receipts = Counter(r["extract_id"] for r in qof.receipts())
    if receipts != Counter(set(accepted)):
        raise Mismatch(f"GPES holds receipts {dict(receipts)} for {len(accepted)} accepted extracts")
