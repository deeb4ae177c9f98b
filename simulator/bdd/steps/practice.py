"""What practices, commissioners and finance do in CQRS: manual entry, declaration, approval or
rejection, and the payment run."""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

from simulator.bdd.context import HttpAnswer, Story, attempt, catalogue, indicator
from simulator.bdd.library import Mismatch, StepRefused, step
from simulator.cqrs.manual import manual_indicators
from simulator.practice import manual_entries

STATES = ("Awaiting Service Provider Approval", "Awaiting Commissioning Organisation Approval", "Approved",
          "Payment Instructed")


def _held_practices(qof: Story) -> list[str]:
    """Practices with a current extract in CQRS (those that can enter, declare and be paid)."""
    return sorted({x["practice_code"] for x in qof.w.cqrs().extracts() if x["current"]})


# ---------------------------------------------------------------- manual entry


def _enter_all(qof: Story, practice: str, n: int) -> None:
    total = len(manual_indicators(catalogue()))
    if n != total:
        raise StepRefused(f"QOF 2012/13 has {total} manual indicators, not {n}")
    entries = manual_entries(catalogue(), practice, 20130331)
    a = attempt(f"{practice}'s {n} manual entries", "CQRS", lambda: qof.w.cqrs("practice", practice=practice).enter_manual(practice, entries))
    qof.last = a
    if not a.ok:
        raise Mismatch(a.describe())
    a.checked = True


@step("given/when", "every practice enters its {n:Count} manual indicators", stage="manual",
      example="every practice enters its 44 manual indicators", mutates=True)
def _enter_everyone(qof: Story, n):
    """Every practice with an extract in CQRS enters the indicators GPES does not extract (organisational,
    patient experience, CS05), with the values qofsim's practices choose (simulator/practice.py)."""
    held = _held_practices(qof)
    if not held:
        raise Mismatch("CQRS holds no extract yet: manual entry opens once the collection has completed")
    for p in held:
        _enter_all(qof, p, n)


@step("given/when", "{practice:Practice} enters its {n:Count} manual indicators", stage="manual",
      example="A81001 enters its 44 manual indicators", mutates=True)
def _enter_mine(qof: Story, practice, n):
    _enter_all(qof, qof.practice(practice)["practice_code"], n)


def _enter(qof: Story, practice: str, entry: dict, what: str) -> None:
    qof.practice(practice)
    body = {"entered_by": f"{practice}-practice-manager", "entries": [entry]}
    cqrs = qof.w.cqrs("practice", practice=practice)

    def call():
        return HttpAnswer.of(cqrs.http.post(f"{cqrs.base_url}/practices/{practice}/manual-entries", json=body,
                                            timeout=cqrs.timeout))

    qof.last = attempt(what, "CQRS", call)


@step("given/when", "{practice:Practice} enters {ind:Code} as {answer:Words}", stage="manual",
      example="A81001 enters RECORDS03 as achieved", mutates=True)
def _enter_yes_no(qof: Story, practice, ind, answer):
    """A yes/no entry: 'achieved' or 'not achieved'. Any code is sent as written (CQRS judges it)."""
    if answer not in ("achieved", "not achieved"):
        raise StepRefused(f"{answer!r}: say 'achieved' or 'not achieved'")
    _enter(qof, practice, {"ind_code": ind, "achieved": answer == "achieved"}, f"{practice}'s entry of {ind}")


@step("given/when", "{practice:Practice} enters {ind:Code} at {num:Count} of {den:Count}", stage="manual",
      example="A81001 enters RECORDS09 at 172 of 200", mutates=True)
def _enter_percentage(qof: Story, practice, ind, num, den):
    """A manual percentage entry (numerator of denominator). Any code is sent as written (CQRS judges it)."""
    _enter(qof, practice, {"ind_code": ind, "numerator": num, "denominator": den}, f"{practice}'s entry of {ind}")


@step("then", "CQRS holds {n:Count} manual entries for {practice:Practice}", stage="manual",
      example="CQRS holds 44 manual entries for A81001")
def _held_entries(qof: Story, n, practice):
    got = qof.w.cqrs().manual_entries(qof.practice(practice)["practice_code"])
    if len(got) != n:
        raise Mismatch(f"CQRS holds {len(got)} manual entries for {practice}; the scenario expects {n}")


@step("then", "CQRS holds {ind:Indicator} for {practice:Practice} as {value:Phrase}", stage="manual",
      example="CQRS holds RECORDS09 for A81001 as 172 of 200")
def _held_entry(qof: Story, ind, practice, value):
    """A stored manual entry: 'achieved', 'not achieved' or 'a of b'."""
    indicator(ind)
    row = next((e for e in qof.w.cqrs().manual_entries(practice) if e["ind_code"] == ind), None)
    if row is None:
        raise Mismatch(f"CQRS holds no manual entry of {ind} for {practice}")
    got = ("achieved" if row["achieved"] else "not achieved") if row["achieved"] is not None else \
        f"{row['numerator']} of {row['denominator']}"
    if got != value:
        raise Mismatch(f"CQRS holds {ind} for {practice} as {got}; the scenario expects {value}")


@step("then", "{practice:Practice}'s achievement counts {n:Count} manual entries", stage="manual",
      example="A81001's achievement counts 44 manual entries")
def _counted(qof: Story, practice, n):
    got = qof.achievement(practice)["manual_entries"]
    if got != n:
        raise Mismatch(f"CQRS's calculation for {practice} counts {got} manual entries; the scenario expects {n}")


# ---------------------------------------------------------------- declaration and approval


def _act(qof: Story, what: str, call) -> None:
    qof.last = attempt(what, "CQRS", call)


@step("given/when", "{practice:Practice} declares its achievement", stage="workflow",
      example="A81001 declares its achievement", mutates=True)
def _declare(qof: Story, practice):
    """The practice (its practice manager) declares: 'Awaiting Service Provider Approval' becomes
    'Awaiting Commissioning Organisation Approval'."""
    qof.practice(practice)
    _act(qof, f"{practice}'s declaration",
         lambda: qof.w.cqrs("practice", practice=practice).declare(practice, f"{practice} practice manager"))


@step("given/when", "its commissioner approves {practice:Practice}", stage="workflow",
      example="its commissioner approves A81001", mutates=True)
def _approve(qof: Story, practice):
    ccg = qof.practice(practice)["ccg_code"]
    _act(qof, f"{ccg}'s approval of {practice}",
         lambda: qof.w.cqrs("commissioner", ccg=ccg).decide(practice, ccg, "approve"))


@step("given/when", "commissioner {ccg:Ccg} approves {practice:Practice}", stage="workflow",
      example="commissioner 01B approves A81001", mutates=True)
def _approve_by(qof: Story, ccg, practice):
    """An approval by the named CCG (refused unless it commissions the practice)."""
    qof.practice(practice)
    _act(qof, f"{ccg}'s approval of {practice}",
         lambda: qof.w.cqrs("commissioner", ccg=ccg).decide(practice, ccg, "approve"))


@step("given/when", 'its commissioner rejects {practice:Practice} because "{reason:Text}"', stage="workflow",
      example='its commissioner rejects A81002 because "the diabetes register looks too small"', mutates=True)
def _reject(qof: Story, practice, reason):
    """The record goes back to 'Awaiting Service Provider Approval', for the practice to declare again."""
    if not reason.strip():
        raise StepRefused("give the commissioner's reason")
    ccg = qof.practice(practice)["ccg_code"]
    _act(qof, f"{ccg}'s rejection of {practice}",
         lambda: qof.w.cqrs("commissioner", ccg=ccg).decide(practice, ccg, "reject", reason))


@step("given/when", "every practice declares and its commissioner approves", stage="workflow",
      example="every practice declares and its commissioner approves", mutates=True)
def _everyone(qof: Story):
    for code in _held_practices(qof):
        ccg = qof.practice(code)["ccg_code"]
        for what, call in ((f"{code}'s declaration",
                            lambda: qof.w.cqrs("practice", practice=code).declare(code, f"{code} practice manager")),
                           (f"{ccg}'s approval of {code}",
                            lambda: qof.w.cqrs("commissioner", ccg=ccg).decide(code, ccg, "approve"))):
            a = attempt(what, "CQRS", call)
            if not a.ok:
                raise Mismatch(a.describe())


@step("given/when", "CQRS runs the payment", stage="workflow", example="CQRS runs the payment", mutates=True)
def _pay(qof: Story):
    """Finance's payment run: every approved record gets a payment instruction (one CSV file per run)."""
    qof.payment_runs.append(qof.w.cqrs("finance").payment_run())


@step("then", "{practice:Practice}'s record is \"{state:Text}\"", stage="workflow",
      example="A81001's record is \"Awaiting Commissioning Organisation Approval\"")
def _state(qof: Story, practice, state):
    """The workflow state: Awaiting Service Provider Approval, Awaiting Commissioning Organisation Approval,
    Approved or Payment Instructed."""
    if state not in STATES:
        raise StepRefused(f"{state!r} is not a CQRS state (one of {', '.join(STATES)})")
    got = qof.achievement(practice)["state"]
    if got != state:
        raise Mismatch(f"CQRS's record for {practice} is '{got}'; the scenario expects '{state}'")


def _instructions(qof: Story, practice: str | None = None) -> list:
    if not qof.payment_runs:
        raise StepRefused("no payment run in this scenario ('When CQRS runs the payment')")
    return [i for run in qof.payment_runs for i in run.instructions if practice in (None, i.practice_code)]


@step("then", "{practice:Practice} has exactly one payment instruction, for the payment CQRS calculated",
      stage="workflow", example="A81001 has exactly one payment instruction, for the payment CQRS calculated")
def _one_instruction(qof: Story, practice):
    """Over the scenario's payment runs: one instruction, whose amount is the calculated payment, and
    which is in the run's payment-instruction file."""
    mine = _instructions(qof, qof.practice(practice)["practice_code"])
    if len(mine) != 1:
        raise Mismatch(f"the scenario's payment runs instruct {len(mine)} payments for {practice}; exactly one was "
                       "expected")
    calculated = qof.achievement(practice)["payment_gbp"]
    if mine[0].amount_gbp != calculated:
        raise Mismatch(f"the payment instruction for {practice} is £{mine[0].amount_gbp}; CQRS calculated "
                       f"£{calculated}")
    run = next(r for r in qof.payment_runs if mine[0] in r.instructions)
    with open(Path(run.file), newline="") as f:
        rows = [r for r in csv.DictReader(f) if r["practice_code"] == practice]
    if len(rows) != 1 or rows[0]["amount_gbp"] != calculated:
        raise Mismatch(f"the payment-instruction file {run.file} lists {practice} {len(rows)} times "
                       f"({[r['amount_gbp'] for r in rows]}); expected once, for £{calculated}")


@step("then", "{practice:Practice} has no payment instruction", stage="workflow",
      example="A81004 has no payment instruction")
def _no_instruction(qof: Story, practice):
    mine = _instructions(qof, qof.practice(practice)["practice_code"])
    if mine:
        raise Mismatch(f"the scenario's payment runs instruct £{mine[0].amount_gbp} for {practice}; none was expected")


@step("then", "every practice has exactly one payment instruction", stage="workflow",
      example="every practice has exactly one payment instruction")
def _everyone_paid(qof: Story):
    codes = sorted(p["practice_code"] for p in qof.practices())
    got = sorted(i.practice_code for i in _instructions(qof))
    if got != codes:
        from collections import Counter

        c = Counter(got)
        wrong = [f"{p} ({c[p]})" for p in codes if c[p] != 1]
        raise Mismatch(f"payment instructions are not one per practice: {', '.join(wrong)}")


@step("then", "the payment instructions add up to the total CQRS calculated", stage="workflow",
      example="the payment instructions add up to the total CQRS calculated")
def _adds_up(qof: Story):
    total = sum((Decimal(i.amount_gbp) for i in _instructions(qof)), Decimal("0.00"))
    calculated = sum((Decimal(qof.achievement(i.practice_code)["payment_gbp"]) for i in _instructions(qof)),
                     Decimal("0.00"))
    runs = sum((Decimal(r.total_gbp) for r in qof.payment_runs), Decimal("0.00"))
    if not total == calculated == runs or total <= 0:
        raise Mismatch(f"the payment instructions add up to £{total:,}; CQRS calculated £{calculated:,} for those "
                       f"practices and the runs say £{runs:,}")
