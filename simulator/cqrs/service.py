"""The CQRS service object: its database, catalogue, commissioners and workflow settings."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Mapping

from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from simulator.contracts import (AchievementSummary, BulkApprovals, BulkDeclarations, BulkManualEntries, BulkResult,
                                 ManualEntries, ManualEntryResult, PaymentRun, PracticeAchievement,
                                 Receipt, StoredManualEntry)
from simulator.cqrs import achievement, manual, store, workflow
from simulator.cqrs.parameters import CqrsParameters, default_parameters
from simulator.db import CqrsExtract, CqrsManualEntry, CqrsPaymentInstruction, CqrsWorkflow
from simulator.qof.catalogue import Catalogue


PAGE = 500  # records in one page of a bulk read


@dataclass
class Cqrs:
    sessions: sessionmaker
    catalogue: Catalogue
    commissioner_of: Mapping[str, str]  # practice -> CCG code (who approves)
    out_dir: Path
    config: workflow.ServiceConfig = field(default_factory=workflow.ServiceConfig)
    previous_year_points: Mapping[str, Decimal] = field(default_factory=dict)  # for aspiration; missing: national average
    params: CqrsParameters = field(default_factory=default_parameters)
    workers: list = field(default_factory=list)  # background workers of the process (start/stop): the MESH inbox

    @property
    def register_indicator(self) -> dict[str, str]:
        return {r.id: r.indicator for r in self.catalogue.rules.registers.values()}

    def ingest(self, body: bytes, claimed_sha: str | None) -> tuple[Receipt, bool]:
        return store.ingest(self.sessions, body, claimed_sha, self.commissioner_of.keys())

    def ingest_many(self, items: list[tuple[bytes, str | None]]) -> list[dict]:
        return store.ingest_many(self.sessions, items, self.commissioner_of.keys())

    def calculate(self) -> dict:
        result = achievement.calculate(self.catalogue, self.sessions, self.previous_year_points, self.params)
        if self.config.no_declaration_required:
            with self.sessions() as s:
                waiting = [w.practice_code for w in s.scalars(select(CqrsWorkflow).where(
                    CqrsWorkflow.state == workflow.AWAITING_SP, CqrsWorkflow.quality_service == self.config.quality_service))]
            workflow.declare_many(self.sessions, self.config, self.catalogue.parameters.achievement_date,
                                  [(code, "No Declaration Required") for code in waiting])
        return result

    def achievement(self, practice_code: str) -> PracticeAchievement:
        return workflow.achievement(self.sessions, practice_code, self.catalogue.parameters.achievement_date,
                                    self.config.quality_service)

    def summary(self, practice_code: str) -> AchievementSummary:
        return workflow.summary(self.sessions, practice_code, self.catalogue.parameters.achievement_date,
                                self.config.quality_service)

    def enter_manual(self, practice_code: str, body: ManualEntries | Mapping) -> ManualEntryResult:
        return manual.enter(self.sessions, self.catalogue, self.config, practice_code, body,
                            known_practices=self.commissioner_of.keys(), params=self.params)

    def enter_manual_many(self, body: BulkManualEntries) -> BulkResult:
        """Many practices' manual entries in one request, each checked on its own."""
        workflow.once_each([p.practice_code for p in body.practices], "practices")
        return workflow.bulk_result(manual.enter_many(
            self.sessions, self.catalogue, self.config,
            [(p.practice_code, {"entered_by": p.entered_by, "entries": p.entries}) for p in body.practices],
            known_practices=self.commissioner_of.keys(), params=self.params))

    def manual_entries(self, practice_code: str) -> list[StoredManualEntry]:
        return manual.stored_entries(self.sessions, practice_code, self.config.quality_service,
                                     self.catalogue.parameters.achievement_date)

    def declare(self, practice_code: str, declared_by: str) -> str:
        return workflow.declare(self.sessions, self.config, practice_code, self.catalogue.parameters.achievement_date,
                                declared_by)

    def declare_many(self, body: BulkDeclarations) -> BulkResult:
        workflow.once_each([d.practice_code for d in body.declarations], "declarations")
        return workflow.bulk_result(workflow.declare_many(
            self.sessions, self.config, self.catalogue.parameters.achievement_date,
            [(d.practice_code, d.declared_by) for d in body.declarations]))

    def decide_many(self, body: BulkApprovals) -> BulkResult:
        workflow.once_each([a.practice_code for a in body.approvals], "approvals")
        return workflow.bulk_result(workflow.decide_many(
            self.sessions, self.config, self.commissioner_of, self.catalogue.parameters.achievement_date,
            [(a.practice_code, a.approver, a.decision, a.reason) for a in body.approvals]))

    def decide(self, practice_code: str, approver: str, decision: str, reason: str = "") -> str:
        return workflow.decide(self.sessions, self.config, self.commissioner_of, practice_code,
                               self.catalogue.parameters.achievement_date, approver, decision, reason)

    def payment_run(self) -> PaymentRun:
        return workflow.payment_run(self.sessions, self.config, self.commissioner_of, self.out_dir)

    def extracts(self, request_ids: list[str] | None = None) -> list[dict]:
        """Stored extracts, without their bodies and counts (only these columns are read: a world's
        whole list after a load run is tens of thousands of rows)."""
        cols = (CqrsExtract.extract_id, CqrsExtract.request_id, CqrsExtract.practice_code, CqrsExtract.supplier,
                CqrsExtract.sha256, CqrsExtract.current, CqrsExtract.list_size)
        q = select(*cols).order_by(CqrsExtract.practice_code, CqrsExtract.received_at)
        if request_ids:
            q = q.where(CqrsExtract.request_id.in_(request_ids))
        with self.sessions() as s:
            return [dict(row._mapping) for row in s.execute(q)]

    def counts(self) -> dict:
        with self.sessions() as s:
            return {"extracts": s.scalar(select(func.count()).select_from(CqrsExtract)),
                    "current": s.scalar(select(func.count()).select_from(CqrsExtract).where(CqrsExtract.current.is_(True))),
                    "payment_instructions": s.scalar(select(func.count()).select_from(CqrsPaymentInstruction))}

    # ---------------------------------------------------------------- many at once, a page at a time
    # One JSON document a line (NDJSON), in key order after ``after``: what a reconciliation of
    # thousands of practices reads, without one request per practice.

    def achievements_page(self, after: str = "", limit: int = PAGE) -> list[bytes]:
        """Calculated records (PracticeAchievement, as GET /practices/{code}/achievement answers),
        by practice code."""
        p = self.catalogue.parameters
        with self.sessions() as s:
            rows = s.execute(select(CqrsWorkflow.state, CqrsWorkflow.calculated).where(
                CqrsWorkflow.quality_service == self.config.quality_service,
                CqrsWorkflow.achievement_date == p.achievement_date, CqrsWorkflow.practice_code > after)
                .order_by(CqrsWorkflow.practice_code).limit(limit))
            return [json.dumps({**{k: v for k, v in calc.items() if k != "stale"}, "state": state},
                               separators=(",", ":")).encode() for state, calc in rows]

    def workflow_page(self, after: str = "", limit: int = PAGE) -> list[bytes]:
        """{practice_code, state, extract_id, history} per practice record, by practice code: the moves
        CQRS stored (calculated, declared by, approved/rejected by, paid; each with when), for reports."""
        p = self.catalogue.parameters
        with self.sessions() as s:
            rows = s.execute(select(CqrsWorkflow.practice_code, CqrsWorkflow.state, CqrsWorkflow.extract_id,
                                    CqrsWorkflow.history).where(
                CqrsWorkflow.quality_service == self.config.quality_service,
                CqrsWorkflow.achievement_date == p.achievement_date, CqrsWorkflow.practice_code > after)
                .order_by(CqrsWorkflow.practice_code).limit(limit))
            return [json.dumps({"practice_code": c, "state": st, "extract_id": x, "history": h or []},
                               separators=(",", ":")).encode() for c, st, x, h in rows]

    def manual_entries_page(self, after: str = "", limit: int = PAGE) -> list[bytes]:
        """{practice_code, entries: [StoredManualEntry...]} per practice with entries, by practice code."""
        p = self.catalogue.parameters
        with self.sessions() as s:
            codes = list(s.scalars(select(CqrsManualEntry.practice_code).distinct().where(
                CqrsManualEntry.quality_service == self.config.quality_service,
                CqrsManualEntry.achievement_date == p.achievement_date, CqrsManualEntry.practice_code > after)
                .order_by(CqrsManualEntry.practice_code).limit(limit)))
            by_code: dict[str, list] = {c: [] for c in codes}
            if codes:
                for e in s.scalars(select(CqrsManualEntry).where(
                        CqrsManualEntry.quality_service == self.config.quality_service,
                        CqrsManualEntry.achievement_date == p.achievement_date,
                        CqrsManualEntry.practice_code.in_(codes)).order_by(CqrsManualEntry.ind_code)):
                    by_code[e.practice_code].append(StoredManualEntry(
                        ind_code=e.ind_code, achieved=e.achieved, numerator=e.numerator, denominator=e.denominator,
                        entered_by=e.entered_by, entered_at=e.entered_at).model_dump(mode="json"))
        return [json.dumps({"practice_code": c, "entries": v}, separators=(",", ":")).encode()
                for c, v in by_code.items()]

    def extract_bodies_page(self, request_ids: list[str] | None = None, after: str = "",
                            limit: int = PAGE) -> list[bytes]:
        """{extract_id, sha256, body} per stored extract (``body``: the stored bytes as text, exactly),
        by extract id; ``request_ids``: only those answering these requests."""
        q = select(CqrsExtract.extract_id, CqrsExtract.sha256, CqrsExtract.body).where(CqrsExtract.extract_id > after)
        if request_ids:
            q = q.where(CqrsExtract.request_id.in_(request_ids))
        with self.sessions() as s:
            return [json.dumps({"extract_id": i, "sha256": h, "body": b.decode()}, separators=(",", ":")).encode()
                    for i, h, b in s.execute(q.order_by(CqrsExtract.extract_id).limit(limit))]

    def extract_body(self, extract_id: str) -> bytes | None:
        with self.sessions() as s:
            x = s.get(CqrsExtract, extract_id)
            return None if x is None else x.body
