"""Run the FastAPI faces as real HTTP servers on 127.0.0.1, each on a free port chosen at run time."""

from __future__ import annotations

import socket
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass

import uvicorn

LOOPBACK = "127.0.0.1"


@dataclass
class Served:
    name: str
    url: str
    server: uvicorn.Server
    thread: threading.Thread


def free_socket() -> socket.socket:
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((LOOPBACK, 0))
    return s


def serve(name: str, app, sock: socket.socket | None = None, log_level: str = "warning") -> Served:
    """Start ``app`` in a background thread on a loopback socket; returns once it accepts connections."""
    sock = sock or free_socket()
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, host=LOOPBACK, port=port, log_level=log_level, access_log=False, lifespan="on")
    server = uvicorn.Server(config)
    server.install_signal_handlers = lambda: None  # type: ignore[method-assign]  # not the main thread
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name=f"uvicorn-{name}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"{name} did not start on {LOOPBACK}:{port}")
        time.sleep(0.01)
    return Served(name, f"http://{LOOPBACK}:{port}", server, thread)


def stop(served: Served, timeout: float = 10) -> None:
    served.server.should_exit = True
    served.thread.join(timeout)


@contextmanager
def running(*items: Served):
    try:
        yield items
    finally:
        for s in reversed(items):
            stop(s)
