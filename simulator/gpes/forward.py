"""Forward an accepted extract to CQRS exactly as received: same bytes, same SHA-256."""

from __future__ import annotations

from simulator.transport.http import Answer, CqrsClient


def forward(cqrs: CqrsClient, body: bytes) -> Answer:
    return cqrs.forward(body)  # no parsing, no re-serialising: the body is passed through untouched


def forward_many(cqrs: CqrsClient, bodies: list[bytes]) -> list[dict]:
    """The same, several at once: each body travels as its exact text with its SHA-256, which CQRS checks."""
    return cqrs.forward_many(bodies)
