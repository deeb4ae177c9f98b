"""Errors more than one service raises, each a list of ``ErrorDetail`` naming the field it concerns.

An extract that breaks the contract is refused by GPES on receipt and by CQRS again on its own
receipt (it trusts no sender); both raise ``ExtractInvalid`` from ``parse_extract``, and every
face turns it into the same 422 (``simulator.web.errors``).
"""

from __future__ import annotations

import json

from pydantic import ValidationError

from simulator.contracts import ErrorDetail, Extract


class Conflict(Exception):
    """The same extract_id arrived again with different content (HTTP 409 naming extract_id)."""


class ExtractInvalid(Exception):
    def __init__(self, errors: list[ErrorDetail]):
        super().__init__("; ".join(f"{e.field}: {e.reason}" for e in errors))
        self.errors = errors


def loc(path: tuple) -> str:
    """A pydantic error location as one field name: ``("indicators", 3, "numerator")`` -> ``indicators[3].numerator``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "body"


def indicator_ids(body: bytes | dict) -> dict[int, str]:
    """Position -> id of each indicator in a body (as far as it parses), to name them in errors."""
    try:
        doc = json.loads(body) if isinstance(body, (bytes, str)) else body
        return {n: i["id"] for n, i in enumerate(doc.get("indicators") or [])
                if isinstance(i, dict) and isinstance(i.get("id"), str)}
    except (ValueError, AttributeError, TypeError):
        return {}


def _reason(path: tuple, msg: str, ids: dict[int, str] | None) -> str:
    """The reason, led by the indicator's id when the field is inside one (``DM26: numerator 5 is above
    denominator 3`` for ``indicators[27]``), so a supplier need not count to 27; the field stays as it was."""
    if ids and len(path) > 1 and path[0] == "indicators" and isinstance(path[1], int) and path[1] in ids:
        return f"{ids[path[1]]}: {msg}"
    return msg


def details(exc: ValidationError, ids: dict[int, str] | None = None) -> list[ErrorDetail]:
    """Every problem pydantic found, each with its field (and the indicator it is in) named."""
    return [ErrorDetail(field=loc(tuple(e["loc"])), reason=_reason(tuple(e["loc"]), e["msg"], ids)) for e in exc.errors()]


def parse_extract(body: bytes) -> Extract:
    """The contract alone (types, signs, numerator <= denominator)."""
    try:
        return Extract.model_validate_json(body)
    except ValidationError as exc:
        raise ExtractInvalid(details(exc, indicator_ids(body))) from None
