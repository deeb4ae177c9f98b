"""The MESH server of a world: NHS England's ``mesh-sandbox``, a process of its own on loopback.

mesh-sandbox pins a FastAPI older than qofsim's, so it lives in a virtual environment of its own
(``.venv-mesh``, made by ``make install`` from scripts/mesh-sandbox-requirements.txt) and runs as
``python -m uvicorn mesh_sandbox.api:app --env-file DIR/config/mesh.env``: messages kept in files
under ``DIR/mesh``, every request authenticated with the world's shared key. Its mailboxes and
workflows are canned; GPES and CQRS are mapped onto them here.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import time
from pathlib import Path

import requests

ENV_PYTHON = "QOFSIM_MESH_SANDBOX_PYTHON"  # the sandbox's python (default: .venv-mesh/bin/python in the project)
GPES_MAILBOX, CQRS_MAILBOX, PASSWORD = "X26ABC1", "X26ABC2", "password"  # the sandbox's canned mailboxes
EXTRACT_WORKFLOW = "TEST_WORKFLOW"  # X26ABC1 -> X26ABC2: GPES's extracts to CQRS
VERDICT_WORKFLOW = "TEST_WORKFLOW_ACK"  # X26ABC2 -> X26ABC1: CQRS's verdicts to GPES
WORLD_CHUNK_SIZE = 4096  # small on purpose: a world's extracts (5-10 KB) each travel in chunks


class SandboxMissing(RuntimeError):
    """The sandbox's virtual environment is not there: the message says how to make it."""


def project_root() -> Path:
    return Path(__file__).resolve().parents[2]


def sandbox_python() -> Path:
    python = Path(os.environ.get(ENV_PYTHON) or project_root() / ".venv-mesh" / "bin" / "python")
    if not python.is_file():
        raise SandboxMissing(f"no mesh-sandbox python at {python}: run `make install` in {project_root()} (it makes "
                             f".venv-mesh with mesh-sandbox), or point {ENV_PYTHON} at a python that has it")
    return python


def new_shared_key() -> str:
    return secrets.token_hex(16)


def write_env(env_file: Path, mailboxes_dir: Path, shared_key: str) -> Path:
    """The sandbox's settings (it reads them from its environment), readable by their owner only."""
    env_file.parent.mkdir(parents=True, exist_ok=True)
    mailboxes_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(env_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(f"STORE_MODE=file\nMAILBOXES_DATA_DIR={mailboxes_dir.resolve()}\nAUTH_MODE=full\n"
                f"SHARED_KEY={shared_key}\n")
    return env_file


def command(env_file: Path, port: int) -> list[str]:
    return [str(sandbox_python()), "-m", "uvicorn", "mesh_sandbox.api:app", "--host", "127.0.0.1",
            "--port", str(port), "--env-file", str(env_file.resolve()), "--log-level", "warning", "--no-access-log"]


def side(kind: str, url: str, shared_key: str, chunk_size: int = WORLD_CHUNK_SIZE) -> dict:
    """The ``mesh`` settings of GPES (``kind`` gpes) or CQRS (cqrs) on this sandbox."""
    own, peer, workflow = ((GPES_MAILBOX, CQRS_MAILBOX, EXTRACT_WORKFLOW) if kind == "gpes"
                           else (CQRS_MAILBOX, GPES_MAILBOX, VERDICT_WORKFLOW))
    return {"url": url, "mailbox": own, "password": PASSWORD, "shared_key": shared_key, "peer": peer,
            "workflow_id": workflow, "chunk_size": chunk_size, "poll_s": 0.2}


def wait_ready(url: str, proc: subprocess.Popen, log: Path | None = None, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{url}/health", timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        if proc.poll() is not None:
            tail = log.read_text(errors="replace").strip().splitlines()[-3:] if log and log.exists() else []
            raise RuntimeError(f"mesh-sandbox exited while starting: {' | '.join(tail) or 'no output'}")
        time.sleep(0.05)
    raise RuntimeError(f"mesh-sandbox did not answer {url}/health within {timeout:.0f} s")


def start(directory: Path, port: int, shared_key: str) -> subprocess.Popen:
    """A sandbox keeping its messages in ``directory`` (its own session; stop it with :func:`stop`)."""
    directory = Path(directory)
    env_file = write_env(directory / "mesh.env", directory / "mailboxes", shared_key)
    log = open(directory / "mesh.log", "ab")
    proc = subprocess.Popen(command(env_file, port), stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                            start_new_session=True, cwd=directory)
    log.close()
    try:
        wait_ready(f"http://127.0.0.1:{port}", proc, directory / "mesh.log")
    except RuntimeError:
        stop(proc)
        raise
    return proc


def stop(proc: subprocess.Popen, timeout: float = 10) -> None:
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout)
