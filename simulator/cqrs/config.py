"""CQRS as a process of its own: its settings, and the service built from them."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import SettingsConfigDict

from simulator import db
from simulator.cqrs.mesh_inbox import MeshInbox
from simulator.cqrs.service import Cqrs
from simulator.cqrs.workflow import ServiceConfig
from simulator.qof.catalogue import default_catalogue
from simulator.transport.mesh import Mailbox, MeshSettings, mesh_settings_given
from simulator.web.settings import ServiceSettings, read_practices


class CqrsConfig(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="QOFSIM_CQRS_", extra="forbid")

    practices_file: Path = Field(description="JSON list of {practice_code, supplier, ccg_code}: who approves whom")
    payments_dir: Path = Field(description="where payment-instruction files are written")
    today: dt.date | None = Field(None, description="the date CQRS believes it is (the manual-entry window); "
                                                    "default: the day after the achievement date")
    transport: Literal["http", "mesh"] = Field("http", description="how extracts arrive: POST /extracts only, or "
                                                                   "also from CQRS's MESH mailbox (polled)")
    mesh: MeshSettings | None = Field(None, description="CQRS's MESH mailbox and GPES's (transport mesh)")

    _mesh_given = model_validator(mode="after")(mesh_settings_given)


def build(cfg: CqrsConfig, migrate: bool = True) -> Cqrs:
    commissioner_of = {p.practice_code: p.ccg_code for p in read_practices(cfg.practices_file)}
    cqrs = Cqrs(db.sessions(cfg.database_url, create=migrate), default_catalogue(), commissioner_of, cfg.payments_dir,
                config=ServiceConfig(today=cfg.today))
    if cfg.transport == "mesh":
        cqrs.workers.append(MeshInbox(cqrs, Mailbox(cfg.mesh)))
    return cqrs
