"""A real mesh-sandbox for the tests (simulator/world/sandbox.py starts it): one per test session,
on a free loopback port, its messages in a temporary folder, stopped by its PID at the end.

Without the sandbox's virtual environment (``.venv-mesh``, made by ``make install``) the tests that
need it fail with the reason when ``CI`` is set, and skip elsewhere.
"""

from __future__ import annotations

import os

import pytest

from simulator.transport.mesh import Mailbox, MeshSettings
from simulator.world import sandbox
from simulator.world.processes import free_port


def _ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


@pytest.fixture(scope="session")
def mesh_sandbox_python():
    """The sandbox's python (a world with ``transport: mesh`` starts its own sandbox with it)."""
    try:
        return sandbox.sandbox_python()
    except sandbox.SandboxMissing as exc:
        if _ci():
            pytest.fail(f"CI: {exc}", pytrace=False)
        pytest.skip(str(exc))


@pytest.fixture(scope="session")
def mesh_sandbox(tmp_path_factory, mesh_sandbox_python):
    """(url, shared_key, the sandbox's folder) of a running mesh-sandbox."""
    directory = tmp_path_factory.mktemp("mesh-sandbox")
    port, key = free_port(), sandbox.new_shared_key()
    proc = sandbox.start(directory, port, key)
    try:
        yield f"http://127.0.0.1:{port}", key, directory
    finally:
        sandbox.stop(proc)


def mailbox(url: str, key: str, kind: str, **over) -> Mailbox:
    """GPES's (``kind`` gpes) or CQRS's (cqrs) mailbox on the sandbox, as a world maps them."""
    return Mailbox(MeshSettings(**{**sandbox.side(kind, url, key), **over}))


def drain(*boxes: Mailbox) -> None:
    """Acknowledge whatever an earlier test left in these mailboxes."""
    for box in boxes:
        for message_id in box.inbox():
            box.acknowledge(message_id)


@pytest.fixture
def mesh_pair(mesh_sandbox):
    """(GPES's mailbox, CQRS's mailbox), both inboxes empty."""
    url, key, _ = mesh_sandbox
    gpes, cqrs = mailbox(url, key, "gpes"), mailbox(url, key, "cqrs")
    drain(gpes, cqrs)
    yield gpes, cqrs
    gpes.close()
    cqrs.close()
