"""Hostile bodies refused before any route sees them, so nothing of them is stored.

A pure ASGI middleware (cheap on the collection path): a body over its route's stated limit is 413
(read no further than the limit); a body that is not ``application/json`` is 415; bytes that are not
UTF-8 or not JSON are 400 with the position; duplicate keys (JSON would keep the last silently),
NaN/Infinity, integers of thousands of digits and nesting too deep to parse are 422 with the reason; nesting
any deeper than a message's own shape is refused by the contract, naming the field (no qofsim message takes
arbitrary JSON), so no walk of the document is paid for on every request.
The route then reads the very bytes checked.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping

from simulator.contracts import sha256

MAX_BYTES = 1 << 20  # one extract is about 10 KB


class BodyError(ValueError):
    def __init__(self, status: int, field: str, reason: str):
        super().__init__(reason)
        self.status, self.field = status, field


def _pairs(pairs: list) -> dict:
    out = dict(pairs)
    if len(out) != len(pairs):
        seen = set()
        for k, _ in pairs:
            if k in seen:
                raise BodyError(422, k, f"duplicate key {k!r}: a JSON object names each key once")
            seen.add(k)
    return out


def _constant(name: str):
    raise BodyError(422, "body", f"{name} is not a JSON number")


def check_json(body: bytes) -> None:
    """Raise BodyError unless ``body`` is one well-formed, unambiguous JSON document."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BodyError(400, "body", f"not UTF-8 at byte {exc.start}") from None
    try:
        json.loads(text, object_pairs_hook=_pairs, parse_constant=_constant)
    except json.JSONDecodeError as exc:
        raise BodyError(400, "body", f"not JSON: {exc.msg} (line {exc.lineno}, column {exc.colno}, "
                                     f"char {exc.pos})") from None
    except RecursionError:
        raise BodyError(422, "body", "nested too deeply to read") from None
    except BodyError:
        raise
    except ValueError as exc:  # an integer of thousands of digits (Python's own limit); shorter reach the contract
        raise BodyError(422, "body", f"a number too long to read: {str(exc)[:120]}") from None


def judge_batch(items: list[tuple[bytes, str | None]],
                judge: Callable[[list[tuple[bytes, str | None]]], list[dict]]) -> list[dict]:
    """The verdicts on a batch's extracts (``POST /extracts/batch`` at GPES and at CQRS), in order.

    Each body first passes what the guard asks of a body sent alone (readable JSON, no duplicate
    keys, no NaN): one that fails is refused on its own, naming ``extracts[n].body`` (400 unreadable,
    422 ambiguous), and as with a body the guard refuses, nothing of it is stored or recorded. The
    rest go to ``judge`` (the service's own checks), whose verdicts name items by their place in
    what it was given; they are renumbered to their place in the batch."""
    refused: dict[int, dict] = {}
    for n, (raw, _) in enumerate(items):
        try:
            check_json(raw)
        except BodyError as exc:
            refused[n] = {"status": 400 if exc.status == 400 else 422, "extract_id": None, "sha256": sha256(raw),
                          "detail": [{"field": f"extracts[{n}].body", "reason": str(exc)}]}
    place = [n for n in range(len(items)) if n not in refused]
    judged = judge([items[n] for n in place]) if place else []
    out: list[dict] = [{} for _ in items]
    for n, verdict in refused.items():
        out[n] = verdict
    for k, (n, verdict) in enumerate(zip(place, judged)):
        if k != n and verdict.get("detail"):
            verdict = {**verdict, "detail": [{**d, "field": _ITEM.sub(f"extracts[{n}]", d["field"], count=1)}
                                             for d in verdict["detail"]]}
        out[n] = verdict
    return out


_ITEM = re.compile(r"^extracts\[\d+\]")


class BodyGuard:
    """ASGI middleware: every POST/PUT/PATCH body checked as above; ``limits``: bytes per path."""

    def __init__(self, app, limits: Mapping[str, int] | None = None, default: int = MAX_BYTES):
        self.app = app
        self.limits = dict(limits or {})
        self.default = default

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] not in ("POST", "PUT", "PATCH"):
            return await self.app(scope, receive, send)
        limit = self.limits.get(scope["path"], self.default)
        headers = dict(scope["headers"])
        try:
            declared = int(headers.get(b"content-length", b"0") or 0)
        except ValueError:
            return await _refuse(send, 400, "Content-Length", "not a number")
        if declared > limit:
            return await _refuse(send, 413, "body", f"{declared} bytes is over the limit of {limit} bytes "
                                                    f"for {scope['path']}")
        chunks, size, more = [], 0, True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                return await _refuse(send, 413, "body", f"over the limit of {limit} bytes for {scope['path']}")
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        if body:
            ctype = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
            if ctype != b"application/json":
                return await _refuse(send, 415, "Content-Type", f"{ctype.decode('latin-1') or 'none'} given: "
                                                                "send application/json")
            try:
                check_json(body)
            except BodyError as exc:
                return await _refuse(send, exc.status, exc.field, str(exc))
        done = False

        async def replay():
            nonlocal done
            if not done:
                done = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


async def _refuse(send, status: int, field: str, reason: str) -> None:
    payload = json.dumps({"detail": [{"field": field, "reason": reason}]}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]})
    await send({"type": "http.response.body", "body": payload})
