"""Record faults on demand, per practice: raw material for scenarios and the conformance kit.

Each fault rewrites one practice's generated tables after the fact, from its own random stream,
so the rest of the nation is byte-for-byte what it would have been without it.

| kind               | what the practice's records get                         | what a correct extraction does          |
|--------------------|---------------------------------------------------------|-----------------------------------------|
| future_dated       | 5 % of events moved 1-365 days past the achievement date | ignores them (as if they were missing)  |
| duplicated_events  | 10 % of events recorded twice, identically               | counts nothing twice: counts unchanged  |
| unknown_codes      | 5 % extra events with codes in no cluster                | ignores them: counts unchanged          |
| missing_codes      | 30 % of events lost                                      | counts what is left                     |
| empty_register     | every code of one register's rules removed               | register 0; its indicators all zero     |
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Iterable, Mapping

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from simulator.qof.rules import RuleSet, _clusters_of

KINDS = ("future_dated", "duplicated_events", "unknown_codes", "missing_codes", "empty_register")
UNKNOWN_CODES = ("ZZZZ1", "ZZZZ2", "XaZZZ")  # in no cluster of any system
STREAM_FAULTS = 7  # spawn_key stream of a practice's fault draws (see generate._rng)


class RecordFaultError(ValueError):
    pass


@dataclass(frozen=True)
class RecordFault:
    practice: str
    kind: str
    register: str | None = None


def parse_record_faults(items: Iterable[Mapping] | None, registers: Iterable[str], where: str = "population.faults") -> tuple[RecordFault, ...]:
    out = []
    registers = set(registers)
    for n, item in enumerate(items or []):
        if not isinstance(item, Mapping):
            raise RecordFaultError(f"{where}[{n}]: expected {{practice, kind}}")
        kind, practice = item.get("kind"), item.get("practice")
        if kind not in KINDS:
            raise RecordFaultError(f"{where}[{n}].kind: {kind!r} is not one of {', '.join(KINDS)}")
        if not isinstance(practice, str):
            raise RecordFaultError(f"{where}[{n}].practice: a practice code is required")
        register = item.get("register")
        if kind == "empty_register" and register not in registers:
            raise RecordFaultError(f"{where}[{n}].register: one of {', '.join(sorted(registers))}")
        out.append(RecordFault(practice, kind, register))
    return tuple(out)


def register_codes(ruleset: RuleSet, clusters: Mapping[str, tuple[tuple[str, str], ...]], register: str) -> set[tuple[str, str]]:
    names: set[str] = set()
    for rule in ruleset.registers[register].rules:
        if rule.condition is not None:
            names |= _clusters_of(rule.condition)
    return {code for name in names for code in clusters[name]}


def apply(events: pa.Table, faults: Iterable[RecordFault], rng: np.random.Generator, achievement_date: dt.date,
          ruleset: RuleSet, clusters: Mapping[str, tuple[tuple[str, str], ...]]) -> pa.Table:
    """The practice's events with its faults applied, in the order given."""
    for f in faults:
        n = events.num_rows
        if f.kind == "future_dated" and n:
            pick = rng.random(n) < 0.05
            days = events.column("date").cast(pa.int32()).to_numpy(zero_copy_only=False).astype(np.int64)
            base = (achievement_date - dt.date(1970, 1, 1)).days
            moved = np.where(pick, base + rng.integers(1, 366, n), days)
            events = events.set_column(events.schema.get_field_index("date"), "date",
                                       pa.array(moved.astype(np.int32)).cast(pa.date32()))
        elif f.kind == "duplicated_events" and n:
            idx = np.flatnonzero(rng.random(n) < 0.10)
            events = pa.concat_tables([events, events.take(pa.array(idx))])
        elif f.kind == "unknown_codes" and n:
            k = max(1, n // 20)
            extra = events.take(pa.array(rng.integers(0, n, k)))
            codes = pa.array(np.array(UNKNOWN_CODES)[rng.integers(0, len(UNKNOWN_CODES), k)])
            extra = extra.set_column(extra.schema.get_field_index("code"), "code", codes)
            events = pa.concat_tables([events, extra])
        elif f.kind == "missing_codes" and n:
            events = events.filter(pa.array(rng.random(n) >= 0.30))
        elif f.kind == "empty_register":
            gone = register_codes(ruleset, clusters, f.register)
            keys = pc.binary_join_element_wise(events.column("system"), events.column("code"), "|")
            events = events.filter(pc.invert(pc.is_in(keys, pa.array([f"{s}|{c}" for s, c in gone]))))
    return events
