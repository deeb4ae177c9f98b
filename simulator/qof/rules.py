"""The rule model: QOF business rules parsed once from YAML into plain, frozen objects.

Both engines (``engines/reference.py`` and ``engines/duckdb.py``) evaluate these objects and
nothing else, so they cannot drift apart on what a rule *means*. Every relative date
(windows, age cut-offs) is resolved here, once, into a concrete date: the engines only
compare dates, they never do calendar arithmetic of their own.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Union

import yaml
from dateutil.relativedelta import relativedelta

REGISTER_OUTCOMES = ("select", "reject")
INDICATOR_OUTCOMES = ("numerator", "exception", "denominator", "reject")


class RuleError(ValueError):
    """A rules file that cannot be trusted; the message names file, place and field."""


# ---------------------------------------------------------------- conditions


@dataclass(frozen=True)
class Window:
    """Inclusive date range; ``start`` None means 'ever' (up to ``end``)."""

    start: dt.date | None
    end: dt.date

    def contains(self, d: dt.date) -> bool:
        return d <= self.end and (self.start is None or d >= self.start)


@dataclass(frozen=True)
class Has:
    clusters: tuple[str, ...]
    window: Window


@dataclass(frozen=True)
class LatestValue:
    clusters: tuple[str, ...]
    window: Window
    max: float | None = None
    min: float | None = None
    max2: float | None = None


@dataclass(frozen=True)
class LatestIs:
    among: tuple[str, ...]
    is_: tuple[str, ...]
    window: Window


@dataclass(frozen=True)
class Unresolved:
    clusters: tuple[str, ...]
    resolved: tuple[str, ...]
    end: dt.date


@dataclass(frozen=True)
class FirstWithin:
    clusters: tuple[str, ...]
    window: Window


@dataclass(frozen=True)
class Around:
    """An event of ``clusters`` dated ``from_days`` to ``to_days`` (inclusive; None: open) after the
    earliest (``latest``: the latest) event of ``anchor`` (negative days: before it). No anchor
    event: false. The anchor may itself be one of ``clusters``' events (0 days after itself)."""

    clusters: tuple[str, ...]
    anchor: tuple[str, ...]
    from_days: int | None
    to_days: int | None
    latest: bool = False


@dataclass(frozen=True)
class RegisteredWithin:
    window: Window


@dataclass(frozen=True)
class AgeAtLeast:
    """Age in whole years on the achievement date >= years, i.e. born on or before ``born_by``."""

    years: int
    born_by: dt.date


@dataclass(frozen=True)
class Sex:
    sex: str  # "F" or "M", as the patients table records it


@dataclass(frozen=True)
class OnRegister:
    register: str


@dataclass(frozen=True)
class AllOf:
    parts: tuple["Condition", ...]


@dataclass(frozen=True)
class AnyOf:
    parts: tuple["Condition", ...]


@dataclass(frozen=True)
class Not:
    part: "Condition"


Condition = Union[Has, LatestValue, LatestIs, Unresolved, FirstWithin, Around, RegisteredWithin,
                  AgeAtLeast, Sex, OnRegister, AllOf, AnyOf, Not]


@dataclass(frozen=True)
class Rule:
    condition: Condition | None  # None: always fires (the closing default)
    outcome: str


@dataclass(frozen=True)
class Register:
    id: str
    indicator: str
    area: str
    rules: tuple[Rule, ...]
    tag: str = "I"


@dataclass(frozen=True)
class Indicator:
    id: str
    rules: tuple[Rule, ...]
    tag: str = "I"
    register: str | None = None  # the register whose members form its population, if any


@dataclass(frozen=True)
class RuleSet:
    spec_id: str
    achievement_date: dt.date
    list_size_date: dt.date
    clusters: dict[str, str]
    registers: dict[str, Register]
    indicators: dict[str, Indicator]

    def subset(self, ids) -> "RuleSet":
        """The same rules limited to the indicators and registers named in ``ids`` (registers
        also by indicator code), plus the registers those indicators read. Lets a test compile
        only what it probes."""
        ids = set(ids)
        inds = {i: ind for i, ind in self.indicators.items() if i in ids}
        regs = {r for r, reg in self.registers.items() if r in ids or reg.indicator in ids}
        for ind in inds.values():
            for rule in ind.rules:
                if rule.condition is not None:
                    regs |= {c.register for c in walk(rule.condition) if isinstance(c, OnRegister)}
        return RuleSet(self.spec_id, self.achievement_date, self.list_size_date, self.clusters,
                       {r: reg for r, reg in self.registers.items() if r in regs}, inds)

    def clusters_used(self) -> set[str]:
        found: set[str] = set()
        for rules in [r.rules for r in self.registers.values()] + [i.rules for i in self.indicators.values()]:
            for rule in rules:
                if rule.condition is not None:
                    found |= _clusters_of(rule.condition)
        return found


def _clusters_of(c: Condition) -> set[str]:
    if isinstance(c, (Has, LatestValue, FirstWithin)):
        return set(c.clusters)
    if isinstance(c, LatestIs):
        return set(c.among) | set(c.is_)
    if isinstance(c, Unresolved):
        return set(c.clusters) | set(c.resolved)
    if isinstance(c, Around):
        return set(c.clusters) | set(c.anchor)
    if isinstance(c, (AllOf, AnyOf)):
        return set().union(*(_clusters_of(p) for p in c.parts))
    if isinstance(c, Not):
        return _clusters_of(c.part)
    return set()


def walk(c: Condition):
    """Every condition node, depth first (engines use it to collect what to precompute)."""
    yield c
    if isinstance(c, (AllOf, AnyOf)):
        for p in c.parts:
            yield from walk(p)
    elif isinstance(c, Not):
        yield from walk(c.part)


# ---------------------------------------------------------------- parsing


class _Parser:
    def __init__(self, source: str, achievement_date: dt.date, clusters: dict[str, str],
                 registers: set[str]):
        self.source = source
        self.ach = achievement_date
        self.clusters = clusters
        self.registers = registers

    def fail(self, where: str, msg: str) -> RuleError:
        return RuleError(f"{self.source}: {where}: {msg}")

    def window(self, where: str, body: dict, required: bool = False) -> Window:
        """The window of a leaf: ``within_months: N`` or ``since: DATE`` (either way up to the
        achievement date, inclusive); neither: 'ever' (refused when ``required``)."""
        if "within_months" in body and "since" in body:
            raise self.fail(where, "give 'within_months' or 'since', not both")
        if "since" in body:
            return Window(self.date(where + ".since", body["since"]), self.ach)
        months = body.get("within_months")
        if months is None and not required and "within_months" not in body:
            return Window(None, self.ach)
        return self.months(where, months, "within_months")

    def months(self, where: str, months: Any, field: str) -> Window:
        if not isinstance(months, int) or isinstance(months, bool) or months <= 0:
            raise self.fail(where, f"field {field!r} must be a positive whole number of months, got {months!r}")
        return Window(self.ach - relativedelta(months=months) + dt.timedelta(days=1), self.ach)

    def date(self, where: str, v: Any) -> dt.date:
        if isinstance(v, dt.date) and not isinstance(v, dt.datetime):
            day = v
        else:
            try:
                day = dt.date.fromisoformat(v) if isinstance(v, str) else None
            except ValueError:
                day = None
        if day is None:
            raise self.fail(where, f"expected a date written YYYY-MM-DD, got {v!r}")
        return day  # after the achievement date: an empty window, not an error

    def days(self, where: str, v: Any) -> int | None:
        if v is None:
            return None
        if not isinstance(v, int) or isinstance(v, bool):
            raise self.fail(where, f"expected a whole number of days, got {v!r}")
        return v

    def cluster_list(self, where: str, value: Any) -> tuple[str, ...]:
        names = [value] if isinstance(value, str) else value
        if not isinstance(names, list) or not names:
            raise self.fail(where, f"cluster must be a name or a list of names, got {value!r}")
        for n in names:
            if n not in self.clusters:
                raise self.fail(where, f"unknown cluster {n!r} (declare it under 'clusters:')")
        return tuple(names)

    def mapping(self, where: str, body: Any, required: set[str], optional: set[str]) -> dict:
        if not isinstance(body, dict):
            raise self.fail(where, f"expected a mapping, got {body!r}")
        missing = required - body.keys()
        if missing:
            raise self.fail(where, f"missing field {sorted(missing)[0]!r}")
        extra = body.keys() - required - optional
        if extra:
            raise self.fail(where, f"unknown field {sorted(extra)[0]!r}")
        return body

    def number(self, where: str, v: Any) -> float | None:
        if v is None:
            return None
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise self.fail(where, f"expected a number, got {v!r}")
        return float(v)

    def condition(self, where: str, node: Any) -> Condition:
        if not isinstance(node, dict) or len(node) != 1:
            raise self.fail(where, f"a condition is a mapping with exactly one key, got {node!r}")
        (kind, body), = node.items()
        w = f"{where}.{kind}"
        if kind == "has":
            b = self.mapping(w, body, {"cluster"}, {"within_months", "since"})
            return Has(self.cluster_list(w + ".cluster", b["cluster"]), self.window(w, b))
        if kind == "latest_value":
            b = self.mapping(w, body, {"cluster"}, {"within_months", "since", "max", "min", "max2"})
            if not {"max", "min", "max2"} & b.keys():
                raise self.fail(w, "needs at least one of max, min, max2")
            return LatestValue(self.cluster_list(w + ".cluster", b["cluster"]),
                               self.window(w, b), self.number(w + ".max", b.get("max")),
                               self.number(w + ".min", b.get("min")), self.number(w + ".max2", b.get("max2")))
        if kind == "latest_is":
            b = self.mapping(w, body, {"among", "is"}, {"within_months", "since"})
            among = self.cluster_list(w + ".among", b["among"])
            is_ = self.cluster_list(w + ".is", b["is"])
            if not set(is_) <= set(among):
                raise self.fail(w + ".is", "every 'is' cluster must also be in 'among'")
            return LatestIs(among, is_, self.window(w, b))
        if kind == "unresolved":
            b = self.mapping(w, body, {"cluster", "resolved"}, set())
            return Unresolved(self.cluster_list(w + ".cluster", b["cluster"]),
                              self.cluster_list(w + ".resolved", b["resolved"]), self.ach)
        if kind == "first":
            b = self.mapping(w, body, {"cluster"}, {"within_months", "since"})
            return FirstWithin(self.cluster_list(w + ".cluster", b["cluster"]), self.window(w, b, required=True))
        if kind == "around":
            b = self.mapping(w, body, {"cluster"}, {"first_of", "latest_of", "from_days", "to_days"})
            if ("first_of" in b) == ("latest_of" in b):
                raise self.fail(w, "needs first_of or latest_of (the anchor), not both")
            lo, hi = self.days(w + ".from_days", b.get("from_days")), self.days(w + ".to_days", b.get("to_days"))
            if lo is None and hi is None:
                raise self.fail(w, "needs from_days, to_days or both")
            if lo is not None and hi is not None and lo > hi:
                raise self.fail(w, f"from_days ({lo}) is after to_days ({hi})")
            anchor = "latest_of" if "latest_of" in b else "first_of"
            return Around(self.cluster_list(w + ".cluster", b["cluster"]),
                          self.cluster_list(f"{w}.{anchor}", b[anchor]), lo, hi, anchor == "latest_of")
        if kind == "registered_within_months":
            return RegisteredWithin(self.months(w, body, kind))
        if kind == "sex":
            if body not in ("F", "M"):
                raise self.fail(w, f"expected F or M, got {body!r}")
            return Sex(body)
        if kind in ("age_at_least", "age_under"):
            if not isinstance(body, int) or isinstance(body, bool) or body < 0:
                raise self.fail(w, f"expected a whole number of years, got {body!r}")
            cond = AgeAtLeast(body, self.ach - relativedelta(years=body))
            return cond if kind == "age_at_least" else Not(cond)
        if kind == "on_register":
            if body not in self.registers:
                raise self.fail(w, f"unknown register {body!r}")
            return OnRegister(body)
        if kind in ("all_of", "any_of"):
            if not isinstance(body, list) or not body:
                raise self.fail(w, "expects a non-empty list of conditions")
            parts = tuple(self.condition(f"{w}[{i}]", p) for i, p in enumerate(body))
            return AllOf(parts) if kind == "all_of" else AnyOf(parts)
        if kind == "not":
            return Not(self.condition(w, body))
        raise self.fail(where, f"unknown condition {kind!r}")

    def rules(self, where: str, items: Any, outcomes: tuple[str, ...], allow_registers: bool) -> tuple[Rule, ...]:
        if not isinstance(items, list) or not items:
            raise self.fail(where, "rules must be a non-empty list")
        out = []
        for i, item in enumerate(items):
            w = f"{where}[{i}]"
            if not isinstance(item, dict) or "then" not in item or set(item) - {"if", "then"}:
                raise self.fail(w, "a rule is {if: CONDITION, then: OUTCOME} (or just {then: OUTCOME})")
            if item["then"] not in outcomes:
                raise self.fail(w + ".then", f"outcome must be one of {', '.join(outcomes)}; got {item['then']!r}")
            cond = self.condition(w + ".if", item["if"]) if "if" in item else None
            if cond is not None and not allow_registers and any(isinstance(c, OnRegister) for c in walk(cond)):
                raise self.fail(w + ".if", "a register may not depend on another register")
            out.append(Rule(cond, item["then"]))
        if out[-1].condition is not None:
            raise self.fail(where, "the last rule must have no 'if' (it says what happens to everyone else)")
        if any(r.condition is None for r in out[:-1]):
            raise self.fail(where, "only the last rule may be unconditional")
        return tuple(out)


def _population_register(rules: tuple[Rule, ...]) -> str | None:
    first = rules[0]
    if first.outcome == "reject" and isinstance(first.condition, Not) and isinstance(first.condition.part, OnRegister):
        return first.condition.part.register
    return None


def parse_rules(data: dict, achievement_date: dt.date, list_size_date: dt.date, source: str = "rules") -> RuleSet:
    if not isinstance(data, dict):
        raise RuleError(f"{source}: expected a mapping at the top level")
    for key in ("spec_id", "clusters", "registers", "indicators"):
        if key not in data:
            raise RuleError(f"{source}: missing top-level field {key!r}")
    clusters = data["clusters"]
    if not isinstance(clusters, dict):
        raise RuleError(f"{source}: clusters: expected a mapping of name to description")
    registers_raw = data["registers"] or {}
    p = _Parser(source, achievement_date, clusters, set(registers_raw))
    registers: dict[str, Register] = {}
    for rid, body in registers_raw.items():
        w = f"registers.{rid}"
        b = p.mapping(w, body, {"indicator", "area", "rules"}, {"tag", "note"})
        registers[rid] = Register(rid, b["indicator"], b["area"],
                                  p.rules(w + ".rules", b["rules"], REGISTER_OUTCOMES, False), str(b.get("tag", "I")))
    indicators: dict[str, Indicator] = {}
    for iid, body in (data["indicators"] or {}).items():
        w = f"indicators.{iid}"
        b = p.mapping(w, body, {"rules"}, {"tag", "note"})
        rules = p.rules(w + ".rules", b["rules"], INDICATOR_OUTCOMES, True)
        indicators[iid] = Indicator(iid, rules, str(b.get("tag", "I")), _population_register(rules))
    return RuleSet(str(data["spec_id"]), achievement_date, list_size_date, dict(clusters), registers, indicators)


def load_rules(path: Path, achievement_date: dt.date, list_size_date: dt.date) -> RuleSet:
    with open(path) as f:
        data = yaml.safe_load(f)
    return parse_rules(data, achievement_date, list_size_date, source=Path(path).name)
