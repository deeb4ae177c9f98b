"""The CQRS approval workflow: practice declares -> commissioner approves -> payment instruction.

States (CQRS's own names): Awaiting Service Provider Approval -> Awaiting Commissioning
Organisation Approval -> Approved -> Payment Instructed. A rejection sends the record back to
the practice. A service may be set 'No Declaration Required' or 'No Approval Required', which
completes that step by itself.

The payment instruction carries the year-end achievement payment (``amount_gbp``, as
calculated), the aspiration payments already paid during the year (``aspiration_paid_gbp``)
and the difference actually transferred (``net_gbp``, negative when the practice repays);
see simulator/cqrs/payments.py for the formulas and their rounding steps.
"""

from __future__ import annotations

import csv
import json
import datetime as dt
import uuid
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Mapping, Sequence

from sqlalchemy import select
from sqlalchemy.orm import defer, sessionmaker

from simulator.contracts import (AchievementSummary, BulkResult, ErrorDetail, PaymentInstruction, PaymentRun,
                                 PracticeAchievement, PracticeOutcome)
from simulator.db import CqrsPaymentInstruction, CqrsWorkflow, utcnow, writing

AWAITING_SP = "Awaiting Service Provider Approval"
AWAITING_CO = "Awaiting Commissioning Organisation Approval"
APPROVED = "Approved"
PAID = "Payment Instructed"


class WorkflowError(Exception):
    def __init__(self, status: int, field: str, reason: str):
        super().__init__(f"{field}: {reason}")
        self.status, self.field, self.reason = status, field, reason


class RequestInvalid(Exception):
    """HTTP 422: a request refused whole (``errors`` name the fields); nothing was stored."""

    def __init__(self, errors: list[ErrorDetail]):
        super().__init__("; ".join(f"{e.field}: {e.reason}" for e in errors))
        self.errors = errors


def once_each(codes: Sequence[str], where: str) -> None:
    """A bulk request names each practice once (else it is refused whole, naming the repeat)."""
    first: dict[str, int] = {}
    for n, code in enumerate(codes):
        if code in first:
            raise RequestInvalid([ErrorDetail(field=f"{where}[{n}].practice_code",
                                              reason=f"{code} is already given in {where}[{first[code]}]")])
        first[code] = n


@dataclass(frozen=True)
class ServiceConfig:
    quality_service: str = "QOF"
    no_declaration_required: bool = False
    no_approval_required: bool = False
    today: dt.date | None = None  # the simulated date (manual-entry window); None: the day after the achievement date


def _record(s, practice_code: str, achievement_date: dt.date, service: str) -> CqrsWorkflow:
    wf = s.scalars(select(CqrsWorkflow).where(CqrsWorkflow.practice_code == practice_code,
                                              CqrsWorkflow.quality_service == service,
                                              CqrsWorkflow.achievement_date == achievement_date)).first()
    if wf is None:
        raise WorkflowError(404, "practice_code", f"no calculated {service} record for {practice_code}")
    return wf


def _move(wf: CqrsWorkflow, to: str, why: str) -> None:
    wf.history = [*wf.history, {"at": utcnow().isoformat(), "from": wf.state, "to": to, "why": why}]
    wf.state = to
    wf.updated_at = utcnow()


move = _move


def achievement(sessions: sessionmaker, practice_code: str, achievement_date: dt.date, service: str) -> PracticeAchievement:
    with sessions() as s:
        wf = _record(s, practice_code, achievement_date, service)
        data = {k: v for k, v in wf.calculated.items() if k != "stale"}
        data["state"] = wf.state
        return PracticeAchievement.model_validate_json(json.dumps(data))


def records(s, codes: Sequence[str], achievement_date: dt.date, service: str) -> dict[str, tuple[CqrsWorkflow, bool]]:
    """practice -> (workflow record, stale) for ``codes``, in one query. The calculation itself
    (a large JSON value) is not read: its ``stale`` flag is read in SQL."""
    out: dict[str, tuple[CqrsWorkflow, bool]] = {}
    codes = list(dict.fromkeys(codes))
    stale = CqrsWorkflow.calculated["stale"].as_boolean()
    for i in range(0, len(codes), 500):
        for wf, st in s.execute(select(CqrsWorkflow, stale).options(defer(CqrsWorkflow.calculated))
                                .where(CqrsWorkflow.practice_code.in_(codes[i:i + 500]),
                                       CqrsWorkflow.quality_service == service,
                                       CqrsWorkflow.achievement_date == achievement_date)):
            out[wf.practice_code] = (wf, bool(st))
    return out


def _last_moves(wf: CqrsWorkflow, *whys: str) -> bool:
    """The record's latest moves were, in order, ``whys``: a request already applied."""
    h = wf.history or []
    return len(h) >= len(whys) and [m.get("why") for m in h[len(h) - len(whys):]] == list(whys)


def refused(practice_code: str, exc: WorkflowError) -> PracticeOutcome:
    return PracticeOutcome(practice_code=practice_code, status=exc.status, outcome="refused",
                           detail=(ErrorDetail(field=exc.field, reason=exc.reason),))


def raise_refusal(o: PracticeOutcome) -> None:
    """The one-practice endpoints answer a refusal as an error (the same status, field and reason)."""
    if o.outcome == "refused":
        raise WorkflowError(o.status, o.detail[0].field, o.detail[0].reason)


def declare_many(sessions: sessionmaker, cfg: ServiceConfig, achievement_date: dt.date,
                 items: Sequence[tuple[str, str]]) -> list[PracticeOutcome]:
    """(practice, declared_by) each: the practice declares its calculated achievement. The same
    declaration again (the record is where it left it) is ``unchanged``. One transaction."""
    out = []
    with writing(sessions) as s:
        recs = records(s, [c for c, _ in items], achievement_date, cfg.quality_service)
        for code, declared_by in items:
            try:
                if code not in recs:
                    raise WorkflowError(404, "practice_code", f"no calculated {cfg.quality_service} record for {code}")
                wf, stale = recs[code]
                why = f"declared by {declared_by}"
                if (wf.state == AWAITING_CO and _last_moves(wf, why)) or (
                        cfg.no_approval_required and wf.state == APPROVED and _last_moves(wf, why, "No Approval Required")):
                    out.append(PracticeOutcome(practice_code=code, status=200, outcome="unchanged", state=wf.state))
                    continue
                if stale:
                    raise WorkflowError(409, "state", "figures changed since calculation; recalculate before declaring")
                if wf.state != AWAITING_SP:
                    raise WorkflowError(409, "state", f"{code} is '{wf.state}', not '{AWAITING_SP}'")
                _move(wf, AWAITING_CO, why)
                if cfg.no_approval_required:
                    _move(wf, APPROVED, "No Approval Required")
                out.append(PracticeOutcome(practice_code=code, status=200, outcome="done", state=wf.state))
            except WorkflowError as exc:
                out.append(refused(code, exc))
    return out


def declare(sessions: sessionmaker, cfg: ServiceConfig, practice_code: str, achievement_date: dt.date,
            declared_by: str) -> str:
    o = declare_many(sessions, cfg, achievement_date, [(practice_code, declared_by)])[0]
    raise_refusal(o)
    return o.state


def decide_many(sessions: sessionmaker, cfg: ServiceConfig, commissioner_of: Mapping[str, str],
                achievement_date: dt.date, items: Sequence[tuple[str, str, str, str]]) -> list[PracticeOutcome]:
    """(practice, approver, decision, reason) each: the commissioner approves or rejects a declared
    record. The same decision again (the record is where it left it) is ``unchanged``. One transaction."""
    out = []
    with writing(sessions) as s:
        recs = records(s, [i[0] for i in items], achievement_date, cfg.quality_service)
        for code, approver, decision, reason in items:
            try:
                if code not in recs:
                    raise WorkflowError(404, "practice_code", f"no calculated {cfg.quality_service} record for {code}")
                wf, _ = recs[code]
                if decision == "approve":
                    to, why = APPROVED, f"approved by {approver}"
                else:
                    to, why = AWAITING_SP, f"rejected by {approver}: {reason or 'no reason given'}"
                if wf.state == to and _last_moves(wf, why):
                    out.append(PracticeOutcome(practice_code=code, status=200, outcome="unchanged", state=wf.state))
                    continue
                if wf.state != AWAITING_CO:
                    raise WorkflowError(409, "state", f"{code} is '{wf.state}', not '{AWAITING_CO}'")
                if commissioner_of.get(code) != approver:
                    raise WorkflowError(403, "approver", f"{approver} does not commission {code}")
                _move(wf, to, why)
                out.append(PracticeOutcome(practice_code=code, status=200, outcome="done", state=wf.state))
            except WorkflowError as exc:
                out.append(refused(code, exc))
    return out


def decide(sessions: sessionmaker, cfg: ServiceConfig, commissioner_of: Mapping[str, str], practice_code: str,
           achievement_date: dt.date, approver: str, decision: str, reason: str = "") -> str:
    o = decide_many(sessions, cfg, commissioner_of, achievement_date, [(practice_code, approver, decision, reason)])[0]
    raise_refusal(o)
    return o.state


def bulk_result(outcomes: Sequence[PracticeOutcome]) -> BulkResult:
    n = {k: sum(1 for o in outcomes if o.outcome == k) for k in ("done", "unchanged", "refused")}
    return BulkResult(results=tuple(outcomes), **n)


def payment_run(sessions: sessionmaker, cfg: ServiceConfig, commissioner_of: Mapping[str, str], out_dir: Path) -> PaymentRun:
    """Finance approval and payment instruction for every approved record; writes one CSV."""
    now = utcnow()
    made: list[PaymentInstruction] = []
    calc = CqrsWorkflow.calculated  # the four figures an instruction carries, read in SQL: not the whole calculation
    figures = (calc["total_points"].as_string(), calc["payment_gbp"].as_string(),
               calc[("aspiration", "paid_gbp")].as_string(), calc["net_gbp"].as_string())
    with writing(sessions) as s:
        for wf, total_points, payment_gbp, aspiration_paid, net in s.execute(
                select(CqrsWorkflow, *figures).options(defer(CqrsWorkflow.calculated))
                .where(CqrsWorkflow.state == APPROVED, CqrsWorkflow.quality_service == cfg.quality_service)
                .order_by(CqrsWorkflow.practice_code)):
            ins = PaymentInstruction(
                instruction_id=str(uuid.uuid4()), practice_code=wf.practice_code,
                commissioner=commissioner_of.get(wf.practice_code, ""), achievement_date=wf.achievement_date,
                quality_service=cfg.quality_service, total_points=total_points, amount_gbp=payment_gbp,
                created_at=now, aspiration_paid_gbp=aspiration_paid, net_gbp=net)
            s.add(CqrsPaymentInstruction(**ins.model_dump()))
            _move(wf, PAID, f"payment instruction {ins.instruction_id}")
            made.append(ins)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"payment-instructions-{now.strftime('%Y%m%dT%H%M%S%f')}.csv"
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["instruction_id", "practice_code", "commissioner", "quality_service", "achievement_date",
                    "total_points", "amount_gbp", "aspiration_paid_gbp", "net_gbp"])
        for i in made:
            w.writerow([i.instruction_id, i.practice_code, i.commissioner, i.quality_service,
                        i.achievement_date.isoformat(), i.total_points, i.amount_gbp, i.aspiration_paid_gbp or "",
                        i.net_gbp or ""])
    total = sum((Decimal(i.amount_gbp) for i in made), Decimal("0.00"))
    return PaymentRun(instructions=tuple(made), file=str(path), total_gbp=str(total))


def summary(sessions: sessionmaker, practice_code: str, achievement_date: dt.date, service: str) -> AchievementSummary:
    """Points by domain and area, the total, and the money, from the stored calculation."""
    a = achievement(sessions, practice_code, achievement_date, service)
    max_points = sum((Decimal(d.max_points) for d in a.domains), Decimal(0))
    return AchievementSummary(
        practice_code=a.practice_code, achievement_date=a.achievement_date, state=a.state,
        total_points=a.total_points, total_points_2dp=str(Decimal(a.total_points).quantize(Decimal("0.01"), "ROUND_HALF_UP")),
        max_points=str(max_points), domains=a.domains, areas=a.areas, payment_gbp=a.payment_gbp,
        aspiration_paid_gbp=a.aspiration.paid_gbp if a.aspiration else None, net_gbp=a.net_gbp,
        components_gbp=a.components_gbp)
