"""Manual entry: the 44 indicators GPES does not extract, entered into CQRS by the practice.

* yes/no indicators (organisational, patient experience PE01, additional service CS05):
  ``{"ind_code": "RECORDS03", "achieved": true}``; scored as numerator 1 (or 0) of 1.
* manual percentages (RECORDS09, MEDICINES11, …, single threshold lower == upper):
  ``{"ind_code": "RECORDS09", "numerator": 172, "denominator": 200}``; scored by the threshold
  rule like any ratio (points.score).

Rules (DESIGN.md §6): entry is open only inside the entry window (parameters file), before the
commissioner approves the record, and for QOF only once the automatic collection has completed
(the practice has a current extract). A request is validated whole before anything is stored
(422 naming the field); the state rules answer 409 with the reason. An entry replaces the
practice's previous entry for that indicator; sending the same values again changes nothing.
A changed entry makes a calculated record stale and returns it to 'Awaiting Service Provider
Approval' (withdrawing a declaration), exactly as a new extract does; ``calculate`` then
includes the entries.
"""

from __future__ import annotations

import datetime as dt
from typing import Iterable, Mapping, Sequence

from pydantic import ValidationError
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from simulator.contracts import (ErrorDetail, ManualEntries, ManualEntry, ManualEntryResult, PracticeOutcome,
                                 StoredManualEntry)
from simulator.contracts.errors import details
from simulator.cqrs.longformat import DENOMINATOR, NUMERATOR
from simulator.cqrs.parameters import CqrsParameters, default_parameters
from simulator.cqrs.workflow import (APPROVED, AWAITING_SP, PAID, ServiceConfig, WorkflowError, move, raise_refusal,
                                    records, refused)
from simulator.db import CqrsExtract, CqrsManualEntry, CqrsWorkflow, utcnow, writing
from simulator.qof.catalogue import Catalogue, IndicatorDef

CLOSED_STATES = (APPROVED, PAID)


class EntryInvalid(Exception):
    """HTTP 422: the entries named in ``errors`` are wrong; nothing was stored."""

    def __init__(self, errors: list[ErrorDetail]):
        super().__init__("; ".join(f"{e.field}: {e.reason}" for e in errors))
        self.errors = errors


def is_yes_no(d: IndicatorDef) -> bool:
    """A yes/no indicator (kind yesno, or a manual one without thresholds)."""
    return d.kind == "yesno" or (d.kind == "manual" and d.lower is None)


def manual_indicators(catalogue: Catalogue) -> list[str]:
    return [c for c, d in catalogue.indicators.items() if not d.extracted]


def parse_entries(body: ManualEntries | Mapping) -> ManualEntries:
    if isinstance(body, ManualEntries):
        return body
    try:
        return ManualEntries.model_validate(body)
    except ValidationError as exc:
        raise EntryInvalid(details(exc)) from None


def check_entries(catalogue: Catalogue, entries: Sequence[ManualEntry]) -> None:
    """Every entry against the catalogue; all problems at once, each naming its field."""
    errors: list[ErrorDetail] = []
    seen: dict[str, int] = {}
    for n, e in enumerate(entries):
        where = f"entries[{n}]"
        d = catalogue.indicators.get(e.ind_code)
        if d is None:
            errors.append(ErrorDetail(field=f"{where}.ind_code", reason=f"{e.ind_code} is not a QOF 2012/13 indicator"))
            continue
        if d.extracted:
            errors.append(ErrorDetail(field=f"{where}.ind_code",
                                      reason=f"{e.ind_code} is extracted by GPES; only the {len(manual_indicators(catalogue))} "
                                             "non-extracted indicators are entered by hand"))
            continue
        if e.ind_code in seen:
            errors.append(ErrorDetail(field=f"{where}.ind_code",
                                      reason=f"{e.ind_code} is already given in entries[{seen[e.ind_code]}]"))
            continue
        seen[e.ind_code] = n
        if is_yes_no(d) and e.achieved is None:
            errors.append(ErrorDetail(field=f"{where}.achieved",
                                      reason=f"{e.ind_code} is a yes/no indicator: give 'achieved' true or false"))
        elif not is_yes_no(d) and e.achieved is not None:
            errors.append(ErrorDetail(field=f"{where}.numerator",
                                      reason=f"{e.ind_code} is a percentage ({d.lower}-{d.upper} %): give 'numerator' "
                                             "and 'denominator'"))
    if errors:
        raise EntryInvalid(errors)


def as_fields(entry: CqrsManualEntry | ManualEntry) -> dict[str, int]:
    """A stored entry in the long layout's field names, as points.score reads them."""
    if entry.achieved is not None:
        return {NUMERATOR: 1 if entry.achieved else 0, DENOMINATOR: 1}
    return {NUMERATOR: entry.numerator, DENOMINATOR: entry.denominator}


def simulated_today(cfg: ServiceConfig, catalogue: Catalogue) -> dt.date:
    """The date CQRS believes it is: ServiceConfig.today, else the day after the achievement date
    (the year-end calculation day, when the entry window opens)."""
    return cfg.today or catalogue.parameters.achievement_date + dt.timedelta(days=1)


def enter(sessions: sessionmaker, catalogue: Catalogue, cfg: ServiceConfig, practice_code: str,
          body: ManualEntries | Mapping, today: dt.date | None = None, known_practices: Iterable[str] | None = None,
          params: CqrsParameters | None = None) -> ManualEntryResult:
    """Store a practice's manual entries (validated whole; 422 / 404 / 409 as the module says)."""
    o = enter_many(sessions, catalogue, cfg, [(practice_code, body)], today, known_practices, params)[0]
    if o.outcome == "refused":
        if o.status == 422:
            raise EntryInvalid(list(o.detail))
        raise_refusal(o)
    return o.manual


def enter_many(sessions: sessionmaker, catalogue: Catalogue, cfg: ServiceConfig,
               items: Sequence[tuple[str, ManualEntries | Mapping]], today: dt.date | None = None,
               known_practices: Iterable[str] | None = None, params: CqrsParameters | None = None,
               ) -> list[PracticeOutcome]:
    """(practice, body) each: every practice's entries checked on its own, by the rules of the
    module doc; a practice refused stores nothing, the others are stored, in one transaction
    (a clash with a concurrent writer refuses the whole request: 409, nothing stored)."""
    params = params or default_parameters()
    p = catalogue.parameters
    known = None if known_practices is None else set(known_practices)
    today = today or simulated_today(cfg, catalogue)
    window_open = params.entry_opens <= today <= params.entry_closes
    now = utcnow()
    out: list[PracticeOutcome | None] = [None] * len(items)
    wanted: dict[str, tuple[int, ManualEntries]] = {}  # practices that pass the checks needing no database
    for n, (code, body) in enumerate(items):
        try:
            request = parse_entries(body)
            check_entries(catalogue, request.entries)
            if known is not None and code not in known:
                raise WorkflowError(404, "practice_code", f"unknown practice {code}")
            if not window_open:
                raise WorkflowError(409, "entry_window", f"manual entry for {p.spec_id} is open {params.entry_opens} "
                                                         f"to {params.entry_closes}; today is {today}")
            wanted[code] = (n, request)
        except EntryInvalid as exc:
            out[n] = PracticeOutcome(practice_code=code, status=422, outcome="refused", detail=tuple(exc.errors))
        except WorkflowError as exc:
            out[n] = refused(code, exc)
    try:
        with writing(sessions) as s:
            codes = list(wanted)
            with_extract: set[str] = set()
            stored: dict[str, dict[str, CqrsManualEntry]] = {c: {} for c in codes}
            for i in range(0, len(codes), 500):
                part = codes[i:i + 500]
                with_extract.update(s.scalars(select(CqrsExtract.practice_code).where(
                    CqrsExtract.practice_code.in_(part), CqrsExtract.spec_id == p.spec_id,
                    CqrsExtract.current.is_(True))))
                for e in s.scalars(select(CqrsManualEntry).where(
                        CqrsManualEntry.practice_code.in_(part), CqrsManualEntry.quality_service == cfg.quality_service,
                        CqrsManualEntry.achievement_date == p.achievement_date)):
                    stored[e.practice_code][e.ind_code] = e
            recs = records(s, codes, p.achievement_date, cfg.quality_service)
            new_rows: list[dict] = []  # first entries, inserted together (one ORM object each costs ~0.3 ms)
            for code, (n, request) in wanted.items():
                try:
                    out[n] = _enter_one(s, cfg, p.achievement_date, code, request, code in with_extract,
                                        recs.get(code), stored[code], now, new_rows)
                except WorkflowError as exc:
                    out[n] = refused(code, exc)
            if new_rows:
                s.execute(insert(CqrsManualEntry.__table__), new_rows)  # Core: one executemany
    except IntegrityError:
        raise WorkflowError(409, "entries", "another entry for this practice was stored at the same moment; "
                                            "send the request again") from None
    return out


def _enter_one(s: Session, cfg: ServiceConfig, achievement_date: dt.date, practice_code: str, request: ManualEntries,
               has_extract: bool, rec: tuple[CqrsWorkflow, bool] | None, stored: dict[str, CqrsManualEntry],
               now: dt.datetime, new_rows: list[dict]) -> PracticeOutcome:
    """One practice's entries, checked against what CQRS holds, then stored (nothing when refused):
    changed entries updated in ``s``, first entries appended to ``new_rows`` for one insert."""
    if cfg.quality_service == "QOF" and not has_extract:
        raise WorkflowError(409, "practice_code",
                            f"the automatic collection has not completed for {practice_code} (no extract "
                            "stored yet); QOF manual entry opens once it has")
    wf, stale = rec if rec is not None else (None, False)
    if wf is not None and wf.state in CLOSED_STATES:
        raise WorkflowError(409, "state", f"{practice_code} is '{wf.state}': manual entry closes once the "
                                          "commissioner has approved")
    changed, unchanged = [], 0
    for e in request.entries:
        old = stored.get(e.ind_code)
        if old is not None and (old.achieved, old.numerator, old.denominator) == (e.achieved, e.numerator,
                                                                                 e.denominator):
            unchanged += 1
            continue
        if old is None:
            new_rows.append({"practice_code": practice_code, "quality_service": cfg.quality_service,
                             "achievement_date": achievement_date, "ind_code": e.ind_code, "achieved": e.achieved,
                             "numerator": e.numerator, "denominator": e.denominator,
                             "entered_by": request.entered_by, "entered_at": now})
        else:
            old.achieved, old.numerator, old.denominator = e.achieved, e.numerator, e.denominator
            old.entered_by, old.entered_at = request.entered_by, now
        changed.append(e.ind_code)
    if wf is not None and changed:
        why = f"manual entry by {request.entered_by} ({', '.join(changed)}): awaiting recalculation"
        if wf.state != AWAITING_SP:
            move(wf, AWAITING_SP, why)
        else:
            wf.history = [*wf.history, {"at": now.isoformat(), "from": wf.state, "to": wf.state, "why": why}]
            wf.updated_at = now
        wf.calculated = {**wf.calculated, "stale": True}
        stale = True
    state = wf.state if wf is not None else None
    result = ManualEntryResult(practice_code=practice_code, stored=len(changed), unchanged=unchanged, state=state,
                               stale=stale)
    return PracticeOutcome(practice_code=practice_code, status=200, outcome="done" if changed else "unchanged",
                           state=state, manual=result)


def stored_entries(sessions: sessionmaker, practice_code: str, service: str,
                   achievement_date: dt.date) -> list[StoredManualEntry]:
    with sessions() as s:
        return [StoredManualEntry(ind_code=e.ind_code, achieved=e.achieved, numerator=e.numerator,
                                  denominator=e.denominator, entered_by=e.entered_by, entered_at=e.entered_at)
                for e in s.scalars(select(CqrsManualEntry).where(
                    CqrsManualEntry.practice_code == practice_code, CqrsManualEntry.quality_service == service,
                    CqrsManualEntry.achievement_date == achievement_date).order_by(CqrsManualEntry.ind_code))]


def entries_for_run(s: Session, service: str, achievement_date: dt.date) -> dict[str, dict[str, dict[str, int]]]:
    """practice -> IND_CODE -> fields, every stored manual entry of the service and date."""
    out: dict[str, dict[str, dict[str, int]]] = {}
    m = CqrsManualEntry
    for e in s.execute(select(m.practice_code, m.ind_code, m.achieved, m.numerator, m.denominator)  # columns, not
                       .where(m.quality_service == service, m.achievement_date == achievement_date)):  # objects
        out.setdefault(e.practice_code, {})[e.ind_code] = as_fields(e)
    return out
