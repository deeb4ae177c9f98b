"""One scenario's story: the world it describes, what it sent and what each hop answered.

Steps never talk HTTP themselves: they ask the story, which drives the world through the same
clients every service uses (:mod:`simulator.transport.http`), and which words the answers and the
differences in QOF's terms (practice, indicator, hop, both values).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Callable

import pytest

from simulator.bdd.library import Mismatch, StepRefused
from simulator.bdd.worlds import WORLD_ENV, LiveWorld, NationSpec, WorldPool, WorldSpec
from simulator.contracts import Extract, IndicatorCount
from simulator.gpes.spec import build_spec
from simulator.population.faults import RecordFault
from simulator.population.practices import build_practices
from simulator.population.profile import load_profile
from simulator.qof.catalogue import Catalogue, default_catalogue
from simulator.run import wait_for_collection
from simulator.transport.http import Answer, ServiceError

COLLECTION_TIMEOUT_S = 300.0
DEFAULT_LIST_SIZE = 5891  # a hand-built extract's list when the scenario names none: CPI exactly 1


def catalogue() -> Catalogue:
    return default_catalogue()


@functools.lru_cache(maxsize=None)
def _profile(name: str):
    return load_profile(name)  # seconds: it calibrates the profile


@functools.lru_cache(maxsize=None)
def _registry(profile: str, n: int, seed: int) -> tuple[dict, ...]:
    """Code, supplier and CCG of a generated nation's practices (without generating its records)."""
    return tuple({"practice_code": r["practice_code"], "supplier": r["supplier"], "ccg_code": r["ccg_code"]}
                 for r in build_practices(_profile(profile), n, seed))


@functools.lru_cache(maxsize=1)
def published_spec():
    return build_spec(catalogue())


# ---------------------------------------------------------------- QOF words


def indicator(code: str) -> str:
    """An indicator code of the catalogue, or a refusal naming the nearest codes."""
    cat = catalogue()
    if code in cat.indicators:
        return code
    import difflib

    near = difflib.get_close_matches(code, list(cat.indicators), n=4, cutoff=0.5)
    raise StepRefused(f"{code} is not a QOF 2012/13 indicator" + (f" (nearest: {', '.join(near)})" if near else ""))


def extracted_indicator(code: str) -> str:
    d = catalogue().indicators[indicator(code)]
    if not d.extracted:
        raise StepRefused(f"{code} is not extracted by GPES (it is one of the 44 entered by hand in CQRS)")
    return code


def area(words: str) -> str:
    """A catalogue area (clinical area, organisational area or additional service), any case."""
    cat = catalogue()
    areas = sorted({d.area for d in cat.indicators.values()})
    for a in areas:
        if a.lower() == words.strip().lower():
            return a
    import difflib

    near = difflib.get_close_matches(words, areas, n=3, cutoff=0.4)
    raise StepRefused(f"{words!r} is not a QOF 2012/13 area" + (f" (nearest: {', '.join(near)})" if near else "")
                      + f"; areas: {', '.join(areas)}")


def register(words: str) -> str:
    """A register id (DM) from its id or its area's name (diabetes)."""
    cat = catalogue()
    regs = cat.rules.registers
    if words.upper() in regs:
        return words.upper()
    by_area = {r.area.lower(): r.id for r in regs.values()}
    if words.strip().lower() in by_area:
        return by_area[words.strip().lower()]
    raise StepRefused(f"{words!r} is not a register (registers: {', '.join(f'{r.id} ({r.area})' for r in regs.values())})")


def field_matches(expected: str, actual: str) -> bool:
    """A field name as a feature writes it: ``[n]`` stands for any position (``indicators[n].id``)."""
    import re

    pattern = re.escape(expected).replace(re.escape("[n]"), r"\[[0-9]+\]")
    return re.fullmatch(pattern, actual) is not None


# ---------------------------------------------------------------- answers


@dataclass
class Attempt:
    """What a hop answered to something a step asked of it (kept for the Then that reads it)."""

    what: str  # "A81001's declaration"
    hop: str  # "CQRS" | "GPES"
    status: int
    body: object
    checked: bool = False

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def reasons(self) -> list[tuple[str, str]]:
        body = self.body
        if isinstance(body, dict) and isinstance(body.get("detail"), list):
            return [(d.get("field", ""), d.get("reason", "")) for d in body["detail"] if isinstance(d, dict)]
        if isinstance(body, dict) and isinstance(body.get("detail"), dict):
            d = body["detail"]
            return [(d.get("field", ""), d.get("reason", ""))]
        return [("", str(body))]

    def said(self) -> str:
        return "; ".join(f"{f}: {r}" if f else r for f, r in self.reasons())

    def describe(self) -> str:
        if self.ok:
            return f"{self.hop} accepted {self.what} ({self.status})"
        return f"{self.hop} refused {self.what} ({self.status}): {self.said()}"


def attempt(what: str, hop: str, call: Callable[[], object]) -> Attempt:
    try:
        answer = call()
    except ServiceError as exc:
        try:
            body = json.loads(exc.body)
        except ValueError:
            body = exc.body
        return Attempt(what, hop, exc.status, body)
    if isinstance(answer, (Answer, HttpAnswer)):  # an answer that carries its own status
        return Attempt(what, hop, answer.status, answer.json)
    return Attempt(what, hop, 200, answer)


@dataclass
class HttpAnswer:
    """A status and a JSON body, for requests the clients do not make (a bad checksum, a raw entry)."""

    status: int
    json: object

    @classmethod
    def of(cls, r) -> "HttpAnswer":
        try:
            return cls(r.status_code, r.json())
        except ValueError:
            return cls(r.status_code, r.text)


# ---------------------------------------------------------------- hand-built extracts


@dataclass
class Draft:
    """An extract a scenario builds count by count (everything it does not name is 0)."""

    practice: str
    supplier: str
    list_size: int | None = None
    registers: dict[str, int] = field(default_factory=dict)
    indicators: dict[str, tuple[int, int, int]] = field(default_factory=dict)  # id -> (num, den, exceptions)
    target_populations: dict[str, int] = field(default_factory=dict)

    def body(self, request_id: str) -> dict:
        spec_ = published_spec()
        x = Extract(extract_id=str(uuid.uuid4()), request_id=request_id, spec_id=spec_.spec_id, supplier=self.supplier,
                    practice_code=self.practice, achievement_date=spec_.achievement_date,
                    list_size=self.list_size if self.list_size is not None else DEFAULT_LIST_SIZE,
                    registers={r.id: self.registers.get(r.id, 0) for r in spec_.registers},
                    indicators=tuple(IndicatorCount(id=i.id, numerator=self.indicators.get(i.id, (0, 0, 0))[0],
                                                    denominator=self.indicators.get(i.id, (0, 0, 0))[1],
                                                    exceptions=self.indicators.get(i.id, (0, 0, 0))[2])
                                     for i in spec_.indicators),
                    target_populations={t.group: self.target_populations[t.group] for t in spec_.target_populations
                                        if t.group in self.target_populations})
        return x.model_dump(mode="json")


def diff_extracts(held: dict, sent: dict) -> list[tuple[str, object, object]]:
    """(what, held, sent) for every count that differs between two extract bodies."""
    out: list[tuple[str, object, object]] = []
    for key in ("extract_id", "spec_id", "supplier", "practice_code", "achievement_date", "list_size"):
        if held.get(key) != sent.get(key):
            out.append((key.replace("_", " "), held.get(key), sent.get(key)))
    for group in ("registers", "target_populations"):
        a, b = held.get(group, {}), sent.get(group, {})
        label = "register" if group == "registers" else "target population"
        for k in sorted(set(a) | set(b)):
            if a.get(k) != b.get(k):
                out.append((f"{label} {k}", a.get(k, "nothing"), b.get(k, "nothing")))
    a = {i["id"]: i for i in held.get("indicators", [])}
    b = {i["id"]: i for i in sent.get("indicators", [])}
    for k in list(dict.fromkeys([*a, *b])):
        if k not in a or k not in b:
            out.append((k, "nothing" if k not in a else "its counts", "nothing" if k not in b else "its counts"))
            continue
        for f in ("numerator", "denominator", "exceptions"):
            if a[k][f] != b[k][f]:
                out.append((f"{k} {f}", a[k][f], b[k][f]))
    return out


# ---------------------------------------------------------------- the story


class Story:
    """The ``qof`` fixture: everything one scenario has said and seen."""

    def __init__(self, pool: WorldPool):
        self.pool = pool
        self.group = "session"
        self.read_only = False
        self.feature = ""
        self.scenario = ""
        self.nation_spec: NationSpec | None = None
        self.record_faults: list[RecordFault] = []
        self.faults: list[tuple[str, str, str | None]] = []
        self.moods: dict[str, dict] = {}
        self.cqrs_today: dt.date | None = None
        self.live: LiveWorld | None = None
        self.collection: dict | None = None
        self.started: str | None = None  # a collection started and not yet waited for
        self.drafts: dict[str, Draft] = {}
        self.sent: dict[str, dict] = {}  # practice -> the body of the extract this scenario sent for it
        self.last: Attempt | None = None
        self.payment_runs: list = []
        self.failed = False
        self.unit: dict = {}  # what unit-level (no-HTTP) steps keep
        self.before_skip: Callable[[], None] = lambda: None  # the plugin marks the report skipped

    # ------------------------------------------------------------ describing the world

    def describing(self, what: str) -> None:
        """A Given that shapes the world must come before the world is brought up."""
        if self.live is not None:
            raise StepRefused(f"{what} is fixed when the world starts, and this scenario's world is already up: "
                              "put the step before the first step that uses a service")

    def describe_nation(self, spec: NationSpec) -> None:
        self.describing("the nation")
        if self.nation_spec is not None and self.nation_spec != spec:
            raise StepRefused(f"the world is already described as {self.nation_spec.describe()}")
        self.nation_spec = spec

    def practices(self) -> list[dict]:
        """Code, supplier and commissioner of every practice of the described (or external) world."""
        if self.pool.external is not None:
            return [p.model_dump() for p in self.pool.external_world().file.practices]
        if self.nation_spec is None:
            raise StepRefused("no world described yet: begin with e.g. "
                              "'Given a QOF 2012/13 world of 8 practices on EMIS, TPP, INPS and Microtest'")
        return [dict(r) for r in _registry(self.nation_spec.profile, self.nation_spec.practices, self.nation_spec.seed)]

    def practice(self, code: str, supplier: str | None = None) -> dict:
        rows = {p["practice_code"]: p for p in self.practices()}
        if code not in rows:
            raise StepRefused(f"no practice {code} in this world (it has {', '.join(sorted(rows))})")
        p = rows[code]
        if supplier is not None and p["supplier"] != supplier:
            raise StepRefused(f"{code} is on {p['supplier']} in this world, not {supplier}")
        return p

    def practices_of(self, supplier: str) -> list[str]:
        return sorted(p["practice_code"] for p in self.practices() if p["supplier"] == supplier)

    def supplier_of(self, code: str) -> str:
        return self.practice(code)["supplier"]

    def add_fault(self, practice: str, kind: str, as_practice: str | None = None) -> None:
        self.describing("a supplier fault")
        self.practice(practice)
        if any(p == practice and k == kind for p, k, _ in self.faults):
            raise StepRefused(f"{practice} already has the fault {kind}")
        self.faults.append((practice, kind, as_practice))

    def add_record_fault(self, practice: str, kind: str, register_id: str | None = None) -> None:
        self.describing("a record fault")
        self.practice(practice)
        self.record_faults.append(RecordFault(practice, kind, register_id))

    def mood(self, supplier: str, **settings) -> None:
        self.describing(f"{supplier}'s behaviour")
        if supplier not in {p["supplier"] for p in self.practices()}:
            raise StepRefused(f"{supplier} has no practice in this world")
        mine = self.moods.setdefault(supplier, {})
        for k, v in settings.items():
            if k in mine and mine[k] != v and k != "late":
                raise StepRefused(f"{supplier}'s {k} is already {mine[k]}, not {v}")
        if "late" in settings:
            settings = {**settings, "late": sorted({*mine.get("late", []), *settings["late"]})}
        mine.update(settings)

    def spec(self) -> WorldSpec:
        nation = self.nation_spec
        if nation is not None and self.record_faults:
            nation = dataclasses.replace(nation, record_faults=(*nation.record_faults, *self.record_faults))
        return WorldSpec(nation=nation, supplier_faults=tuple(self.faults),
                         personalities=tuple(sorted((s, tuple(sorted((k, tuple(v) if isinstance(v, list) else v)
                                                                     for k, v in m.items())))
                                                    for s, m in self.moods.items())),
                         cqrs_today=self.cqrs_today)

    # ------------------------------------------------------------ the running world

    def world(self) -> LiveWorld:
        if self.live is not None:
            return self.live
        spec = self.spec()
        if self.pool.external is not None:
            why = spec.incompatible(self.pool.external_world()) if spec.nation is not None else None
            if why is None and spec.nation is None and (spec.supplier_faults or spec.personalities or spec.cqrs_today):
                why = "a world with the faults or settings its Given steps describe"
            if why:
                self.before_skip()
                pytest.skip(f"this scenario needs {why} ({WORLD_ENV}={self.pool.external})")
        elif spec.nation is None:
            self.practices()  # refuses, saying how to describe a world
        self.live = self.pool.world(spec, self.group)
        return self.live

    @property
    def w(self):
        return self.world().w

    def nation(self):
        return self.world().nation

    # ------------------------------------------------------------ collections

    def collect(self, again: bool = False) -> dict:
        """The feature's collection (made by the first scenario that asks), or a new one."""
        live = self.world()
        if live.collections and not again:
            self.collection = live.collections[-1]
            return self.collection
        cid = live.w.gpes().start_collection()["collection_id"]
        return self.finish(cid)

    def start(self) -> str:
        self.started = self.w.gpes().start_collection()["collection_id"]
        return self.started

    def finish(self, collection_id: str | None = None) -> dict:
        cid = collection_id or self.started
        if cid is None:
            raise StepRefused("no collection was started in this scenario")
        c = wait_for_collection(self.w, cid, COLLECTION_TIMEOUT_S)
        self.world().collections.append(c)
        self.collection, self.started = c, None
        return c

    def the_collection(self) -> dict:
        if self.collection is None:
            raise StepRefused("no collection yet: a step such as 'When GPES collects the QOF 2012/13 extraction' "
                              "must come first")
        return self.collection

    def request_ids(self) -> list[str]:
        return [r["request_id"] for r in self.the_collection()["requests"]]

    def status_of(self, practice: str) -> dict:
        for row in self.the_collection()["practices"]:
            if row["practice_code"] == practice:
                return row
        raise StepRefused(f"{practice} is in no request of this collection")

    # ------------------------------------------------------------ evidence, over HTTP

    def outbox(self, supplier: str | None = None, final: bool = True) -> list[dict]:
        w = self.w
        names = [supplier] if supplier else w.suppliers
        return [o for s in names for o in w.supplier(s).outbox(self.request_ids()) if o["final"] or not final]

    def receipts(self) -> list[dict]:
        return self.w.gpes().receipts(self.request_ids())

    def extracts(self) -> list[dict]:
        return self.w.cqrs().extracts(self.request_ids())

    def body(self, extract_id: str) -> dict:
        return json.loads(self.w.cqrs().extract_body(extract_id))

    def sent_body(self, practice: str) -> tuple[str, dict]:
        """What the practice's supplier sent and GPES accepted, in this collection: (supplier, body)."""
        supplier = self.supplier_of(practice)
        mine = [o for o in self.outbox(supplier) if o["practice_code"] == practice and o["status"] in (200, 201)]
        if not mine:
            st = self.status_of(practice)
            raise Mismatch(f"{supplier} sent no accepted extract for {practice}; GPES reports it {st['status']}"
                           + (f": {st['reason']}" if st["reason"] else ""))
        return supplier, json.loads(mine[-1]["body"])

    def held(self, practice: str) -> list[dict]:
        return [x for x in self.extracts() if x["practice_code"] == practice]

    def current_body(self, practice: str) -> dict:
        """The extract CQRS holds as current for the practice (of any collection or hand-sent)."""
        current = [x for x in self.w.cqrs().extracts() if x["practice_code"] == practice and x["current"]]
        if not current:
            raise Mismatch(f"CQRS holds no current extract for {practice}")
        return self.body(current[0]["extract_id"])

    def achievement(self, practice: str) -> dict:
        a = attempt(f"{practice}'s achievement", "CQRS", lambda: self.w.cqrs().achievement(practice))
        if not a.ok:
            raise Mismatch(f"CQRS has no achievement for {practice}: {a.said()} (has CQRS calculated?)")
        return a.body.model_dump(mode="json")

    # ------------------------------------------------------------ hand-built extracts

    def draft(self, practice: str) -> Draft:
        if practice not in self.drafts:
            self.drafts[practice] = Draft(practice, self.supplier_of(practice))
        return self.drafts[practice]

    def send_through_gpes(self, body: bytes, what: str, supplier: str) -> Attempt:
        """``body`` POSTed to GPES with ``supplier``'s credential (a supplier submits only for its own)."""
        a = attempt(what, "GPES", lambda: self.w.gpes("supplier", supplier=supplier).submit(body))
        self.last = a
        return a

    def new_request(self, supplier: str, practices: list[str]) -> str:
        return self.w.gpes().create_request(supplier, practices).request_id

    def wait_acknowledged(self, extract_ids: list[str], timeout: float = 60.0) -> None:
        """Until GPES reports each extract acknowledged by CQRS (or refused by it)."""
        deadline = time.monotonic() + timeout
        gpes = self.w.gpes()
        while True:
            rows = {r["extract_id"]: r for r in gpes.receipts()}
            waiting = [i for i in extract_ids if rows.get(i, {}).get("forward_state") not in ("acknowledged", "refused")]
            if not waiting:
                refused = [rows[i] for i in extract_ids if rows[i]["forward_state"] == "refused"]
                if refused:
                    raise Mismatch(f"CQRS refused {refused[0]['practice_code']}'s extract: {refused[0]['forward_error']}")
                return
            if time.monotonic() > deadline:
                raise Mismatch(f"GPES had not forwarded {len(waiting)} extracts to CQRS after {timeout:.0f} s "
                               f"({', '.join(rows.get(i, {}).get('practice_code', i) for i in waiting)})")
            time.sleep(0.05)

    # ------------------------------------------------------------ what was refused

    def expect_refusal(self) -> Attempt:
        if self.last is None:
            raise StepRefused("no request was made in this scenario for a service to refuse")
        self.last.checked = True
        if self.last.ok:
            raise Mismatch(f"{self.last.hop} accepted {self.last.what} ({self.last.status}); a refusal was expected")
        return self.last

    def unchecked_refusal(self) -> Attempt | None:
        a = self.last
        return a if a is not None and not a.ok and not a.checked else None
