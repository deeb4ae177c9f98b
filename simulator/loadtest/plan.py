"""The load plan: everything a Locust process needs, as one JSON document, and the extract builder.

The driver (``runner.py``) writes it before Locust starts; Locust's master (or the only Locust
process) reads it from ``$QOFSIM_LOAD_PLAN`` and sends it to each worker with that worker's share
of the practices, so a worker on another machine needs no file. The extracts carry real counts:
each practice points at a template, the counts one generated practice's records gave the
extraction engine (``target.py``); an extract's bytes are a pure function of (plan, practice,
extract_id), so the checks rebuild exactly what a Locust user sent from the tally alone.

Nothing here imports Locust, requests or a service: Locust users and the driver both import it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

PLAN_ENV = "QOFSIM_LOAD_PLAN"  # the plan's path (master or the only process)
TALLY_ENV = "QOFSIM_LOAD_TALLY"  # where the master (or the only process) writes the merged tally
RUN_TIME_ENV = "QOFSIM_LOAD_RUN_TIME"  # seconds the profile's shape lasts
USERS_ENV = "QOFSIM_LOAD_USERS"  # peak users (else the profile's own)

SCHEMA_VERSION = "1"


def canonical(obj) -> bytes:
    """Sorted keys, no spaces: the bytes a supplier sends (as ``Extract.canonical_bytes``)."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()


def sha256(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


@dataclass
class Plan:
    run_id: str
    profile: str
    gpes_url: str
    cqrs_url: str
    spec_id: str
    achievement_date: str  # ISO date
    seed: int
    requests: dict[str, str]  # supplier -> the extraction request this run's extracts answer
    practices: list[list]  # [practice_code, supplier, ccg_code, template index]
    templates: list[dict]  # {"list_size", "registers", "indicators": [[id, num, den, exc]], "target_populations"}
    run_time_s: float = 60.0
    users: int | None = None  # peak users: None, the profile's own
    issuer_key: str | None = None  # the world's private issuer key: each user signs its own credential (None: no-auth)
    share: int = 0  # this process's share of the practices (a worker's, sent by the master) ...
    shares: int = 1  # ... of this many
    _index: dict = field(default_factory=dict, repr=False, compare=False)
    _tpl: dict = field(default_factory=dict, repr=False, compare=False)
    _auth: dict = field(default_factory=dict, repr=False, compare=False)

    # ------------------------------------------------------------ (de)serialising

    def to_dict(self) -> dict:
        return {k: v for k, v in asdict(self).items() if not k.startswith("_")}

    @classmethod
    def from_dict(cls, data: dict) -> "Plan":
        return cls(**{k: v for k, v in data.items() if not k.startswith("_")})

    def write(self, path: Path) -> None:
        Path(path).write_text(json.dumps(self.to_dict()) + "\n")

    @classmethod
    def read(cls, path: Path) -> "Plan":
        return cls.from_dict(json.loads(Path(path).read_text()))

    # ------------------------------------------------------------ credentials

    def token(self, role: str, **scope) -> str | None:
        """A credential for this role (practice=, supplier=, ccg=), signed once and kept."""
        if not self.issuer_key:
            return None
        if "issuer" not in self._auth:
            from simulator.contracts.credentials import Issuer

            self._auth["issuer"] = Issuer.from_file(Path(self.issuer_key))
        return self._auth["issuer"].token(role, **scope)

    def auth(self, role: str, **scope) -> dict:
        """The Authorization header for this role, as a headers dict ({} when the world runs --no-auth)."""
        tok = self.token(role, **scope)
        return {"Authorization": f"Bearer {tok}"} if tok else {}

    # ------------------------------------------------------------ practices

    def practice(self, code: str) -> list:
        if not self._index:
            self._index.update({p[0]: p for p in self.practices})
        return self._index[code]

    def my_practices(self) -> list[list]:
        """This process's share: every ``shares``-th practice from ``share`` (no two workers own one)."""
        return self.practices[self.share::self.shares]

    def for_share(self, share: int, shares: int) -> dict:
        return {**self.to_dict(), "share": share, "shares": shares}

    # ------------------------------------------------------------ extracts

    def _template(self, n: int) -> dict:
        t = self._tpl.get(n)
        if t is None:
            src = self.templates[n]
            t = self._tpl[n] = {
                "list_size": src["list_size"], "registers": dict(src["registers"]),
                "indicators": [{"id": i, "numerator": a, "denominator": b, "exceptions": c}
                               for i, a, b, c in src["indicators"]],
                **({"target_populations": dict(src["target_populations"])} if src.get("target_populations") else {})}
        return t

    def body(self, practice_code: str, extract_id: str) -> bytes:
        """The exact bytes of this practice's extract with this id, answering this run's request."""
        code, supplier, _, template = self.practice(practice_code)
        return canonical({"schema_version": SCHEMA_VERSION, "extract_id": extract_id,
                          "request_id": self.requests[supplier], "spec_id": self.spec_id, "supplier": supplier,
                          "practice_code": code, "achievement_date": self.achievement_date,
                          **self._template(template)})


def template_from_counts(spec: dict, counts, target_populations: dict | None = None) -> dict:
    """A template from one practice's engine counts (``PracticeCounts``), in the spec's order."""
    return {"list_size": counts.list_size,
            "registers": {r["id"]: counts.registers[r["id"]] for r in spec["registers"]},
            "indicators": [[i["id"], counts.indicators[i["id"]].numerator, counts.indicators[i["id"]].denominator,
                            counts.indicators[i["id"]].exceptions] for i in spec["indicators"]],
            "target_populations": {t["group"]: (target_populations or {}).get(t["group"], 0)
                                   for t in spec.get("target_populations", [])}}
