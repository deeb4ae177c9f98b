"""CQRS as a process of its own: its settings, and the service built from them."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from simulator import db
from simulator.cqrs.service import Cqrs
from simulator.cqrs.workflow import ServiceConfig
from simulator.qof.catalogue import default_catalogue
from simulator.web.settings import ServiceSettings, read_practices


class CqrsConfig(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="QOFSIM_CQRS_", extra="forbid")

    practices_file: Path = Field(description="JSON list of {practice_code, supplier, ccg_code}: who approves whom")
    payments_dir: Path = Field(description="where payment-instruction files are written")
    today: dt.date | None = Field(None, description="the date CQRS believes it is (the manual-entry window); "
                                                    "default: the day after the achievement date")


def build(cfg: CqrsConfig, migrate: bool = True) -> Cqrs:
    commissioner_of = {p.practice_code: p.ccg_code for p in read_practices(cfg.practices_file)}
    return Cqrs(db.sessions(cfg.database_url, create=migrate), default_catalogue(), commissioner_of, cfg.payments_dir,
                config=ServiceConfig(today=cfg.today))
