"""`qofsim serve gpes|cqrs|supplier`: one service alone, from its configuration file and environment.

Everything that can be wrong with a configuration (a missing file, an unknown supplier, an
unreachable database, a port in use) is found before the server starts, and reported as one line
naming the setting. With ``--workers N`` uvicorn runs N processes from an import string; the
schema is migrated once, before they start.
"""

from __future__ import annotations

import errno
import os
import socket
from pathlib import Path

from fastapi import FastAPI
from sqlalchemy.exc import SQLAlchemyError

from simulator.web.settings import ConfigError

KINDS = ("gpes", "cqrs", "supplier")
_ENV_CONFIG = "QOFSIM_SERVE_CONFIG"  # how uvicorn's worker processes find the file


def _config(kind: str, path: Path | None, overrides: dict):
    if kind == "gpes":
        from simulator.gpes.config import GpesConfig as C
    elif kind == "cqrs":
        from simulator.cqrs.config import CqrsConfig as C
    elif kind == "supplier":
        from simulator.supplier.config import SupplierConfig as C
    else:
        raise ConfigError(f"service: {kind!r} is not one of {', '.join(KINDS)}")
    return C.load(path, **overrides)


def build_app(kind: str, cfg, migrate: bool = True) -> FastAPI:
    try:
        if kind == "gpes":
            from simulator.gpes.app import create_app
            from simulator.gpes.config import build
        elif kind == "cqrs":
            from simulator.cqrs.app import create_app
            from simulator.cqrs.config import build
        else:
            from simulator.supplier.app import create_app
            from simulator.supplier.config import build
        from simulator.web.auth import Auth

        return create_app(build(cfg, migrate=migrate), Auth.from_settings(cfg))
    except SQLAlchemyError as exc:
        raise ConfigError(f"database_url: cannot use {_safe(cfg.database_url)}: "
                          f"{str(getattr(exc, 'orig', exc) or exc).splitlines()[0]}") from None
    except ImportError as exc:  # a URL whose driver is not installed
        raise ConfigError(f"database_url: cannot use {_safe(cfg.database_url)}: no driver ({exc})") from None


def settle_heap() -> None:
    """In a service's own process, once built: leave what start-up made (modules, models, compiled
    schemas: hundreds of thousands of objects) out of the garbage collector's scans, and scan less
    often. A full collection walked all of it and held up every request meanwhile: in the collection
    benchmark GPES and CQRS each stopped for 94-190 ms that way; since, no collection over 8 ms."""
    import gc

    gc.collect()
    gc.freeze()
    gc.set_threshold(GC_THRESHOLD, 20, 20)


GC_THRESHOLD = 20_000  # allocations between young collections (CPython's default: 700)


def _safe(url: str) -> str:
    """The URL without its password."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "(unparseable URL)"


def _check_port(host: str, port: int) -> None:
    s = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does: a restart may follow a kill
    try:
        s.bind((host, port))
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise ConfigError(f"port: {host}:{port} is already in use") from None
        raise ConfigError(f"host: cannot bind {host}:{port}: {exc.strerror}") from None
    finally:
        s.close()


def serve(kind: str, config: Path | None, overrides: dict, workers: int = 1, log_level: str = "warning") -> None:
    import uvicorn

    cfg = _config(kind, config, overrides)
    if cfg.no_auth:
        import sys

        print(f"\n*** qofsim {kind}: AUTHENTICATION IS OFF (--no-auth) ***\n*** it takes any call from anyone, "
              f"as any role: for a quick look only, never a world others reach ***\n", file=sys.stderr, flush=True)
    if cfg.port == 0:
        raise ConfigError("port: give a port (--port, the file, or QOFSIM_<SERVICE>_PORT)")
    _check_port(cfg.host, cfg.port)
    app = build_app(kind, cfg)  # migrates: once, here, before any worker starts
    if workers <= 1:
        settle_heap()
        uvicorn.run(app, host=cfg.host, port=cfg.port, log_level=log_level, access_log=False)
        return
    if kind == "supplier":
        raise ConfigError("workers: a supplier runs its jobs in one process (--workers 1)")
    os.environ[_ENV_CONFIG] = str(config) if config else ""
    prefix = f"QOFSIM_{kind.upper()}_"
    for k, v in overrides.items():  # the workers re-read their settings: hand them the command line's
        if v is not None:
            os.environ[prefix + k.upper()] = str(v)
    uvicorn.run(f"simulator.world.serve:{kind}_app", factory=True, host=cfg.host, port=cfg.port, workers=workers,
                log_level=log_level, access_log=False)


def _from_env(kind: str) -> FastAPI:
    path = os.environ.get(_ENV_CONFIG) or None
    app = build_app(kind, _config(kind, Path(path) if path else None, {}), migrate=False)
    settle_heap()  # a uvicorn worker: a service's own process
    return app


def gpes_app() -> FastAPI:
    return _from_env("gpes")


def cqrs_app() -> FastAPI:
    return _from_env("cqrs")
