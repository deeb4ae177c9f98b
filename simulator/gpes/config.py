"""GPES as a process of its own: its settings, and the service built from them."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import SettingsConfigDict

from simulator import db
from simulator.gpes.collect import Gpes
from simulator.gpes.spec import build_spec
from simulator.qof.catalogue import default_catalogue
from simulator.transport.http import CqrsClient, SupplierClient
from simulator.transport.mesh import Mailbox, MeshSettings, mesh_settings_given
from simulator.web.settings import ServiceSettings, read_practices


class GpesConfig(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="QOFSIM_GPES_", extra="forbid")

    practices_file: Path = Field(description="JSON list of {practice_code, supplier, ccg_code}: GPES's registry")
    suppliers: dict[str, str] = Field(default_factory=dict, description="supplier name -> its URL")
    cqrs_url: str | None = Field(None, description="where accepted extracts are forwarded (transport http)")
    transport: Literal["http", "mesh"] = Field("http", description="how extracts reach CQRS: POST to cqrs_url, or "
                                                                   "MESH messages to CQRS's mailbox")
    mesh: MeshSettings | None = Field(None, description="GPES's MESH mailbox and CQRS's (transport mesh)")
    public_url: str | None = Field(None, description="where suppliers submit (default http://host:port)")
    supplier_timeout_s: float = Field(10.0, gt=0, description="an extraction request not answered in this is retried")
    dispatch_attempts: int = Field(6, ge=1)
    retry_base_s: float = Field(0.1, gt=0)
    retry_cap_s: float = Field(5.0, gt=0)

    _mesh_given = model_validator(mode="after")(mesh_settings_given)


def build(cfg: GpesConfig, migrate: bool = True) -> Gpes:
    registry = {p.practice_code: p.supplier for p in read_practices(cfg.practices_file)}
    token = cfg.token()  # GPES's own credential: suppliers and CQRS take requests only from GPES
    return Gpes(db.sessions(cfg.database_url, create=migrate), build_spec(default_catalogue()), registry,
                public_url=(cfg.public_url or f"http://{cfg.host}:{cfg.port}").rstrip("/"),
                suppliers={n: SupplierClient(u, timeout=cfg.supplier_timeout_s, token=token) for n, u in cfg.suppliers.items()},
                cqrs=CqrsClient(cfg.cqrs_url, timeout=30, token=token) if cfg.cqrs_url and cfg.transport == "http" else None,
                mesh=Mailbox(cfg.mesh) if cfg.transport == "mesh" else None,
                dispatch_attempts=cfg.dispatch_attempts, retry_base_s=cfg.retry_base_s, retry_cap_s=cfg.retry_cap_s)
