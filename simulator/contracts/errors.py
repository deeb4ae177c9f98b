"""Errors more than one service raises, each a list of ``ErrorDetail`` naming the field it concerns.

An extract that breaks the contract is refused by GPES on receipt and by CQRS again on its own
receipt (it trusts no sender); both raise ``ExtractInvalid`` from ``parse_extract``, and every
face turns it into the same 422 (``simulator.web.errors``).
"""

from __future__ import annotations

import json
from decimal import Decimal

from pydantic import ConfigDict, StrictStr, ValidationError, create_model
from typing_extensions import TypedDict

from simulator.contracts import Count, ErrorDetail, Extract


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


# ---------------------------------------------------------------- numbers: their value, however written

LONGEST_WHOLE = 400
"""Digits of the longest whole number written with a fraction or exponent that is read as itself; a
longer one (1e1000000) is read as 10**400, above every bound just the same, and not built in memory."""


def exact_number(text: str) -> int | Decimal:
    """A JSON number written with a fraction or an exponent (``json.loads(parse_float=...)``), read
    exactly: a whole one is that integer (5.0, 5e0, 50e-1 and -0.0 are 5, 5, 5 and 0: to JSON,
    RFC 8259, and to JSON Schema a number is its value, not its spelling); any other stays a Decimal,
    which no count takes (5.5, and 5.00000000000000001, which a float would round to 5)."""
    d = Decimal(text)
    if d.is_zero():
        return 0  # 0e99999 too
    if d != d.to_integral_value():
        return d
    return int(d) if d.adjusted() < LONGEST_WHOLE else 10 ** LONGEST_WHOLE


def _as_float(value):
    if isinstance(value, Decimal):
        return float(value)  # not a whole number: any float is refused by a count, as the Decimal was
    raise TypeError(f"{type(value).__name__} is not JSON")


def whole_numbers(body: bytes) -> bytes | None:
    """``body`` with every whole number written with a fraction or an exponent rewritten as an integer;
    None when there is none (or the body is not JSON): the contract's verdict on the body stands."""
    spelled = []

    def number(text: str):
        spelled.append(text)
        return exact_number(text)

    try:
        doc = json.loads(body, parse_float=number)
    except (ValueError, RecursionError):
        return None
    if not spelled:
        return None
    return json.dumps(doc, separators=(",", ":"), default=_as_float).encode()


def parse_extract(body: bytes) -> Extract:
    """The contract alone (types, signs, numerator <= denominator); a count written 5.0 or 5e0 is 5."""
    try:
        return Extract.model_validate_json(body)
    except ValidationError as exc:
        whole = whole_numbers(body)
        if whole is None:
            raise ExtractInvalid(details(exc, indicator_ids(body))) from None
    try:
        return Extract.model_validate_json(whole)
    except ValidationError as exc:
        raise ExtractInvalid(details(exc, indicator_ids(whole))) from None


# ---------------------------------------------------------------- the receiving services' read


class IndicatorCounts(TypedDict):
    """One indicator of an extract as GPES and CQRS read it: a plain dict, validated as IndicatorCount is."""

    __pydantic_config__ = ConfigDict(extra="forbid")  # type: ignore[misc]
    id: StrictStr
    numerator: Count
    denominator: Count
    exceptions: Count


ExtractRead = create_model(
    "ExtractRead", __config__=ConfigDict(extra="forbid", frozen=True), __doc__=(
        "A valid extract as the receiving services read it: Extract's own fields, types, bounds and "
        "checks, in Extract's order, except that each indicator is an IndicatorCounts dict. Building "
        "84 model objects cost pydantic more than validating everything else in an extract, and GPES "
        "and CQRS each read every extract of a collection."),
    **{name: (tuple[IndicatorCounts, ...], f) if name == "indicators" else (f.annotation, f)
       for name, f in Extract.model_fields.items()})


def read_extract(body: bytes):
    """Accept what :func:`parse_extract` accepts, at about a quarter of the cost, returning an
    :data:`ExtractRead`. Whatever fails here is judged again by :func:`parse_extract`, so a refusal
    carries exactly the contract model's reasons and field names (``tests/test_contracts.py``
    holds the two to the same verdicts)."""
    try:
        x = ExtractRead.model_validate_json(body)
    except ValidationError:
        whole = whole_numbers(body)
        try:
            x = None if whole is None else ExtractRead.model_validate_json(whole)
        except ValidationError:
            x = None
    if x is None or any(i["numerator"] > i["denominator"] for i in x.indicators):
        parse_extract(body)  # raises ExtractInvalid with the model's own reasons
        raise AssertionError("the contract model accepted what its fast read refused")  # the tests forbid it
    return x
