"""Errors more than one service raises, each a list of ``ErrorDetail`` naming the field it concerns.

An extract that breaks the contract is refused by GPES on receipt and by CQRS again on its own
receipt (it trusts no sender); both raise ``ExtractInvalid`` from ``parse_extract``, and every
face turns it into the same 422 (``simulator.web.errors``).
"""

from __future__ import annotations

from pydantic import ValidationError

from simulator.contracts import ErrorDetail, Extract


class Conflict(Exception):
    """The same extract_id arrived again with different content (HTTP 409 naming extract_id)."""


class Forbidden(Exception):
    """The caller may not do this to this thing (HTTP 403 naming the field and why)."""

    def __init__(self, field: str, reason: str):
        super().__init__(f"{field}: {reason}")
        self.field, self.reason = field, reason


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


def details(exc: ValidationError) -> list[ErrorDetail]:
    """Every problem pydantic found, each with its field named."""
    return [ErrorDetail(field=loc(tuple(e["loc"])), reason=e["msg"]) for e in exc.errors()]


def parse_extract(body: bytes) -> Extract:
    """The contract alone (types, signs, numerator <= denominator)."""
    try:
        return Extract.model_validate_json(body)
    except ValidationError as exc:
        raise ExtractInvalid(details(exc)) from None
