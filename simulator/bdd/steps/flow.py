"""Extraction request, supplier extract, GPES validation, forwarding, CQRS ingest and supersession."""

from __future__ import annotations

import json
import re
import uuid
from collections import Counter
from typing import Callable

from simulator.bdd.context import HttpAnswer, Story, attempt, diff_extracts, extracted_indicator, field_matches, register
from simulator.bdd.library import Mismatch, StepRefused, step
from simulator.bdd.oracle import reference_counts, diff_reference
from simulator.contracts import Extract, canonical_json, sha256
from simulator.contracts.headers import SHA_HEADER
from simulator.reconcile import nhs_numbers_in
from simulator.transport.http import post_extract

STATUSES = ("requested", "received", "rejected", "forwarded", "acknowledged", "refused by CQRS", "not collected")


# ---------------------------------------------------------------- collecting


@step("given/when", "GPES collects the QOF 2012/13 extraction", stage="extraction",
      example="GPES collects the QOF 2012/13 extraction")
def _collect(qof: Story):
    """GPES starts a collection (POST /collections): one extraction request per supplier; each supplier
    runs the business rules over its own practices and submits one extract per practice; GPES validates,
    stores and forwards them to CQRS. Waits until every supplier's job is done and nothing is in flight.
    Scenarios of a feature that share a world share its collection: the first that asks makes it."""
    qof.collect()


@step("given/when", "GPES collects the QOF 2012/13 extraction again", stage="cqrs",
      example="GPES collects the QOF 2012/13 extraction again", mutates=True)
def _collect_again(qof: Story):
    """A new collection, always: each practice's new extract supersedes the one CQRS held."""
    if not qof.world().collections:
        qof.collect()  # "again" after the first
    qof.collect(again=True)


@step("when", "GPES starts collecting the QOF 2012/13 extraction", stage="resilience",
      example="GPES starts collecting the QOF 2012/13 extraction", mutates=True)
def _start(qof: Story):
    """Starts a collection and goes on at once (the extracts are still on their way)."""
    qof.start()


@step("when", "the collection finishes", stage="resilience", example="the collection finishes")
def _finish(qof: Story):
    """Waits until the collection started in this scenario is finished (every job done, nothing in flight)."""
    qof.finish()


# ---------------------------------------------------------------- the extraction request


@step("then", 'GPES publishes the extraction "{spec_id:Text}" with {n:Count} indicators, {r:Count} registers and '
      "{t:Count} target populations", stage="extraction",
      example='GPES publishes the extraction "QOF-2012-13" with 104 indicators, 20 registers and 4 target populations')
def _spec(qof: Story, spec_id, n, r, t):
    """Reads GET /spec from the running GPES."""
    spec = qof.w.gpes().spec()
    got = (spec.spec_id, len(spec.indicators), len(spec.registers), len(spec.target_populations))
    if got != (spec_id, n, r, t):
        raise Mismatch(f'GPES publishes "{got[0]}" with {got[1]} indicators, {got[2]} registers and {got[3]} target '
                       f'populations; the scenario expects "{spec_id}" with {n}, {r} and {t}')


@step("then", "the extraction counts on {achievement:Date} and takes list sizes on {list_day:Date}",
      stage="extraction", example="the extraction counts on 31/03/2013 and takes list sizes on 01/01/2013")
def _dates(qof: Story, achievement, list_day):
    spec = qof.w.gpes().spec()
    if (spec.achievement_date, spec.list_size_date) != (achievement, list_day):
        raise Mismatch(f"GPES's spec counts on {spec.achievement_date:%d/%m/%Y} and takes list sizes on "
                       f"{spec.list_size_date:%d/%m/%Y}; the scenario expects {achievement:%d/%m/%Y} and "
                       f"{list_day:%d/%m/%Y}")


@step("then", "GPES sent one extraction request to each of {suppliers:Suppliers}", stage="extraction",
      example="GPES sent one extraction request to each of EMIS, TPP, INPS and Microtest")
def _requests(qof: Story, suppliers):
    reqs = qof.the_collection()["requests"]
    got = Counter(r["supplier"] for r in reqs)
    if sorted(got) != sorted(suppliers) or set(got.values()) != {1}:
        raise Mismatch(f"GPES's collection has requests to {dict(got)}; the scenario expects one to each of "
                       f"{', '.join(suppliers)}")
    failed = [f"{r['supplier']} ({r['status']}: {r['reason']})" for r in reqs if r["status"] != "dispatched"]
    if failed:
        raise Mismatch(f"GPES did not dispatch its request to {', '.join(failed)}")


@step("then", "the request to {supplier:Supplier} names its own {n:Count} practices and no other", stage="extraction",
      example="the request to EMIS names its own 4 practices and no other")
def _request_practices(qof: Story, supplier, n):
    own = qof.practices_of(supplier)
    named = sorted(p["practice_code"] for p in qof.the_collection()["practices"] if p["supplier"] == supplier)
    if len(own) != n:
        raise StepRefused(f"{supplier} has {len(own)} practices in this world, not {n}")
    if named != own:
        raise Mismatch(f"GPES's request to {supplier} names {', '.join(named)}; its practices are {', '.join(own)}")


@step("then", "every supplier answered at once with a job and finished it", stage="extraction",
      example="every supplier answered at once with a job and finished it")
def _jobs(qof: Story):
    """Each request was answered 202 with a job id, and the supplier's job (GET /jobs/{id}) is done with
    every one of its practices answered."""
    for r in qof.the_collection()["requests"]:
        if not r["job_id"]:
            raise Mismatch(f"{r['supplier']} gave GPES no job for request {r['request_id']} ({r['status']}: {r['reason']})")
        job = qof.w.supplier(r["supplier"]).job(r["job_id"])
        if job["status"] != "done" or job["practices_answered"] != job["practices"]:
            raise Mismatch(f"{r['supplier']}'s job is {job['status']} with {job['practices_answered']} of "
                           f"{job['practices']} practices answered ({job['reason'] or 'no reason given'})")


# ---------------------------------------------------------------- the supplier extract


@step("then", "every extract carries every register and indicator of the spec and nothing else", stage="extraction",
      example="every extract carries every register and indicator of the spec and nothing else")
def _complete(qof: Story):
    spec = qof.w.gpes().spec()
    regs, inds = {r.id for r in spec.registers}, [i.id for i in spec.indicators]
    for o in qof.outbox():
        body = json.loads(o["body"])
        who = f"{qof.supplier_of(o['practice_code'])}'s extract for {o['practice_code']}"
        if set(body["registers"]) != regs:
            raise Mismatch(f"{who} carries registers {sorted(set(body['registers']) ^ regs)} differently from the spec")
        got = [i["id"] for i in body["indicators"]]
        if got != inds:
            missing, extra = sorted(set(inds) - set(got)), sorted(set(got) - set(inds))
            raise Mismatch(f"{who} differs from the spec's indicators: missing {missing or 'none'}, extra {extra or 'none'}")
        unknown = set(body) - set(Extract.model_fields)
        if unknown:
            raise Mismatch(f"{who} carries fields the contract does not have: {sorted(unknown)}")


@step("then", "no extract that left a supplier carries an NHS number", stage="extraction",
      example="no extract that left a supplier carries an NHS number")
def _no_nhs(qof: Story):
    """Every body every supplier sent (accepted or not) is walked value by value for a valid NHS number."""
    sent = qof.outbox(final=False)
    if not sent:
        raise Mismatch("no supplier sent anything in this collection")
    for o in sent:
        found = nhs_numbers_in(o["body"].encode())
        if found:
            raise Mismatch(f"{qof.supplier_of(o['practice_code'])}'s extract for {o['practice_code']} carries "
                           f"NHS number {found[0]}")


@step("then", "{supplier:Supplier}'s counts for {practice:Practice} equal the reference engine's count of its records",
      stage="extraction", example="TPP's counts for A81002 equal the reference engine's count of its records")
def _oracle_one(qof: Story, supplier, practice):
    """The supplier's DuckDB engine against qofsim's independent per-patient reference engine, on the
    practice's own records."""
    qof.practice(practice, supplier)
    _, body = qof.sent_body(practice)
    diffs = diff_reference(body, reference_counts(qof, practice))
    if diffs:
        what, sent, ref = diffs[0]
        raise Mismatch(f"{supplier} sent {what} {sent} for {practice}; the reference engine counts {ref}"
                       + (f" (and {len(diffs) - 1} more differences)" if len(diffs) > 1 else ""))


# ---------------------------------------------------------------- GPES validation: hand-made extracts

ALTERATIONS: list[tuple[str, str]] = [
    (r"the spec id (?P<spec>\S+)", "the spec id QOF-2011-12"),
    (r"the achievement date (?P<day>\d\d/\d\d/\d{4})", "the achievement date 31/03/2012"),
    (r"the practice code (?P<code>[A-Z0-9]+)", "the practice code Z99999"),
    (r"the supplier (?P<supplier>EMIS|TPP|INPS|Microtest)", "the supplier EMIS"),
    (r"a request GPES never made", "a request GPES never made"),
    (r"the request GPES made to (?P<supplier>EMIS|TPP|INPS|Microtest)", "the request GPES made to EMIS"),
    (r"a request for (?P<code>[A-Z]\d{5}) only", "a request for A81006 only"),
    (r"no (?P<reg>[A-Za-z]+) register", "no DM register"),
    (r"an extra register (?P<reg>[A-Z0-9]+)", "an extra register XYZ"),
    (r"a (?P<reg>[A-Za-z]+) register larger than the list", "a DM register larger than the list"),
    (r"an extra indicator (?P<ind>[A-Z0-9]+)", "an extra indicator DM99"),
    (r"(?P<ind>[A-Z]+[0-9]+) twice", "DM26 twice"),
    (r"no (?P<ind>[A-Z]+[0-9]+)", "no DM26"),
    (r"(?P<ind>[A-Z]+[0-9]+) numerator above its denominator", "DM26 numerator above its denominator"),
    (r"a negative (?P<field>numerator|denominator|exceptions) for (?P<ind>[A-Z]+[0-9]+)", "a negative exceptions for DM26"),
    (r"a list size of (?P<value>[0-9.]+)", "a list size of 1500.5"),
    (r"an extra target population (?P<group>[A-Z0-9]+)", "an extra target population XX"),
    (r"an NHS number", "an NHS number"),
    (r"a body that is not JSON", "a body that is not JSON"),
]


def _alter(qof: Story, body: dict, words: str, practice: str) -> bytes:
    """Apply one alteration (the forms in ALTERATIONS) to a valid extract body; the bytes to send."""
    for pattern, _ in ALTERATIONS:
        m = re.fullmatch(pattern, words)
        if m is None:
            continue
        g = m.groupdict()
        inds = body["indicators"]
        pos = {i["id"]: n for n, i in enumerate(inds)}

        def ind(code: str) -> dict:
            if code not in pos:
                raise StepRefused(f"{code} is not in the extract (an indicator of the spec, e.g. DM26)")
            return inds[pos[code]]

        if pattern.startswith("the spec id"):
            body["spec_id"] = g["spec"]
        elif pattern.startswith("the achievement date"):
            d, mth, y = g["day"].split("/")
            body["achievement_date"] = f"{y}-{mth}-{d}"
        elif pattern.startswith("the practice code"):
            body["practice_code"] = g["code"]
        elif pattern.startswith("the supplier"):
            body["supplier"] = g["supplier"]
        elif pattern == "a request GPES never made":
            body["request_id"] = str(uuid.uuid4())
        elif pattern.startswith("the request GPES made to"):
            body["request_id"] = qof.new_request(g["supplier"], qof.practices_of(g["supplier"]))
        elif pattern.startswith("a request for"):
            other = qof.practice(g["code"], qof.supplier_of(practice))["practice_code"]
            if other == practice:
                raise StepRefused(f"a request for {practice} only is the extract's own request")
            body["request_id"] = qof.new_request(qof.supplier_of(practice), [other])
        elif pattern.startswith("no (?P<reg>"):
            body["registers"].pop(register(g["reg"]), None)
        elif pattern.startswith("an extra register"):
            body["registers"][g["reg"]] = 0
        elif pattern.endswith("larger than the list"):
            body["registers"][register(g["reg"])] = body["list_size"] + 1
        elif pattern.startswith("an extra indicator"):
            inds.append({"id": g["ind"], "numerator": 0, "denominator": 0, "exceptions": 0})
        elif pattern.endswith("twice"):
            inds.append(dict(ind(g["ind"])))
        elif pattern.startswith("no (?P<ind>"):
            inds.remove(ind(g["ind"]))
        elif pattern.endswith("above its denominator"):
            i = ind(g["ind"])
            i["numerator"] = i["denominator"] + 1
        elif pattern.startswith("a negative"):
            ind(g["ind"])[g["field"]] = -1
        elif pattern.startswith("a list size of"):
            v = g["value"]
            body["list_size"] = float(v) if "." in v else int(v)
        elif pattern.startswith("an extra target population"):
            body.setdefault("target_populations", {})[g["group"]] = 0
        elif pattern == "an NHS number":
            body["nhs_number"] = "9990000018"
        elif pattern == "a body that is not JSON":
            return b'{"extract_id": "not json'
        return canonical_json(body)
    forms = "; ".join(example for _, example in ALTERATIONS)
    raise StepRefused(f"{words!r} is not an alteration the step knows (it knows: {forms})")


@step("when", "{supplier:Supplier} sends GPES an extract for {practice:Practice} with {alteration:Phrase}",
      stage="gpes", example="TPP sends GPES an extract for A81002 with the spec id QOF-2011-12", mutates=True)
def _send_altered(qof: Story, supplier, practice, alteration):
    """The supplier, in answer to a request GPES made for the practice, submits an extract (all counts 0,
    or the counts the scenario gave the practice) with one thing wrong. The alterations it knows:
    the spec id S; the achievement date dd/mm/yyyy; the practice code C; the supplier S; a request GPES
    never made; the request GPES made to S; a request for C only; no R register; an extra register R;
    a R register larger than the list; an extra indicator I; I twice; no I; I numerator above its
    denominator; a negative numerator|denominator|exceptions for I; a list size of N; an extra target
    population G; an NHS number; a body that is not JSON."""
    qof.practice(practice, supplier)
    request_id = qof.new_request(supplier, [practice])
    body = qof.draft(practice).body(request_id)
    data = _alter(qof, body, alteration, practice)
    qof.sent[practice] = {"extract_id": body.get("extract_id"), "bytes": data}
    qof.send_through_gpes(data, f"{practice}'s extract from {supplier} with {alteration}", supplier)


@step("when", "{supplier:Supplier} sends GPES a valid extract for {practice:Practice}", stage="gpes",
      example="TPP sends GPES a valid extract for A81002", mutates=True)
def _send_valid(qof: Story, supplier, practice):
    """A well-formed extract (the counts the scenario gave the practice, else 0) for a request GPES made."""
    qof.practice(practice, supplier)
    body = qof.draft(practice).body(qof.new_request(supplier, [practice]))
    data = canonical_json(body)
    qof.sent[practice] = {"extract_id": body["extract_id"], "bytes": data}
    qof.send_through_gpes(data, f"{practice}'s extract from {supplier}", supplier)


@step("when", "{supplier:Supplier} sends GPES the same extract for {practice:Practice} again", stage="gpes",
      example="TPP sends GPES the same extract for A81002 again", mutates=True)
def _send_again(qof: Story, supplier, practice):
    """The same bytes (same extract id) as the scenario's last extract for the practice."""
    qof.practice(practice, supplier)
    if practice not in qof.sent:
        raise StepRefused(f"this scenario has sent no extract for {practice} yet")
    first = qof.last
    qof.sent[practice]["first"] = first
    qof.send_through_gpes(qof.sent[practice]["bytes"], f"{practice}'s extract from {supplier}, again", supplier)


@step("when", "{supplier:Supplier} sends GPES other counts for {practice:Practice} under the same extract id",
      stage="gpes", example="TPP sends GPES other counts for A81002 under the same extract id", mutates=True)
def _send_conflict(qof: Story, supplier, practice):
    """The scenario's last extract for the practice with its list size one higher and its extract id kept:
    an extract id is the idempotency key, so GPES refuses other content under it (409)."""
    qof.practice(practice, supplier)
    if practice not in qof.sent:
        raise StepRefused(f"this scenario has sent no extract for {practice} yet")
    body = json.loads(qof.sent[practice]["bytes"])
    body["list_size"] += 1
    qof.send_through_gpes(canonical_json(body), f"other counts for {practice} under extract id {body['extract_id']}",
                          supplier)


@step("then", "{hop:Hop} accepts it", stage="gpes", example="GPES accepts it", checks_refusal=True)
def _accepts(qof: Story, hop):
    a = qof.last
    if a is None:
        raise StepRefused("nothing was sent in this scenario")
    a.checked = True
    if a.hop != hop:
        raise StepRefused(f"the last request went to {a.hop}, not {hop}")
    if not a.ok:
        raise Mismatch(a.describe())


@step("then", '{hop:Hop} refuses it, naming the field "{field:Text}" and saying "{reason:Text}"', stage="gpes",
      example='GPES refuses it, naming the field "spec_id" and saying "does not match the published spec"',
      checks_refusal=True)
def _refuses(qof: Story, hop, field, reason):
    """The last request was refused (4xx) by that hop, with a reason for the field (``[n]`` in a field
    stands for any position, e.g. indicators[n].id) whose words contain the quoted text."""
    a = qof.expect_refusal()
    if a.hop != hop:
        raise StepRefused(f"the last request went to {a.hop}, not {hop}")
    hits = [(f, r) for f, r in a.reasons() if field_matches(field, f)]
    if not hits:
        raise Mismatch(f"{a.hop} refused {a.what} ({a.status}) without naming {field}: it said {a.said()}")
    if not any(reason.lower() in r.lower() for _, r in hits):
        raise Mismatch(f"{a.hop} refused {a.what} naming {field} but saying {hits[0][1]!r}, not {reason!r}")


@step("then", '{hop:Hop} refuses it with {status:Count}, saying "{reason:Text}"', stage="gpes",
      example='CQRS refuses it with 409, saying "not \'Awaiting Service Provider Approval\'"', checks_refusal=True)
def _refuses_status(qof: Story, hop, status, reason):
    a = qof.expect_refusal()
    if a.hop != hop:
        raise StepRefused(f"the last request went to {a.hop}, not {hop}")
    if a.status != status or reason.lower() not in a.said().lower():
        raise Mismatch(f"{a.describe()}; the scenario expects {status} saying {reason!r}")


@step("then", "GPES answers it as it answered the first", stage="gpes", example="GPES answers it as it answered the first")
def _same_answer(qof: Story):
    """A resend of the same bytes is answered 200 with the first receipt (same extract id and SHA-256)."""
    a = qof.last
    first = next((s.get("first") for s in qof.sent.values() if s.get("first")), None)
    if a is None or first is None:
        raise StepRefused("this scenario has not sent the same extract twice")
    if a.status != 200 or first.status != 201:
        raise Mismatch(f"GPES answered the first copy {first.status} and the second {a.status}; expected 201 then 200")
    if (a.body or {}).get("extract_id") != (first.body or {}).get("extract_id") or \
            (a.body or {}).get("sha256") != (first.body or {}).get("sha256"):
        raise Mismatch(f"GPES's second receipt {a.body} differs from its first {first.body}")


@step("then", "nothing of {practice:Practice}'s refused extract is stored by GPES or CQRS", stage="gpes",
      example="nothing of A81002's refused extract is stored by GPES or CQRS")
def _nothing_stored(qof: Story, practice):
    sent = qof.sent.get(practice)
    if sent is None:
        raise StepRefused(f"this scenario has sent no extract for {practice}")
    try:
        extract_id = json.loads(sent["bytes"]).get("extract_id")
    except ValueError:
        extract_id = None
    digest = sha256(sent["bytes"])
    held = [r for r in qof.w.gpes().receipts() if r["extract_id"] == extract_id or r["sha256"] == digest]
    if held:
        raise Mismatch(f"GPES holds a receipt for the refused extract {extract_id} of {practice}")
    stored = [x for x in qof.w.cqrs().extracts() if x["extract_id"] == extract_id or x["sha256"] == digest]
    if stored:
        raise Mismatch(f"CQRS holds the refused extract {extract_id} of {practice}")


# ---------------------------------------------------------------- GPES's view of the collection


@step("then", "GPES reports {practice:Practice} {status:Words}", stage="gpes", example="GPES reports A81003 requested")
def _reports(qof: Story, practice, status):
    """The practice's status in GPES's collection view: requested, received, rejected, forwarded,
    acknowledged, refused by CQRS or not collected."""
    if status not in STATUSES:
        raise StepRefused(f"{status!r} is not a status GPES reports (one of {', '.join(STATUSES)})")
    row = qof.status_of(practice)
    if row["status"] != status:
        raise Mismatch(f"GPES reports {practice} {row['status']}" + (f" ({row['reason']})" if row["reason"] else "")
                       + f"; the scenario expects {status}")


@step("then", 'GPES reports {practice:Practice} rejected, naming the field "{field:Text}"', stage="gpes",
      example='GPES reports A81001 rejected, naming the field "indicators[n]"')
def _rejected(qof: Story, practice, field):
    row = qof.status_of(practice)
    reasons = [part.split(":", 1)[0].strip() for part in (row["reason"] or "").split("; ")]
    if row["status"] != "rejected" or not any(field_matches(field, r) for r in reasons):
        raise Mismatch(f"GPES reports {practice} {row['status']} ({row['reason'] or 'no reason'}); the scenario "
                       f"expects rejected naming {field}")


@step("then", 'GPES reports {practice:Practice} not collected, saying "{reason:Text}"', stage="gpes",
      example='GPES reports A81001 not collected, saying "gave up after 6 attempts"')
def _not_collected(qof: Story, practice, reason):
    row = qof.status_of(practice)
    if row["status"] != "not collected" or reason.lower() not in (row["reason"] or "").lower():
        raise Mismatch(f"GPES reports {practice} {row['status']} ({row['reason'] or 'no reason'}); the scenario "
                       f"expects not collected saying {reason!r}")


@step("then", "GPES reports every practice acknowledged", stage="forwarding",
      example="GPES reports every practice acknowledged")
def _all_acked(qof: Story):
    bad = [f"{p['practice_code']} {p['status']}" for p in qof.the_collection()["practices"] if p["status"] != "acknowledged"]
    if bad:
        raise Mismatch(f"GPES reports {', '.join(bad)}; the scenario expects every practice acknowledged")


@step("then", "GPES reports every practice acknowledged but {practices:Practices}", stage="forwarding",
      example="GPES reports every practice acknowledged but A81001 and A81003")
def _all_acked_but(qof: Story, practices):
    for p in practices:
        qof.practice(p)
    bad = [f"{p['practice_code']} {p['status']}" for p in qof.the_collection()["practices"]
           if p["status"] != "acknowledged" and p["practice_code"] not in practices]
    if bad:
        raise Mismatch(f"GPES reports {', '.join(bad)}; the scenario expects every practice but "
                       f"{', '.join(practices)} acknowledged")
    wrong = [p for p in practices if qof.status_of(p)["status"] == "acknowledged"]
    if wrong:
        raise Mismatch(f"GPES reports {', '.join(wrong)} acknowledged, which the scenario names as exceptions")


# ---------------------------------------------------------------- forwarding: the same bytes


def _same_counts(qof: Story, practice: str) -> None:
    supplier, sent = qof.sent_body(practice)
    held = [x for x in qof.held(practice) if x["extract_id"] == sent["extract_id"]]
    if not held:
        st = qof.status_of(practice)
        raise Mismatch(f"CQRS holds no extract for {practice}; {supplier} sent {sent['extract_id']} and GPES reports "
                       f"it {st['status']}" + (f": {st['reason']}" if st["reason"] else ""))
    body = qof.body(held[0]["extract_id"])
    diffs = diff_extracts(body, sent)
    if diffs:
        what, h, s = diffs[0]
        raise Mismatch(f"CQRS holds {what} {h} for {practice}; {supplier} sent {s}"
                       + (f" (and {len(diffs) - 1} more differences)" if len(diffs) > 1 else ""))


@step("then", "CQRS holds for {practice:Practice} exactly the counts {supplier:Supplier} sent", stage="forwarding",
      example="CQRS holds for A81002 exactly the counts TPP sent")
def _holds_exactly(qof: Story, practice, supplier):
    """Every count of the practice's extract in CQRS (list size, registers, target populations, each
    indicator's numerator, denominator and exceptions) against what its supplier sent in this collection."""
    qof.practice(practice, supplier)
    _same_counts(qof, practice)


@step("then", "for every practice CQRS holds exactly the counts its supplier sent", stage="forwarding",
      example="for every practice CQRS holds exactly the counts its supplier sent")
def _holds_all(qof: Story):
    for p in qof.practices():
        _same_counts(qof, p["practice_code"])


@step("then", "every extract CQRS holds has the bytes and the SHA-256 its supplier sent", stage="forwarding",
      example="every extract CQRS holds has the bytes and the SHA-256 its supplier sent")
def _same_bytes(qof: Story):
    sent = {o["extract_id"]: o for o in qof.outbox() if o["status"] in (200, 201)}
    held = qof.extracts()
    if not held:
        raise Mismatch("CQRS holds no extract of this collection")
    for x in held:
        o = sent.get(x["extract_id"])
        if o is None:
            raise Mismatch(f"CQRS holds extract {x['extract_id']} for {x['practice_code']} that no supplier had "
                           "accepted in this collection")
        if x["sha256"] != o["sha256"]:
            raise Mismatch(f"CQRS holds {x['practice_code']}'s extract with SHA-256 {x['sha256']}; "
                           f"{qof.supplier_of(x['practice_code'])} sent {o['sha256']}")
        if qof.w.cqrs().extract_body(x["extract_id"]) != o["body"].encode():
            raise Mismatch(f"CQRS holds other bytes for {x['practice_code']}'s extract than "
                           f"{qof.supplier_of(x['practice_code'])} sent (same SHA-256 header)")


@step("then", "GPES forwarded each accepted extract to CQRS exactly once", stage="forwarding",
      example="GPES forwarded each accepted extract to CQRS exactly once")
def _once(qof: Story):
    receipts = qof.receipts()
    stored = Counter(x["extract_id"] for x in qof.extracts())
    for r in receipts:
        if stored[r["extract_id"]] != 1:
            raise Mismatch(f"CQRS holds {r['practice_code']}'s extract {r['extract_id']} {stored[r['extract_id']]} "
                           "times; GPES accepted it once")
        if not r["forwarded"]:
            raise Mismatch(f"GPES's receipt for {r['practice_code']} is {r['forward_state']}, not acknowledged by CQRS")


# ---------------------------------------------------------------- CQRS ingest


@step("then", "CQRS holds one extract for each of the {n:Count} practices", stage="cqrs",
      example="CQRS holds one extract for each of the 8 practices")
def _one_each(qof: Story, n):
    codes = sorted(p["practice_code"] for p in qof.practices())
    if len(codes) != n:
        raise StepRefused(f"this world has {len(codes)} practices, not {n}")
    held = Counter(x["practice_code"] for x in qof.extracts())
    wrong = [f"{c} ({held[c]})" for c in codes if held[c] != 1]
    if wrong or set(held) - set(codes):
        raise Mismatch(f"CQRS does not hold exactly one extract of this collection for {', '.join(wrong)}")


@step("then", "CQRS holds one extract for each practice but {practices:Practices}", stage="cqrs",
      example="CQRS holds one extract for each practice but A81001 and A81003")
def _one_each_but(qof: Story, practices):
    for p in practices:
        qof.practice(p)
    held = Counter(x["practice_code"] for x in qof.extracts())
    for p in qof.practices():
        code = p["practice_code"]
        want = 0 if code in practices else 1
        if held[code] != want:
            st = qof.status_of(code)
            raise Mismatch(f"CQRS holds {held[code]} extracts of this collection for {code}, expected {want}; GPES "
                           f"reports it {st['status']}" + (f" ({st['reason']})" if st["reason"] else ""))


@step("then", "CQRS holds no extract for {practice:Practice}", stage="cqrs", example="CQRS holds no extract for A81001")
def _none_for(qof: Story, practice):
    held = qof.held(qof.practice(practice)["practice_code"])
    if held:
        raise Mismatch(f"CQRS holds {len(held)} extracts of this collection for {practice}; none was expected")


@step("then", "CQRS holds exactly one extract for {practice:Practice}", stage="cqrs",
      example="CQRS holds exactly one extract for A81002")
def _exactly_one(qof: Story, practice):
    held = qof.held(qof.practice(practice)["practice_code"])
    if len(held) != 1:
        raise Mismatch(f"CQRS holds {len(held)} extracts of this collection for {practice}; exactly one was expected")


def _forward_to_cqrs(qof: Story, practice: str, checksum: str | None, what: str) -> None:
    held = [x for x in qof.w.cqrs().extracts() if x["practice_code"] == practice and x["current"]]
    if not held:
        raise Mismatch(f"CQRS holds no extract for {practice} to be forwarded again")
    body = qof.w.cqrs().extract_body(held[0]["extract_id"])
    qof.sent[practice] = {"extract_id": held[0]["extract_id"], "bytes": body, "first": None}
    http = qof.w.cqrs("gpes").http  # as GPES's forwarder: only GPES may send CQRS an extract
    url = f"{qof.w.cqrs().base_url}/extracts"
    if checksum is None:
        call: Callable = lambda: post_extract(http, url, body)  # noqa: E731
    else:
        def call():
            return HttpAnswer.of(http.post(url, data=body, headers={"Content-Type": "application/json",
                                                                    SHA_HEADER: checksum}, timeout=30))
    qof.last = attempt(what, "CQRS", call)


@step("when", "GPES forwards the extract CQRS holds for {practice:Practice} once more", stage="cqrs",
      example="GPES forwards the extract CQRS holds for A81001 once more")
def _forward_again(qof: Story, practice):
    """The exact bytes CQRS holds, POSTed to CQRS again as GPES's outbox does after a lost acknowledgement."""
    _forward_to_cqrs(qof, qof.practice(practice)["practice_code"], None, f"{practice}'s extract, forwarded again")


@step("when", "GPES forwards the extract for {practice:Practice} with a checksum that does not match", stage="cqrs",
      example="GPES forwards the extract for A81001 with a checksum that does not match")
def _forward_bad_sum(qof: Story, practice):
    """The bytes CQRS holds for the practice, with an X-Content-SHA256 header of other bytes."""
    _forward_to_cqrs(qof, qof.practice(practice)["practice_code"], sha256(b"other bytes"),
                     f"{practice}'s extract with a checksum of other bytes")


@step("then", "CQRS answers with the receipt it gave the first time", stage="cqrs",
      example="CQRS answers with the receipt it gave the first time")
def _cqrs_same(qof: Story):
    a = qof.last
    if a is None or a.hop != "CQRS":
        raise StepRefused("nothing was forwarded to CQRS in this scenario")
    first = next(iter(qof.sent.values()))
    if a.status != 200 or (a.body or {}).get("extract_id") != first["extract_id"]:
        raise Mismatch(f"CQRS answered {a.status} {a.body}; expected 200 with the first receipt for "
                       f"{first['extract_id']}")


@step("then", "CQRS holds {n:Count} extracts for {practice:Practice}, only the latest current", stage="cqrs",
      example="CQRS holds 2 extracts for A81001, only the latest current")
def _superseded(qof: Story, n, practice):
    """Every extract CQRS holds for the practice, over every collection of this world."""
    rows = [x for x in qof.w.cqrs().extracts() if x["practice_code"] == qof.practice(practice)["practice_code"]]
    if len(rows) != n:
        raise Mismatch(f"CQRS holds {len(rows)} extracts for {practice}; the scenario expects {n}")
    current = [x for x in rows if x["current"]]
    latest = qof.held(practice)
    if len(current) != 1 or not latest or current[0]["extract_id"] != latest[-1]["extract_id"]:
        raise Mismatch(f"CQRS's current extract for {practice} is {[x['extract_id'] for x in current]}; the latest "
                       f"collection's is {[x['extract_id'] for x in latest]}")


@step("then", "CQRS holds for {practice:Practice} the {ind:Indicator} counts {num:Count} of {den:Count} with "
      "{exc:Count} exceptions", stage="cqrs", example="CQRS holds for A81001 the DM26 counts 380 of 400 with 12 exceptions")
def _holds_counts(qof: Story, practice, ind, num, den, exc):
    """The practice's current extract in CQRS, one indicator."""
    extracted_indicator(ind)
    body = qof.current_body(practice)
    row = next((i for i in body["indicators"] if i["id"] == ind), None)
    got = None if row is None else (row["numerator"], row["denominator"], row["exceptions"])
    if got != (num, den, exc):
        raise Mismatch(f"CQRS holds {ind} {got and '%d of %d with %d exceptions' % got or 'nothing'} for {practice}; "
                       f"the scenario expects {num} of {den} with {exc} exceptions")
