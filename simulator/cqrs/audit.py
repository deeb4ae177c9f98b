"""CQRS's audit log: every state change and manual entry, who made it (role and identity from the
verified credential, never from the body), when, what, and the state before and after.

The HTTP face records a request's changes once it is done, in one insert (a bulk request of 500
practices is one round trip), reading the "before" in one query per request."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from sqlalchemy import insert, select
from sqlalchemy.orm import sessionmaker

from simulator.contracts.credentials import Principal
from simulator.db import CqrsAudit, CqrsManualEntry, CqrsWorkflow, utcnow, writing


def record(sessions: sessionmaker, who: Principal, action: str,
           changes: Iterable[tuple[str | None, dict | None, dict | None]]) -> int:
    """(practice, before, after) each, as one audit row per change; returns how many."""
    at = utcnow()
    rows = [{"at": at, "role": who.role, "identity": who.identity[:64], "action": action, "practice_code": code,
             "before": before, "after": after} for code, before, after in changes]
    if rows:
        with writing(sessions) as s:
            s.execute(insert(CqrsAudit), rows)
    return len(rows)


def states(sessions: sessionmaker, codes: Sequence[str], service: str, achievement_date: dt.date) -> dict[str, str]:
    """practice -> its workflow state now (absent: no calculated record)."""
    out: dict[str, str] = {}
    codes = list(dict.fromkeys(codes))
    with sessions() as s:
        for i in range(0, len(codes), 500):
            out |= dict(s.execute(select(CqrsWorkflow.practice_code, CqrsWorkflow.state).where(
                CqrsWorkflow.practice_code.in_(codes[i:i + 500]), CqrsWorkflow.quality_service == service,
                CqrsWorkflow.achievement_date == achievement_date)).all())
    return out


def manual_values(sessions: sessionmaker, codes: Sequence[str], service: str,
                  achievement_date: dt.date) -> dict[str, dict[str, dict]]:
    """practice -> indicator -> its stored manual value now."""
    out: dict[str, dict[str, dict]] = {}
    codes = list(dict.fromkeys(codes))
    with sessions() as s:
        for i in range(0, len(codes), 500):
            for e in s.scalars(select(CqrsManualEntry).where(
                    CqrsManualEntry.practice_code.in_(codes[i:i + 500]), CqrsManualEntry.quality_service == service,
                    CqrsManualEntry.achievement_date == achievement_date)):
                out.setdefault(e.practice_code, {})[e.ind_code] = _value(e.achieved, e.numerator, e.denominator)
    return out


def _value(achieved, numerator, denominator) -> dict:
    return {k: v for k, v in (("achieved", achieved), ("numerator", numerator), ("denominator", denominator))
            if v is not None}


def entry_value(e) -> dict:
    """An entry as it was given ({ind_code, achieved} or {ind_code, numerator, denominator})."""
    get = e.get if isinstance(e, dict) else lambda k: getattr(e, k, None)
    return _value(get("achieved"), get("numerator"), get("denominator"))


def ind_code(e) -> str | None:
    return e.get("ind_code") if isinstance(e, dict) else getattr(e, "ind_code", None)


def page(sessions: sessionmaker, practice_code: str | None = None, after: int = 0, limit: int = 500) -> list[dict]:
    q = select(CqrsAudit).where(CqrsAudit.id > after)
    if practice_code:
        q = q.where(CqrsAudit.practice_code == practice_code)
    with sessions() as s:
        return [{"id": a.id, "at": a.at.isoformat(), "role": a.role, "identity": a.identity, "action": a.action,
                 "practice_code": a.practice_code, "before": a.before, "after": a.after}
                for a in s.scalars(q.order_by(CqrsAudit.id).limit(limit))]
