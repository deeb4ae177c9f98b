"""Start, stop, restart and look at the world's processes.

Each service is ``python -m simulator.cli serve KIND --config DIR/config/NAME.yaml --port P``,
started in its own session with its output in ``DIR/logs/NAME.log``; ports are free loopback
ports chosen before any starts, because every service's configuration names its peers' URLs.
A world whose scenario says ``transport: mesh`` has one more process, ``mesh``: a mesh-sandbox
(world/sandbox.py) that carries GPES's extracts to CQRS.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import requests
import yaml

from simulator import db
from simulator.transport.http import CqrsClient, GpesClient, SupplierClient
from simulator.contracts.credentials import ALGORITHM, ISSUER, Issuer, make_keys
from simulator.world import sandbox
from simulator.world.layout import IssuerInfo, ServiceInfo, WorldFile

LOOPBACK = "127.0.0.1"


class WorldError(RuntimeError):
    """The world cannot be started, found or reached: the message says what and where."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((LOOPBACK, 0))
        return s.getsockname()[1]


def _alive(pid: int, config: str) -> bool:
    """The process exists and is the service started with this configuration (not a reused PID)."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            args = f.read().split(b"\0")
    except OSError:
        return False
    try:
        with open(f"/proc/{pid}/stat") as f:
            if f.read().rsplit(")", 1)[1].split()[0] == "Z":
                return False
    except OSError:
        return False
    return config.encode() in args


def _database_url(directory: Path, kind: str, name: str) -> str:
    """QOFSIM_GPES_DATABASE_URL / QOFSIM_CQRS_DATABASE_URL (or QOFSIM_DATABASE_URL for both: their
    tables never overlap), else a SQLite file of its own in the world's folder. Suppliers keep
    their jobs in a SQLite file of their own."""
    env = (os.environ.get(f"QOFSIM_{kind.upper()}_DATABASE_URL") or os.environ.get(db.ENV_URL)
           if kind in ("gpes", "cqrs") else None)
    if env:
        return env
    return f"sqlite:///{(directory / f'{name}.db').resolve()}"


def _command(kind: str, config: Path, port: int, workers: int = 1) -> list[str]:
    return [sys.executable, "-m", "simulator.cli", "serve", kind, "--config", str(config), "--port", str(port),
            *(["--workers", str(workers)] if workers > 1 else [])]


def _spawn(info: ServiceInfo) -> subprocess.Popen:
    log = open(info.log, "ab")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("QOFSIM_GPES_", "QOFSIM_CQRS_", "QOFSIM_SUPPLIER_"))}
    proc = subprocess.Popen(info.command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env,
                            start_new_session=True, cwd=Path(info.config).parent.parent)
    log.close()
    return proc


def _wait_healthy(info: ServiceInfo, proc: subprocess.Popen, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{info.url}/health", timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        if proc.poll() is not None:
            tail = Path(info.log).read_text(errors="replace").strip().splitlines()[-3:]
            raise WorldError(f"{info.name} exited while starting: {' | '.join(tail) or 'no output'} ({info.log})")
        time.sleep(0.05)
    raise WorldError(f"{info.name} did not answer {info.url}/health within {timeout:.0f} s ({info.log})")


def running_services(directory: Path) -> list[str]:
    path = Path(directory) / "world.json"
    if not path.exists():
        return []
    w = WorldFile.read(directory)
    return [s.name for s in w.services.values() if _alive(s.pid, s.config)]


def up(directory: Path, nation, scenario, say=lambda m: None) -> WorldFile:
    """Start CQRS, GPES and one process per supplier of ``nation`` (a generated Nation) in ``directory``.

    ``scenario``: its name, seed, supplier faults and supplier personalities are written into the
    services' configuration files."""
    directory = Path(directory).resolve()
    alive = running_services(directory)
    if alive:
        raise WorldError(f"{directory} already holds a running world ({', '.join(alive)}): "
                         f"`qofsim down {directory}` first")
    for sub in ("config", "logs", "payments"):
        (directory / sub).mkdir(parents=True, exist_ok=True)
    practices = [{"practice_code": p["practice_code"], "supplier": p["supplier"], "ccg_code": p["ccg_code"]}
                 for p in nation.practices]
    registry = directory / "config" / "practices.json"
    registry.write_text(json.dumps(practices, indent=1) + "\n")
    suppliers = sorted({p["supplier"] for p in practices})
    mesh = scenario.transport == "mesh"
    names = ["cqrs", "gpes", *[f"supplier-{s}" for s in suppliers], *(["mesh"] if mesh else [])]
    ports = {}
    while len(set(ports.values())) < len(names):
        ports = {n: free_port() for n in names}
    url = {n: f"http://{LOOPBACK}:{ports[n]}" for n in names}
    practice_supplier = {p["practice_code"]: p["supplier"] for p in practices}
    configs: dict[str, dict] = {}
    sandbox_info, shared_key = None, ""
    if mesh:
        try:
            sandbox_info, shared_key = mesh_service(directory, ports["mesh"])
        except sandbox.SandboxMissing as exc:
            raise WorldError(str(exc)) from None
    for name in names:
        if name == "mesh":
            continue
        kind = "supplier" if name.startswith("supplier-") else name
        cfg: dict = {"database_url": _database_url(directory, kind, name), "practices_file": str(registry)}
        if kind == "cqrs":
            cfg["payments_dir"] = str(directory / "payments")
            if mesh:
                cfg |= {"transport": "mesh", "mesh": sandbox.side("cqrs", url["mesh"], shared_key)}
        elif kind == "gpes":
            cfg |= {"cqrs_url": url["cqrs"], "public_url": url["gpes"],
                    "suppliers": {s: url[f"supplier-{s}"] for s in suppliers}}
            if mesh:
                cfg |= {"transport": "mesh", "mesh": sandbox.side("gpes", url["mesh"], shared_key)}
        else:
            s = name.removeprefix("supplier-")
            personality = scenario.suppliers.get(s)
            cfg |= {"name": s, "patients": str(nation.patients_path(s).resolve()),
                    "events": str(nation.events_path(s).resolve()),
                    "gpes_url": url["gpes"],
                    "faults": [f for f in scenario.faults if practice_supplier.get(f["practice"]) == s],
                    "personality": personality.model_dump() if personality else {}}
        configs[name] = cfg
    world = launch(directory, configs, ports, scenario.name, scenario.seed, str(Path(nation.out_dir).resolve()),
                   practices, extra=[sandbox_info] if sandbox_info else [])
    say("Services up: " + ", ".join(f"{n} {i.url} (pid {i.pid})" for n, i in world.services.items()))
    return world


def mesh_service(directory: Path, port: int) -> tuple[ServiceInfo, str]:
    """The world's mesh-sandbox (not yet started) and the new shared key its users sign with: its
    environment file holds the key, its messages are kept under ``DIR/mesh``."""
    directory = Path(directory)
    shared_key = sandbox.new_shared_key()
    env_file = sandbox.write_env(directory / "config" / "mesh.env", directory / "mesh", shared_key)
    return ServiceInfo(name="mesh", kind="mesh", url=f"http://{LOOPBACK}:{port}", pid=0, database_url="",
                       config=str(env_file), log=str(directory / "logs" / "mesh.log"),
                       command=sandbox.command(env_file, port)), shared_key


def launch(directory: Path, configs: dict[str, dict], ports: dict[str, int], scenario: str, seed: int, nation: str,
           practices: list[dict], workers: dict[str, int] | None = None,
           extra: list[ServiceInfo] = ()) -> WorldFile:
    """Make the world's issuer key and each service's own credential, write each service's
    configuration, create its database, start it, wait until all answer. ``extra``: processes that
    are not qofsim services (the mesh-sandbox), started and stopped with them."""
    infos: dict[str, ServiceInfo] = {i.name: i for i in extra}
    issuer = credentials(directory)
    signer = Issuer.from_file(Path(issuer.private_key), issuer.issuer)
    for name, cfg in configs.items():
        kind = "supplier" if name.startswith("supplier-") else name
        cfg = configs[name] = {**cfg, "issuer_key": issuer.public_key}
        own = (signer.issue("gpes") if kind == "gpes" else
               signer.issue("supplier", supplier=name.removeprefix("supplier-")) if kind == "supplier" else None)
        if own:  # what the service sends on its own calls (GPES to suppliers and CQRS, a supplier to GPES)
            cfg["credential"] = str(_secret(directory / "config" / f"{name}.token", own))
        path = directory / "config" / f"{name}.yaml"
        path.write_text(yaml.safe_dump(cfg, sort_keys=False))
        infos[name] = ServiceInfo(name=name, kind=kind, url=f"http://{LOOPBACK}:{ports[name]}", pid=0,
                                  database_url=cfg["database_url"], config=str(path),
                                  log=str(directory / "logs" / f"{name}.log"),
                                  command=_command(kind, path, ports[name], (workers or {}).get(name, 1)))
    for info in infos.values():  # each database is created before any service starts: no two migrate one file
        if info.database_url:
            db.migrate(info.database_url)
    procs = {}
    for name, info in infos.items():
        procs[name] = _spawn(info)
        info.pid = procs[name].pid
    world = WorldFile(scenario=scenario, seed=seed, nation=nation,
                      created_at=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                      services=infos, practices=practices, issuer=issuer)
    world.write(directory)
    try:
        with ThreadPoolExecutor(len(infos)) as pool:
            list(pool.map(lambda n: _wait_healthy(infos[n], procs[n]), infos))
    except WorldError:
        down(directory)
        raise
    return world


def _secret(path: Path, text: str) -> Path:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text + "\n")
    return path


def credentials(directory: Path) -> IssuerInfo:
    """A new issuer key pair for the world in ``directory`` (its config folder); the private half
    readable by its owner only."""
    private, public = make_keys(Path(directory) / "config")
    return IssuerInfo(issuer=ISSUER, algorithm=ALGORITHM, public_key=str(public.resolve()),
                      private_key=str(private.resolve()))


def _terminate(pid: int, config: str, timeout: float) -> None:
    if not _alive(pid, config):
        return
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not _alive(pid, config):
            return
        time.sleep(0.05)
    os.kill(pid, signal.SIGKILL)


def down(directory: Path, timeout: float = 15) -> list[str]:
    """Stop every service of the world in ``directory`` (SIGTERM, then SIGKILL after ``timeout``)."""
    directory = Path(directory)
    if not (directory / "world.json").exists():
        raise WorldError(f"{directory}: no world.json (not a world started by `qofsim up`)")
    w = WorldFile.read(directory)
    stopped = [s.name for s in w.services.values() if _alive(s.pid, s.config)]
    with ThreadPoolExecutor(max(len(w.services), 1)) as pool:
        list(pool.map(lambda s: _terminate(s.pid, s.config, timeout), w.services.values()))
    return stopped


def kill(directory: Path, name: str) -> None:
    """SIGKILL one service (for kill-and-restart tests): no clean shutdown, no flush."""
    s = WorldFile.read(directory).services[name]
    if _alive(s.pid, s.config):
        os.kill(s.pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while _alive(s.pid, s.config) and time.monotonic() < deadline:
            time.sleep(0.02)


def restart(directory: Path, name: str) -> ServiceInfo:
    """Start one service again with its own command (same port, same database) and wait for it."""
    directory = Path(directory)
    w = WorldFile.read(directory)
    if name not in w.services:
        raise WorldError(f"{name}: no such service in {directory} (it has {', '.join(w.services)})")
    s = w.services[name]
    _terminate(s.pid, s.config, 10)
    proc = _spawn(s)
    s.pid = proc.pid
    w.write(directory)
    _wait_healthy(s, proc)
    return s


def status(directory: Path) -> list[dict]:
    """Each service: alive, its health answer (with its counts) or why there is none."""
    w = WorldFile.read(directory)
    out = []
    for s in w.services.values():
        row = {"name": s.name, "url": s.url, "pid": s.pid, "alive": _alive(s.pid, s.config), "health": None,
               "error": None}
        try:
            r = requests.get(f"{s.url}/health", timeout=3)
            row["health"] = r.json() if r.status_code == 200 else None
            row["error"] = None if r.status_code == 200 else f"answered {r.status_code}"
        except requests.RequestException as exc:
            row["error"] = f"no answer: {type(exc).__name__}"
        out.append(row)
    return out


@dataclass
class World:
    """A client's handle on a running world (from its world.json)."""

    directory: Path
    file: WorldFile
    _issuer: Issuer | None = None

    @classmethod
    def open(cls, directory: Path) -> "World":
        directory = Path(directory)
        if not (directory / "world.json").exists():
            raise WorldError(f"{directory}: no world.json (start one with `qofsim up SCENARIO --dir {directory}`)")
        return cls(directory, WorldFile.read(directory))

    @property
    def urls(self) -> dict[str, str]:
        return {n: s.url for n, s in self.file.services.items()}

    @property
    def suppliers(self) -> list[str]:
        return [n.removeprefix("supplier-") for n in self.file.services if n.startswith("supplier-")]

    @property
    def practices(self) -> list[dict]:
        return [p.model_dump() for p in self.file.practices]

    def commissioner_of(self, practice: str) -> str:
        return next(p.ccg_code for p in self.file.practices if p.practice_code == practice)

    def token(self, role: str, **scope) -> str | None:
        """A credential for ``role`` (practice=, supplier=, ccg= for the scoped roles), signed with the
        world's issuer key (None: a world without one, its services --no-auth)."""
        if self.file.issuer is None:
            return None
        if self._issuer is None:
            self._issuer = Issuer.from_file(Path(self.file.issuer.private_key), self.file.issuer.issuer)
        return self._issuer.token(role, **scope)

    def gpes(self, role: str = "gpes", **scope) -> GpesClient:
        """GPES as its operator (by default), or as ``role``."""
        return GpesClient(self.file.services["gpes"].url, token=self.token(role, **scope))

    def cqrs(self, role: str = "auditor", **scope) -> CqrsClient:
        """CQRS as ``role`` (the auditor, who reads everything, by default)."""
        return CqrsClient(self.file.services["cqrs"].url, token=self.token(role, **scope))

    def supplier(self, name: str, role: str = "auditor", **scope) -> SupplierClient:
        return SupplierClient(self.file.services[f"supplier-{name}"].url, token=self.token(role, **scope))

    def reachable(self) -> None:
        """Raise WorldError naming every service that does not answer its health check."""
        dead = [r["name"] + f" ({r['error']})" for r in status(self.directory) if r["health"] is None]
        if dead:
            raise WorldError(f"{self.directory}: not answering: {', '.join(dead)}")
