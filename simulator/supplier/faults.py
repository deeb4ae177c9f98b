"""Faults a scenario can ask of a supplier, per practice: raw material for GPES's defences."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from simulator.contracts import canonical_json

KINDS = ("resend", "numerator_above_denominator", "missing_indicator", "duplicate_indicator", "negative_count",
         "wrong_spec", "wrong_supplier_practice", "non_integer_count", "withhold")


class FaultError(ValueError):
    pass


@dataclass
class Faults:
    by_practice: dict[str, list[str]] = field(default_factory=dict)
    as_practice: dict[str, str] = field(default_factory=dict)  # wrong_supplier_practice: the code to claim

    @classmethod
    def from_list(cls, items: list[dict] | None) -> "Faults":
        out: dict[str, list[str]] = {}
        claim: dict[str, str] = {}
        for n, item in enumerate(items or []):
            kind, practice = item.get("kind"), item.get("practice")
            if kind not in KINDS:
                raise FaultError(f"faults[{n}].kind: {kind!r} is not one of {', '.join(KINDS)}")
            if not isinstance(practice, str):
                raise FaultError(f"faults[{n}].practice: a practice code is required")
            if kind == "wrong_supplier_practice":
                if not isinstance(item.get("as_practice"), str):
                    raise FaultError(f"faults[{n}].as_practice: name the other supplier's practice to claim")
                claim[practice] = item["as_practice"]
            out.setdefault(practice, []).append(kind)
        return cls(out, claim)

    def of(self, practice: str) -> list[str]:
        return self.by_practice.get(practice, [])

    def bodies(self, practice: str, body: bytes) -> list[bytes]:
        """The bytes actually sent for one practice's extract (zero, one or several bodies)."""
        kinds = self.of(practice)
        if "withhold" in kinds:
            return []
        obj = json.loads(body)
        for k in kinds:
            if k == "numerator_above_denominator" and obj["indicators"]:
                obj["indicators"][0]["numerator"] = obj["indicators"][0]["denominator"] + 1
            elif k == "missing_indicator" and obj["indicators"]:
                obj["indicators"] = obj["indicators"][1:]
            elif k == "duplicate_indicator" and obj["indicators"]:
                obj["indicators"].append(obj["indicators"][0])
            elif k == "negative_count" and obj["indicators"]:
                obj["indicators"][0]["exceptions"] = -1
            elif k == "non_integer_count":
                obj["list_size"] = obj["list_size"] + 0.5
            elif k == "wrong_spec":
                obj["spec_id"] = "QOF-2011-12"
            elif k == "wrong_supplier_practice":
                obj["practice_code"] = self.as_practice[practice]
        sent = canonical_json(obj)
        return [sent, sent] if "resend" in kinds else [sent]
