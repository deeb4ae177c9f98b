"""Load and validate the QOF catalogue: indicators, parameters, code clusters and rules.

The catalogue is data (CSV/YAML beside this module, each value with its source and trust tag);
this module only reads it and refuses a bad file loudly, naming file, row and field, so that a
wrong number never reaches a payment silently. `load_catalogue` also checks the whole catalogue
against catalogue_totals_<year>.csv (count, extracted, points per domain and area, each expected
figure with its source); catalogue_adjustments_<year>.csv records every seed value changed to get there.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path

import yaml

from simulator.qof import targets
from simulator.qof.rules import RuleSet, load_rules
from simulator.qof.targets import TargetPopulation

HERE = Path(__file__).parent
DOMAINS = ("Clinical", "Organisational", "Patient experience", "Additional services")
KINDS = ("register", "ratio", "yesno", "manual")
SYSTEMS = ("readv2", "ctv3")
# A trust tag is points-tag/threshold-tag (or one tag for both), each S, C, R or I, joined by "+"
# where a value rests on two kinds of evidence (FACTS.md): "I", "S/R", "S/S+I".
TAG = re.compile(r"^[SCRI](\+[SCRI])*(/[SCRI](\+[SCRI])*)?$")
TOTAL_LEVELS = ("all", "domain", "area")
TOTAL_MEASURES = ("rows", "extracted", "points")


class CatalogueError(ValueError):
    """A catalogue file that cannot be trusted; the message says file, row and field."""


@dataclass(frozen=True)
class IndicatorDef:
    code: str
    domain: str
    area: str
    kind: str
    points: Decimal
    lower: Decimal | None
    upper: Decimal | None
    extracted: bool
    wording: str
    source: str
    tag: str

    @property
    def placeholder(self) -> bool:
        """True when the points or the thresholds are a placeholder: some part of the tag is I."""
        return is_placeholder(self.tag)


def is_placeholder(tag: str) -> bool:
    return "I" in re.split(r"[/+]", tag)


@dataclass(frozen=True)
class ExpectedTotal:
    """One row of catalogue_totals_<year>.csv: what the catalogue must add up to, and why."""
    level: str            # all | domain | area
    domain: str           # for domain and area rows
    name: str             # the area, for area rows
    measure: str          # rows | extracted | points
    expected: Decimal | None  # None: listed (the area must exist) but not checked
    tag: str
    source: str
    file: str
    row: int

    @property
    def where(self) -> str:
        return f"{self.file} row {self.row}"


@dataclass(frozen=True)
class Parameters:
    spec_id: str
    quality_service: str
    achievement_date: dt.date
    list_size_date: dt.date
    reference_period_start: dt.date
    pounds_per_point: Decimal
    cpi_divisor: Decimal
    national_prevalence: dict[str, Decimal] | None  # None: computed over the run
    apdf_one_areas: tuple[str, ...]
    target_populations: tuple[TargetPopulation, ...] = ()  # additional services, counted by suppliers
    # additional services: national average target population per group; None: computed over the run
    national_average_target_population: dict[str, Decimal] | None = None


@dataclass(frozen=True)
class Catalogue:
    indicators: dict[str, IndicatorDef]
    parameters: Parameters
    clusters: dict[str, tuple[tuple[str, str], ...]]  # name -> ((system, code), ...)
    rules: RuleSet
    cluster_terms: dict[tuple[str, str], str] = field(default_factory=dict)
    totals: tuple[ExpectedTotal, ...] = ()

    @property
    def register_for_area(self) -> dict[str, str]:
        return {r.area: r.id for r in self.rules.registers.values()}

    def extracted_ids(self) -> list[str]:
        """Extracted indicators (ratio and yes/no) that have business rules, in catalogue order."""
        return [c for c, d in self.indicators.items() if d.extracted and c in self.rules.indicators]

    def unsourced(self) -> list[IndicatorDef]:
        """Rows whose points or thresholds are placeholders (a tag part is I, e.g. "I/S", "S/S+I")."""
        return [d for d in self.indicators.values() if d.placeholder]


def _decimal(path: str, row: int, fieldname: str, text: str, optional: bool) -> Decimal | None:
    text = (text or "").strip()
    if text == "":
        if optional:
            return None
        raise CatalogueError(f"{path}: row {row}: field {fieldname!r} is empty")
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise CatalogueError(f"{path}: row {row}: field {fieldname!r} is not a number: {text!r}") from None
    if value < 0:
        raise CatalogueError(f"{path}: row {row}: field {fieldname!r} is negative: {text}")
    return value


def load_indicators(path: Path) -> dict[str, IndicatorDef]:
    name = path.name
    out: dict[str, IndicatorDef] = {}
    with open(path, newline="") as f:
        reader = csv.DictReader(f)
        need = {"code", "domain", "area", "kind", "points", "lower", "upper", "extracted", "wording", "source", "tag"}
        missing = need - set(reader.fieldnames or [])
        if missing:
            raise CatalogueError(f"{name}: header lacks column {sorted(missing)[0]!r}")
        for n, r in enumerate(reader, start=2):  # row 1 is the header
            code = r["code"].strip()
            if not code:
                raise CatalogueError(f"{name}: row {n}: field 'code' is empty")
            if code in out:
                raise CatalogueError(f"{name}: row {n}: field 'code': duplicate indicator {code}")
            if r["domain"] not in DOMAINS:
                raise CatalogueError(f"{name}: row {n}: field 'domain': {r['domain']!r} is not one of {DOMAINS}")
            if r["kind"] not in KINDS:
                raise CatalogueError(f"{name}: row {n}: field 'kind': {r['kind']!r} is not one of {KINDS}")
            if r["extracted"] not in ("yes", "no"):
                raise CatalogueError(f"{name}: row {n}: field 'extracted' must be yes or no, got {r['extracted']!r}")
            points = _decimal(name, n, "points", r["points"], False)
            lower = _decimal(name, n, "lower", r["lower"], True)
            upper = _decimal(name, n, "upper", r["upper"], True)
            if (lower is None) != (upper is None):
                raise CatalogueError(f"{name}: row {n}: fields 'lower'/'upper': give both thresholds or neither")
            if lower is not None and (lower > upper or upper > 100):
                raise CatalogueError(f"{name}: row {n}: fields 'lower'/'upper': thresholds out of order ({lower} > {upper} or above 100)")
            if r["kind"] == "ratio" and lower is None:
                raise CatalogueError(f"{name}: row {n}: field 'lower': a ratio indicator needs thresholds")
            if r["kind"] in ("register", "yesno") and lower is not None:
                raise CatalogueError(f"{name}: row {n}: field 'lower': a {r['kind']} indicator takes no thresholds, got {lower}-{upper}")
            if not r["tag"].strip():
                raise CatalogueError(f"{name}: row {n}: field 'tag' is empty: every value needs its trust tag")
            if not TAG.match(r["tag"].strip()):
                raise CatalogueError(f"{name}: row {n}: field 'tag': {r['tag']!r} is not a trust tag "
                                     "(points-tag/threshold-tag, each S, C, R or I, e.g. 'I/S')")
            out[code] = IndicatorDef(code, r["domain"], r["area"], r["kind"], points, lower, upper,
                                     r["extracted"] == "yes", r["wording"], r["source"], r["tag"].strip())
    return out


def _param(data: dict, key: str, source: str):
    if key not in data:
        raise CatalogueError(f"{source}: missing parameter {key!r}")
    v = data[key]
    return v["value"] if isinstance(v, dict) and "value" in v else v


def load_parameters(path: Path) -> Parameters:
    name = path.name
    with open(path) as f:
        d = yaml.safe_load(f)
    date = lambda k: dt.date.fromisoformat(str(_param(d, k, name)))  # noqa: E731
    nat = _param(d, "national_prevalence", name)
    national = None if nat == "run" else {k: Decimal(str(v)) for k, v in nat.items()}
    key = "national_average_target_population"
    natp = _param(d, key, name)
    national_target = None if natp == "run" else {str(k): _number(v, name, f"{key}.{k}") for k, v in natp.items()}
    return Parameters(
        spec_id=str(_param(d, "spec_id", name)),
        quality_service=str(_param(d, "quality_service", name)),
        achievement_date=date("achievement_date"),
        list_size_date=date("list_size_date"),
        reference_period_start=date("reference_period_start"),
        pounds_per_point=Decimal(str(_param(d, "pounds_per_point", name))),
        cpi_divisor=Decimal(str(_param(d, "cpi_divisor", name))),
        national_prevalence=national,
        apdf_one_areas=tuple(_param(d, "apdf_one_areas", name)),
        target_populations=_targets(d, name),
        national_average_target_population=national_target,
    )


def _number(text, source: str, key: str) -> Decimal:
    try:
        return Decimal(str(text))
    except InvalidOperation:
        raise CatalogueError(f"{source}: parameter {key!r} is not a number: {text!r}") from None


def _targets(d: dict, name: str) -> tuple[TargetPopulation, ...]:
    raw = d.get("additional_services_target_populations") or {}
    try:
        return targets.parse(raw.get("value", raw) if isinstance(raw, dict) else raw, name)
    except targets.TargetError as e:
        raise CatalogueError(str(e)) from None


def load_clusters(folder: Path) -> tuple[dict[str, tuple[tuple[str, str], ...]], dict[tuple[str, str], str]]:
    clusters: dict[str, tuple[tuple[str, str], ...]] = {}
    terms: dict[tuple[str, str], str] = {}
    for path in sorted(folder.glob("*.csv")):
        rows = []
        with open(path, newline="") as f:
            for n, r in enumerate(csv.DictReader(f), start=2):
                if r.get("system") not in SYSTEMS:
                    raise CatalogueError(f"{path.name}: row {n}: field 'system': {r.get('system')!r} is not one of {SYSTEMS}")
                if not (r.get("code") or "").strip():
                    raise CatalogueError(f"{path.name}: row {n}: field 'code' is empty")
                rows.append((r["system"], r["code"]))
                terms[(r["system"], r["code"])] = r.get("term", "")
        clusters[path.stem] = tuple(rows)
    return clusters, terms


def load_totals(path: Path) -> tuple[ExpectedTotal, ...]:
    """Read catalogue_totals_<year>.csv: level,domain,name,measure,expected,tag,source.

    level 'all' (the whole catalogue), 'domain' or 'area'; measure 'rows' (indicators), 'extracted'
    (indicators with extracted=yes) or 'points'. An area row with no expected value lists the area
    (so that a misspelt area is refused) without checking its points."""
    name = path.name
    if not path.is_file():
        raise CatalogueError(f"{name}: no such file beside the catalogue: its totals cannot be checked")
    out: list[ExpectedTotal] = []
    seen: dict[tuple[str, str, str, str], int] = {}
    with open(path, newline="") as f:
        reader = csv.DictReader(f)
        need = {"level", "domain", "name", "measure", "expected", "tag", "source"}
        missing = need - set(reader.fieldnames or [])
        if missing:
            raise CatalogueError(f"{name}: header lacks column {sorted(missing)[0]!r}")
        for n, r in enumerate(reader, start=2):
            level, domain, area, measure = (r[k].strip() for k in ("level", "domain", "name", "measure"))
            if level not in TOTAL_LEVELS:
                raise CatalogueError(f"{name}: row {n}: field 'level': {level!r} is not one of {TOTAL_LEVELS}")
            if measure not in TOTAL_MEASURES:
                raise CatalogueError(f"{name}: row {n}: field 'measure': {measure!r} is not one of {TOTAL_MEASURES}")
            if level != "all" and domain not in DOMAINS:
                raise CatalogueError(f"{name}: row {n}: field 'domain': {domain!r} is not one of {DOMAINS}")
            if level == "area" and not area:
                raise CatalogueError(f"{name}: row {n}: field 'name': an area row needs the area's name")
            expected = _decimal(name, n, "expected", r["expected"], optional=(level == "area"))
            if expected is not None and not TAG.match(r["tag"].strip()):
                raise CatalogueError(f"{name}: row {n}: field 'tag': {r['tag']!r} is not a trust tag (S, C, R or I)")
            key = (level, domain if level != "all" else "", area if level == "area" else "", measure)
            if key in seen:
                raise CatalogueError(f"{name}: row {n}: duplicates row {seen[key]}")
            seen[key] = n
            out.append(ExpectedTotal(level, key[1], key[2], measure, expected, r["tag"].strip(), r["source"].strip(), name, n))
    return tuple(out)


def _fmt(d: Decimal | int) -> str:
    return format(Decimal(d).normalize(), "f")


def check_totals(indicators: dict[str, IndicatorDef], expected: tuple[ExpectedTotal, ...] | list[ExpectedTotal],
                 catalogue_name: str = "indicators") -> None:
    """Refuse a catalogue that does not add up to its expected totals (count, extracted, points for the
    whole catalogue, each domain and each listed area); every area of the catalogue must be listed.

    Every failure is reported, one per line, each naming the catalogue file, the field, the actual
    and the expected figure and the row of the totals file that expects it."""
    problems: list[str] = []
    areas = {(t.domain, t.name) for t in expected if t.level == "area"}
    if areas:
        for n, d in enumerate(indicators.values(), start=2):
            if (d.domain, d.area) not in areas:
                src = expected[0].file
                problems.append(f"{catalogue_name}: row {n}: field 'area': {d.area!r} ({d.domain}) is not listed in {src}")
    field_of = {"rows": "code", "extracted": "extracted", "points": "points"}
    for t in expected:
        if t.level == "all":
            chosen, what = list(indicators.values()), "the catalogue"
        elif t.level == "domain":
            chosen, what = [d for d in indicators.values() if d.domain == t.domain], f"domain {t.domain!r}"
        else:
            chosen = [d for d in indicators.values() if d.domain == t.domain and d.area == t.name]
            what = f"area {t.name!r} ({t.domain})"
            if not chosen:
                problems.append(f"{t.where}: field 'name': area {t.name!r} ({t.domain}) has no indicators in {catalogue_name}")
                continue
        if t.expected is None:
            continue
        if t.measure == "rows":
            actual, verb = Decimal(len(chosen)), "has {} indicators"
        elif t.measure == "extracted":
            actual, verb = Decimal(sum(d.extracted for d in chosen)), "has {} indicators with extracted=yes"
        else:
            actual, verb = sum((d.points for d in chosen), Decimal(0)), "has points summing to {}"
        if actual != t.expected:
            problems.append(f"{catalogue_name}: field {field_of[t.measure]!r}: {what} " + verb.format(_fmt(actual))
                            + f", expected {_fmt(t.expected)} ({t.where}: [{t.tag}] {t.source})")
    if problems:
        raise CatalogueError("\n".join(problems))


def load_catalogue(folder: Path = HERE, year: str = "2012_13") -> Catalogue:
    indicators = load_indicators(folder / f"indicators_{year}.csv")
    params = load_parameters(folder / f"parameters_{year}.yaml")
    clusters, terms = load_clusters(folder / "clusters")
    rules = load_rules(folder / f"rules_{year}.yaml", params.achievement_date, params.list_size_date)
    rules_name = f"rules_{year}.yaml"
    for name in rules.clusters:
        if name not in clusters:
            raise CatalogueError(f"{rules_name}: clusters.{name}: no file clusters/{name}.csv")
    for reg in rules.registers.values():
        d = indicators.get(reg.indicator)
        if d is None or d.kind != "register":
            raise CatalogueError(f"{rules_name}: registers.{reg.id}.indicator: {reg.indicator} is not a register indicator in the catalogue")
    for iid in rules.indicators:
        d = indicators.get(iid)
        if d is None:
            raise CatalogueError(f"{rules_name}: indicators.{iid}: not in indicators_{year}.csv")
        if d.kind not in ("ratio", "yesno") or not d.extracted:
            raise CatalogueError(f"{rules_name}: indicators.{iid}: the catalogue says kind {d.kind}, extracted {d.extracted}; "
                                 "rules are for extracted ratio and yes/no indicators")
    services = {d.area for d in indicators.values() if d.domain == "Additional services"}
    for tp in params.target_populations:
        if tp.area not in services:
            raise CatalogueError(f"parameters_{year}.yaml: additional_services_target_populations.{tp.area}: "
                                 f"not an additional services area of indicators_{year}.csv")
    totals = load_totals(folder / f"catalogue_totals_{year}.csv")
    check_totals(indicators, totals, f"indicators_{year}.csv")
    return Catalogue(indicators, params, clusters, rules, terms, totals)


@lru_cache(maxsize=1)
def default_catalogue() -> Catalogue:
    return load_catalogue()
