"""``world.json``: what a running world is made of, for any client to find it."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict

from simulator.web.settings import PracticeEntry


class ServiceInfo(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str  # gpes, cqrs, supplier-EMIS, ..., mesh
    kind: str  # gpes | cqrs | supplier | mesh (the mesh-sandbox, when GPES -> CQRS runs over MESH)
    url: str
    pid: int
    database_url: str  # "" for the mesh-sandbox (its messages are files under the world's mesh/)
    config: str  # its configuration file (the mesh-sandbox's: its environment file)
    log: str
    command: list[str]  # how it was started (and is restarted)


class IssuerInfo(BaseModel):
    """The world's credential issuer: every service checks tokens against ``public_key``; whoever may
    read ``private_key`` (the world's owner: ``qofsim credentials issue``, the harness) signs them."""

    model_config = ConfigDict(extra="forbid")

    issuer: str
    algorithm: str
    public_key: str
    private_key: str


class WorldFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    scenario: str
    seed: int
    nation: str  # the generated nation's folder (Parquet + manifest)
    created_at: str
    services: dict[str, ServiceInfo]
    practices: list[PracticeEntry]
    issuer: IssuerInfo | None = None  # None: a world whose services run --no-auth

    @classmethod
    def read(cls, directory: Path) -> "WorldFile":
        return cls.model_validate_json((Path(directory) / "world.json").read_text())

    def write(self, directory: Path) -> None:
        path = Path(directory) / "world.json"
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(self.model_dump_json(indent=2) + "\n")
        tmp.replace(path)
