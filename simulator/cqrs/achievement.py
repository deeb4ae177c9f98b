"""CQRS calculation: stored counts -> points per indicator -> payment per practice.

National prevalence is taken over every practice's current extract in the run (or from the
parameters file when it names figures). A practice already declared or approved keeps its
figures; one whose extract changed is recalculated and must be declared again.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Mapping

from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from simulator.contracts import IndicatorAchievement, PracticeAchievement
from simulator.cqrs import payments
from simulator.cqrs.longformat import DENOMINATOR, EXCEPTIONS, NUMERATOR, REGISTER
from simulator.cqrs.points import Scored, points_2dp, score
from simulator.cqrs.store import current_extracts, extract_values
from simulator.db import CqrsWorkflow, utcnow
from simulator.qof.catalogue import Catalogue

AWAITING_SP = "Awaiting Service Provider Approval"


def score_practice(catalogue: Catalogue, fields: Mapping[str, Mapping[str, int]]) -> list[Scored]:
    """Every catalogue indicator scored from one practice's fields (IND_CODE -> FIELD_NAME -> value)."""
    out = []
    for code, d in catalogue.indicators.items():
        f = fields.get(code, {})
        out.append(score(d, f.get(NUMERATOR), f.get(DENOMINATOR), f.get(EXCEPTIONS), f.get(REGISTER)))
    return out


def registers_by_id(catalogue: Catalogue, fields: Mapping[str, Mapping[str, int]]) -> dict[str, int]:
    return {r.id: fields.get(r.indicator, {}).get(REGISTER, 0) for r in catalogue.rules.registers.values()}


def achievement_of(catalogue: Catalogue, practice_code: str, extract_id: str, state: str, list_size: int,
                   scored: list[Scored], payment: payments.Payment) -> PracticeAchievement:
    total = sum((s.points for s in scored), Decimal(0))
    return PracticeAchievement(
        practice_code=practice_code, achievement_date=catalogue.parameters.achievement_date, extract_id=extract_id,
        state=state, list_size=list_size, total_points=str(total), payment_gbp=str(payment.total_gbp),
        components_gbp={k: str(v) for k, v in sorted(payment.components.items())},
        indicators=tuple(IndicatorAchievement(
            ind_code=s.ind_code, status=s.status,
            achievement_pct=None if s.achievement_pct is None else str(s.achievement_pct),
            points=str(s.points), points_2dp=str(points_2dp(s.points))) for s in scored))


def calculate(catalogue: Catalogue, sessions: sessionmaker) -> dict:
    p = catalogue.parameters
    with sessions() as s:
        extracts = current_extracts(s, p.spec_id)
        fields = {}
        for x in extracts:
            f: dict[str, dict[str, int]] = {}
            for ind, name, v in extract_values(s, x.extract_id):
                f.setdefault(ind, {})[name] = v
            fields[x.practice_code] = f
    figures = {x.practice_code: payments.PracticeFigures(x.practice_code, x.list_size,
                                                         registers_by_id(catalogue, fields[x.practice_code]))
               for x in extracts}
    national = p.national_prevalence or payments.national_prevalence(figures.values(), catalogue.rules.registers)
    calculated, kept = 0, 0
    with sessions.begin() as s:
        for x in extracts:
            wf = s.scalars(select(CqrsWorkflow).where(CqrsWorkflow.practice_code == x.practice_code,
                                                      CqrsWorkflow.quality_service == p.quality_service,
                                                      CqrsWorkflow.achievement_date == x.achievement_date)).first()
            if wf is not None and wf.state != AWAITING_SP and not wf.calculated.get("stale"):
                kept += 1
                continue
            scored = score_practice(catalogue, fields[x.practice_code])
            pay = payments.practice_payment(catalogue, figures[x.practice_code], scored, national)
            ach = achievement_of(catalogue, x.practice_code, x.extract_id, AWAITING_SP, x.list_size, scored, pay)
            if wf is None:
                wf = CqrsWorkflow(practice_code=x.practice_code, quality_service=p.quality_service,
                                  achievement_date=x.achievement_date, extract_id=x.extract_id, state=AWAITING_SP,
                                  calculated={}, history=[])
                s.add(wf)
            wf.extract_id = x.extract_id
            wf.calculated = ach.model_dump(mode="json")
            wf.history = [*(wf.history or []), {"at": utcnow().isoformat(), "from": None, "to": AWAITING_SP,
                                                "why": f"calculated from extract {x.extract_id}"}]
            wf.state = AWAITING_SP
            wf.updated_at = utcnow()
            calculated += 1
    return {"practices": len(extracts), "calculated": calculated, "kept": kept,
            "national_prevalence": {k: str(v) for k, v in national.items()}}
