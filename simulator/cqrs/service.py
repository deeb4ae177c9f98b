"""The CQRS service object: its database, catalogue, commissioners and workflow settings."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Mapping

from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from simulator.contracts import (AchievementSummary, ManualEntries, ManualEntryResult, PaymentRun, PracticeAchievement,
                                 Receipt, StoredManualEntry)
from simulator.cqrs import achievement, manual, store, workflow
from simulator.cqrs.parameters import CqrsParameters, default_parameters
from simulator.db import CqrsExtract, CqrsPaymentInstruction, CqrsWorkflow
from simulator.qof.catalogue import Catalogue


@dataclass
class Cqrs:
    sessions: sessionmaker
    catalogue: Catalogue
    commissioner_of: Mapping[str, str]  # practice -> CCG code (who approves)
    out_dir: Path
    config: workflow.ServiceConfig = field(default_factory=workflow.ServiceConfig)
    previous_year_points: Mapping[str, Decimal] = field(default_factory=dict)  # for aspiration; missing: national average
    params: CqrsParameters = field(default_factory=default_parameters)

    @property
    def register_indicator(self) -> dict[str, str]:
        return {r.id: r.indicator for r in self.catalogue.rules.registers.values()}

    def ingest(self, body: bytes, claimed_sha: str | None) -> tuple[Receipt, bool]:
        return store.ingest(self.sessions, body, claimed_sha, self.register_indicator, self.commissioner_of.keys())

    def ingest_many(self, items: list[tuple[bytes, str | None]]) -> list[dict]:
        return store.ingest_many(self.sessions, items, self.register_indicator, self.commissioner_of.keys())

    def calculate(self) -> dict:
        result = achievement.calculate(self.catalogue, self.sessions, self.previous_year_points, self.params)
        if self.config.no_declaration_required:
            with self.sessions() as s:
                waiting = [w.practice_code for w in s.scalars(select(CqrsWorkflow).where(
                    CqrsWorkflow.state == workflow.AWAITING_SP, CqrsWorkflow.quality_service == self.config.quality_service))]
            for code in waiting:
                self.declare(code, "No Declaration Required")
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

    def manual_entries(self, practice_code: str) -> list[StoredManualEntry]:
        return manual.stored_entries(self.sessions, practice_code, self.config.quality_service,
                                     self.catalogue.parameters.achievement_date)

    def declare(self, practice_code: str, declared_by: str) -> str:
        return workflow.declare(self.sessions, self.config, practice_code, self.catalogue.parameters.achievement_date,
                                declared_by)

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

    def extract_body(self, extract_id: str) -> bytes | None:
        with self.sessions() as s:
            x = s.get(CqrsExtract, extract_id)
            return None if x is None else x.body
