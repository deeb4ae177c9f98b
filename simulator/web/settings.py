"""Service configuration: one pydantic-settings model per service, read from a YAML file and the
environment (``QOFSIM_<SERVICE>_<FIELD>``, e.g. ``QOFSIM_GPES_DATABASE_URL``). Precedence: what
the command line says, then the environment, then the file."""

from __future__ import annotations

import json
from contextvars import ContextVar
from pathlib import Path
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict, YamlConfigSettingsSource

_FILE: ContextVar[Path | None] = ContextVar("qofsim_config_file", default=None)


class ConfigError(ValueError):
    """A bad setting: the message names it (``database_url: ...``)."""


class PracticeEntry(BaseModel):
    """One practice in the registry every service is configured with (ODS code, its system, its CCG)."""

    model_config = ConfigDict(extra="forbid")
    practice_code: str = Field(pattern=r"^[A-Z][0-9]{5}$")
    supplier: str
    ccg_code: str


def read_practices(path: Path) -> list[PracticeEntry]:
    try:
        rows = json.loads(Path(path).read_text())
    except OSError as exc:
        raise ConfigError(f"practices_file: cannot read {path}: {exc.strerror}") from None
    except ValueError as exc:
        raise ConfigError(f"practices_file: {path} is not JSON: {exc}") from None
    try:
        return [PracticeEntry.model_validate(r) for r in rows]
    except ValidationError as exc:
        raise ConfigError(f"practices_file: {path}: {_first(exc)}") from None


def _first(exc: ValidationError) -> str:
    e = exc.errors()[0]
    where = ".".join(str(p) for p in e["loc"]) or "config"
    return f"{where}: {e['msg']}"


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="forbid")

    host: str = Field("127.0.0.1", description="loopback only")
    port: int = Field(0, ge=0, le=65535)
    database_url: str = Field(description="SQLAlchemy URL: sqlite:///file.db (WAL) or postgresql+psycopg://...")
    issuer_key: Path | None = Field(None, description="the world's issuer public key (PEM): callers' tokens are "
                                                      "checked against it; required unless no_auth")
    credential: Path | None = Field(None, description="a file holding this service's own bearer token, sent on "
                                                      "every call it makes to another service")
    no_auth: bool = Field(False, description="take any call from anyone (`serve --no-auth`, for a quick look only)")

    @classmethod
    def settings_customise_sources(cls, settings_cls, init_settings, env_settings, dotenv_settings,
                                   file_secret_settings):
        path = _FILE.get()
        extra = (YamlConfigSettingsSource(settings_cls, yaml_file=path),) if path else ()
        return (init_settings, env_settings, *extra)

    @classmethod
    def load(cls, path: Path | None = None, **overrides) -> Self:
        if path is not None and not Path(path).is_file():
            raise ConfigError(f"config: no such file {path}")
        token = _FILE.set(Path(path) if path else None)
        try:
            cfg = cls(**{k: v for k, v in overrides.items() if v is not None})
        except ValidationError as exc:
            raise ConfigError(_first(exc)) from None
        finally:
            _FILE.reset(token)
        if not cfg.no_auth and cfg.issuer_key is None:
            raise ConfigError("issuer_key: give the world's issuer public key (or --no-auth for a quick look)")
        if cfg.issuer_key is not None and not Path(cfg.issuer_key).is_file():
            raise ConfigError(f"issuer_key: no such file {cfg.issuer_key}")
        if cfg.credential is not None and not Path(cfg.credential).is_file():
            raise ConfigError(f"credential: no such file {cfg.credential}")
        if cfg.host not in ("127.0.0.1", "localhost", "::1"):
            raise ConfigError(f"host: {cfg.host} is not a loopback address (qofsim binds 127.0.0.1 only)")
        return cfg

    def token(self) -> str | None:
        """This service's own credential (read once, when the service is built)."""
        return Path(self.credential).read_text().strip() if self.credential else None
