"""The step library's own machinery: typed step patterns, the registry the glossary is printed from,
and the words a failing step says.

A step is declared once, with its stage and one example::

    @step("given", "{practice:Practice} reports {ind:Indicator} numerator {num:Count} of {den:Count}",
          stage="points", example="A81001 reports SMOKE07 numerator 1,319 of 1,497")
    def _(qof, practice, ind, num, den): ...

The pattern is the sentence a feature file uses; each ``{name:Type}`` is a parameter whose words
are matched by the type's expression and turned into a value by its converter (which refuses,
with a message, what it cannot honour). The same declaration registers the step with pytest-bdd
(as a fixture in the module that declares it) and in :data:`REGISTRY`, from which ``qofsim steps``
prints the glossary, so the glossary cannot drift from the steps.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
import sys
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Callable

from pytest_bdd import step as bdd_step
from pytest_bdd.parsers import StepParser


class StepRefused(ValueError):
    """A step's words cannot be honoured as written: the message says which word and why."""


class Mismatch(AssertionError):
    """What a hop holds differs from what was expected: the message names practice, indicator, hop
    and both values."""


class UnexpectedRefusal(AssertionError):
    """A service refused a request and no step of the scenario said that was expected."""


# ---------------------------------------------------------------- stages (the glossary's order)

STAGES: dict[str, str] = {
    "world": "The world: nations, practices and the services",
    "faults": "Supplier faults, supplier personalities and record faults",
    "extraction": "Extraction request and supplier extract",
    "gpes": "GPES validation",
    "forwarding": "Forwarding to CQRS",
    "cqrs": "CQRS ingest and supersession",
    "points": "Achievement points",
    "payments": "Payments: CPI, APDF, target populations, aspiration",
    "manual": "Manual entry and its window",
    "workflow": "Declaration, approval, rejection and payment instruction",
    "reconciliation": "Reconciliation",
    "resilience": "Kill and restart",
}


# ---------------------------------------------------------------- parameter types


def _count(text: str) -> int:
    return int(text.replace(",", ""))


def _money(text: str) -> Decimal:
    return Decimal(text.replace(",", "").lstrip("£"))


def _decimal(text: str) -> Decimal:
    try:
        return Decimal(text.replace(",", ""))
    except InvalidOperation:
        raise StepRefused(f"{text!r} is not a number") from None


def _percent(text: str) -> Decimal:
    return _decimal(text.rstrip("%").strip()) / 100


def _date(text: str) -> dt.date:
    try:
        return dt.datetime.strptime(text, "%d/%m/%Y").date()
    except ValueError:
        raise StepRefused(f"{text!r} is not a date (dd/mm/yyyy)") from None


SUPPLIER_NAMES = ("EMIS", "TPP", "INPS", "Microtest")


def _suppliers(text: str) -> tuple[str, ...]:
    names = tuple(re.split(r", | and ", text))
    if len(set(names)) != len(names):
        raise StepRefused(f"{text!r} names a supplier twice")
    return names


@dataclass(frozen=True)
class ParamType:
    name: str
    regex: str
    convert: Callable[[str], object]
    means: str


TYPES: dict[str, ParamType] = {t.name: t for t in (
    ParamType("Practice", r"[A-Z][0-9]{5}", str, "a practice code (ODS), e.g. A81001"),
    ParamType("Supplier", "|".join(SUPPLIER_NAMES), str, "EMIS, TPP, INPS or Microtest"),
    ParamType("Suppliers", r"(?:EMIS|TPP|INPS|Microtest)(?:(?:, | and )(?:EMIS|TPP|INPS|Microtest))*", _suppliers,
              "suppliers, e.g. EMIS, TPP, INPS and Microtest"),
    ParamType("Service", r"CQRS|GPES|EMIS|TPP|INPS|Microtest", str, "CQRS, GPES or a supplier's name"),
    ParamType("Count", r"[0-9][0-9,]*", _count, "a whole number; commas allowed (6,000)"),
    ParamType("Decimal", r"[0-9][0-9,]*(?:\.[0-9]+)?", _decimal, "a number, e.g. 10.48"),
    ParamType("Money", r"[0-9][0-9,]*\.[0-9]{2}", _money, "pounds and pence, after a £ sign: 12,345.67"),
    ParamType("Percent", r"[0-9]+(?:\.[0-9]+)? ?%", _percent, "a percentage, e.g. 30 %"),
    ParamType("Date", r"[0-9]{2}/[0-9]{2}/[0-9]{4}", _date, "a date, dd/mm/yyyy"),
    ParamType("Indicator", r"[A-Z][A-Z0-9]*[0-9]", str, "an indicator code of QOF 2012/13, e.g. DM26"),
    ParamType("Code", r"[A-Z][A-Z0-9]*", str, "an indicator code as written (the service judges it), e.g. RECORDS03"),
    ParamType("Ccg", r"[0-9]{2}[A-Z]", str, "a commissioner (CCG) code, e.g. 01A"),
    ParamType("Words", r"[A-Za-z][A-Za-z0-9 /'-]*?", str, "words (an area, a register, a fault, a status)"),
    ParamType("Text", r'[^"]*', str, "any text, between double quotes"),
    ParamType("Phrase", r".+?", str, "free words, read by the step (the glossary lists the forms it knows)"),
    ParamType("Practices", r"[A-Z][0-9]{5}(?:(?:, | and )[A-Z][0-9]{5})*", lambda t: tuple(re.split(r", | and ", t)),
              "practice codes, e.g. A81001, A81005 and A81009"),
    ParamType("Hop", r"GPES|CQRS", str, "GPES or CQRS"),
)}


# What a parameter of a generic type (Words, Phrase, Text) means, by its name in the step patterns
PARAM_MEANS = {
    "reg": "a register: its id (DM) or its area (diabetes)",
    "name": "a QOF area or domain, e.g. Diabetes, Smoking, Cervical screening, Organisational",
    "status": "a status GPES reports: requested, received, rejected, forwarded, acknowledged, refused by CQRS, "
              "not collected",
    "alteration": "one thing wrong with the extract (the forms are listed above)",
    "weight": "its target population G, its list size (CPI) or its prevalence",
    "answer": "achieved or not achieved",
    "value": "achieved, not achieved, or a of b",
    "state": "Awaiting Service Provider Approval, Awaiting Commissioning Organisation Approval, Approved or "
             "Payment Instructed",
    "field": "a field as the service names it; [n] stands for any position, e.g. indicators[n].id",
    "reason": "words the service's reason contains",
    "spec_id": "the extraction's id, e.g. QOF-2012-13",
}

_PLACEHOLDER = re.compile(r"\{(\w+):(\w+)\}")


def compile_pattern(pattern: str) -> tuple[re.Pattern, dict[str, ParamType]]:
    params: dict[str, ParamType] = {}
    out, pos = "", 0
    for m in _PLACEHOLDER.finditer(pattern):
        name, type_name = m.groups()
        if type_name not in TYPES:
            raise ValueError(f"step {pattern!r}: unknown parameter type {type_name}")
        if name in params:
            raise ValueError(f"step {pattern!r}: parameter {name} twice")
        params[name] = TYPES[type_name]
        out += re.escape(pattern[pos:m.start()]) + f"(?P<{name}>{TYPES[type_name].regex})"
        pos = m.end()
    out += re.escape(pattern[pos:])
    return re.compile(out), params


class QofParser(StepParser):
    """pytest-bdd parser for a typed pattern: the whole step text must match."""

    def __init__(self, pattern: str):
        super().__init__(pattern)
        self.regex, self.params = compile_pattern(pattern)

    def is_matching(self, name: str) -> bool:
        return self.regex.fullmatch(name) is not None

    def parse_arguments(self, name: str) -> dict[str, object]:
        m = self.regex.fullmatch(name)
        if m is None:
            return {}
        return {k: self.params[k].convert(v) for k, v in m.groupdict().items()}


# ---------------------------------------------------------------- the registry


@dataclass(frozen=True)
class StepDef:
    kind: str  # given | when | then, or several: given/when
    pattern: str
    stage: str
    example: str
    doc: str
    params: dict[str, ParamType] = field(compare=False)
    func: Callable = field(compare=False, repr=False)
    checks_refusal: bool = False  # a step that reads a refusal the step before it received
    mutates: bool = False  # changes what a shared world holds: refused in a @read_only feature
    table: str = ""  # the example's data table (steps that read one)

    def meanings(self) -> dict[str, str]:
        """Each parameter and what it means (by its name, for words of a generic type)."""
        return {n: PARAM_MEANS.get(n, t.means) if t.name in ("Words", "Phrase", "Text") else t.means
                for n, t in self.params.items()}

    @property
    def keyword(self) -> str:
        return "/".join(k.capitalize() for k in self.kind.split("/"))

    @property
    def sentence(self) -> str:
        """The pattern with each parameter shown as <name>."""
        return _PLACEHOLDER.sub(lambda m: f"<{m.group(1)}>", self.pattern)


REGISTRY: list[StepDef] = []


def step(kind: str, pattern: str, *, stage: str, example: str, checks_refusal: bool = False, mutates: bool = False,
         table: str = ""):
    """Declare a step (see the module doc). The example must match the pattern. ``mutates``: the step
    changes what a shared world holds (refused in a feature tagged @read_only). ``table``: the example's data
    table, for a step that reads one."""
    kinds = kind.split("/")
    if not kinds or any(k not in ("given", "when", "then") for k in kinds):
        raise ValueError(f"step kind {kind!r}: given, when, then or e.g. given/when")
    if stage not in STAGES:
        raise ValueError(f"step {pattern!r}: unknown stage {stage!r} (one of {', '.join(STAGES)})")
    parser = QofParser(pattern)
    if not parser.is_matching(example):
        raise ValueError(f"step {pattern!r}: its example {example!r} does not match it")
    for d in REGISTRY:
        if set(d.kind.split("/")) & set(kinds) and d.pattern == pattern:
            raise ValueError(f"step {kind} {pattern!r} is declared twice")

    def decorator(func):
        # pytest-bdd puts a step's fixture in its caller's namespace: run it in a scratch namespace
        # and move the fixture into the module that defines the step (even from a helper function)
        target = sys.modules[func.__module__].__dict__
        for k in kinds:
            scratch: dict = {}
            exec("bdd_step(parser, kind, stacklevel=1)(func)",
                 {"bdd_step": bdd_step, "parser": parser, "kind": k, "func": func}, scratch)
            target.update(scratch)
        doc = " ".join((func.__doc__ or "").split())
        REGISTRY.append(StepDef(kind, pattern, stage, example, doc, parser.params, func, checks_refusal, mutates,
                                table.strip("\n")))
        return func

    return decorator


def load_library() -> list[StepDef]:
    """Import every step module (registering its steps); the registry, in declaration order."""
    import simulator.bdd.steps  # noqa: F401

    return REGISTRY


def definition_of(func) -> StepDef | None:
    for d in REGISTRY:
        if d.func is func:
            return d
    return None


# ---------------------------------------------------------------- nearest steps and the glossary


def nearest(text: str, kind: str | None = None, n: int = 5) -> list[StepDef]:
    """The steps whose sentence (or example) is closest to ``text``; the same kind first."""
    text = text.strip()

    def score(d: StepDef) -> float:
        s = max(difflib.SequenceMatcher(None, text, d.example).ratio(),
                difflib.SequenceMatcher(None, text, d.sentence).ratio())
        return s + (0.05 if kind and kind in d.kind.split("/") else 0)

    return sorted(load_library(), key=score, reverse=True)[:n]


def glossary(fmt: str = "text") -> str:
    """Every step grouped by stage: its sentence, its parameters, one example (text or markdown)."""
    steps = load_library()
    lines: list[str] = []
    md = fmt == "markdown"
    if md:
        lines += ["# qofsim step glossary", "",
                  f"{len(steps)} steps, generated from the step library (`qofsim steps --format markdown`).", ""]
    for stage, title in STAGES.items():
        mine = [d for d in steps if d.stage == stage]
        if not mine:
            continue
        lines += [f"## {title}" if md else f"== {title} ({len(mine)} steps) ==", ""]
        for d in mine:
            head = f"{d.keyword} {d.sentence}"
            example = f"{d.keyword.split('/')[0]} {d.example}"
            lines.append(f"- `{head}`" if md else head)
            ind = "  " if md else "    "
            if d.doc:
                lines.append(f"{ind}{d.doc}")
            for name, means in d.meanings().items():
                lines.append(f"{ind}- `<{name}>`: {means}" if md else f"{ind}<{name}>: {means}")
            lines.append(f"{ind}- e.g. `{example}`" if md else f"{ind}e.g. {example}")
            if d.table:
                lines += [("        " if md else ind + "  ") + row.strip() for row in d.table.splitlines()]
            lines.append("")
    total = f"{len(steps)} steps in {len({d.stage for d in steps})} stages"
    lines.append(total if not md else f"_{total}_")
    return "\n".join(lines) + "\n"
