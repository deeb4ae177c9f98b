"""Validate one supplier extract against the contract, the published spec and the request.

Every problem is reported with the field it concerns, so a supplier can fix its extract from
the 422 alone. Validation happens before anything is stored. The contract check itself
(``parse_extract``) and its error are shared with CQRS and live in ``simulator.contracts.errors``;
what is here is GPES's own: the published spec and the request.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Mapping

from simulator.contracts import ErrorDetail, Extract, ExtractionSpec
from simulator.contracts.errors import ExtractInvalid, ExtractRead, read_extract


@dataclass(frozen=True)
class RequestView:
    """What GPES knows of the request an extract answers."""

    request_id: str
    supplier: str
    practices: frozenset[str]


def check_against_spec(x: Extract | ExtractRead, spec: ExtractionSpec, practice_supplier: Mapping[str, str],
                       request: RequestView | None) -> None:
    errors: list[ErrorDetail] = []
    add = lambda f, r: errors.append(ErrorDetail(field=f, reason=r))  # noqa: E731
    if x.spec_id != spec.spec_id:
        add("spec_id", f"{x.spec_id!r} does not match the published spec {spec.spec_id!r}")
    if x.achievement_date != spec.achievement_date:
        add("achievement_date", f"{x.achievement_date} does not match the spec's {spec.achievement_date}")
    owner = practice_supplier.get(x.practice_code)
    if owner is None:
        add("practice_code", f"unknown practice {x.practice_code}")
    elif owner != x.supplier:
        add("practice_code", f"practice {x.practice_code} uses {owner}, not {x.supplier}")
    if request is None:
        add("request_id", f"no extraction request {x.request_id!r}")
    else:
        if request.supplier != x.supplier:
            add("supplier", f"request {x.request_id} was sent to {request.supplier}, not {x.supplier}")
        if owner == x.supplier and x.practice_code not in request.practices:
            add("practice_code", f"practice {x.practice_code} is not in request {x.request_id}")
    wanted_regs = {r.id for r in spec.registers}
    for rid in sorted(wanted_regs - x.registers.keys()):
        add(f"registers.{rid}", "missing register")
    for rid in sorted(x.registers.keys() - wanted_regs):
        add(f"registers.{rid}", "not a register of the spec")
    wanted = [i.id for i in spec.indicators]
    in_spec = set(wanted)
    sent = [i["id"] if isinstance(i, dict) else i.id for i in x.indicators]  # ExtractRead's are dicts
    seen = Counter(sent)
    for n, iid in enumerate(sent):
        if iid not in in_spec:
            add(f"indicators[{n}].id", f"{iid} is not an indicator of the spec")
        elif seen[iid] > 1:
            add(f"indicators[{n}].id", f"duplicate indicator {iid}")
    for iid in wanted:
        if iid not in seen:
            add("indicators", f"missing indicator {iid}")
    groups = {t.group for t in spec.target_populations}
    for g in sorted(x.target_populations.keys() - groups):
        add(f"target_populations.{g}", "not a target population of the spec")
    if errors:
        raise ExtractInvalid(errors)


def validate(body: bytes, spec: ExtractionSpec, practice_supplier: Mapping[str, str],
             request: RequestView | None) -> ExtractRead:
    x = read_extract(body)
    check_against_spec(x, spec, practice_supplier, request)
    return x
