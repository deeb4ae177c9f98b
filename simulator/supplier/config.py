"""A supplier as a process of its own: its settings, and the service built from them."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from simulator import db
from simulator.qof.catalogue import default_catalogue
from simulator.supplier.extract import CHUNK_PATIENTS
from simulator.supplier.faults import Faults
from simulator.supplier.personality import Personality
from simulator.supplier.service import Supplier
from simulator.web.settings import ConfigError, ServiceSettings, read_practices


class SupplierConfig(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="QOFSIM_SUPPLIER_", extra="forbid")

    name: Literal["EMIS", "TPP", "INPS", "Microtest"]
    patients: Path = Field(description="patients Parquet holding this supplier's practices")
    events: Path = Field(description="events Parquet holding this supplier's practices")
    practices_file: Path = Field(description="JSON registry; this supplier hosts the rows naming it")
    gpes_url: str | None = Field(None, description="the GPES this supplier is registered with: it submits nowhere else")
    faults: list[dict] = Field(default_factory=list, description="what it sends wrong, per practice (supplier/faults.py)")
    personality: Personality = Field(default_factory=Personality)
    submit_deadline_s: float = Field(180.0, gt=0, description="keep resending one extract this long before failing the job")
    chunk_patients: int = Field(CHUNK_PATIENTS, gt=0, description="patients' records read and counted at once "
                                                                   "(bounds the memory a job takes)")
    batch_size: int = Field(50, ge=1, le=256, description="extracts sent to GPES in one request when it offers "
                                                          "a batch URL (1: one extract a request)")


def build(cfg: SupplierConfig, migrate: bool = True) -> Supplier:
    for f in ("patients", "events"):
        if not getattr(cfg, f).is_file():
            raise ConfigError(f"{f}: no such file {getattr(cfg, f)}")
    own = sorted(p.practice_code for p in read_practices(cfg.practices_file) if p.supplier == cfg.name)
    try:
        faults = Faults.from_list(cfg.faults)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    return Supplier(cfg.name, default_catalogue(), cfg.patients, cfg.events, own,
                    db.sessions(cfg.database_url, create=migrate), gpes_url=cfg.gpes_url, faults=faults,
                    personality=cfg.personality, submit_deadline_s=cfg.submit_deadline_s,
                    chunk_patients=cfg.chunk_patients, batch_size=cfg.batch_size, token=cfg.token())
