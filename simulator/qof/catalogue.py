"""Load and validate the QOF catalogue: indicators, parameters, code clusters and rules.

The catalogue is data (CSV/YAML beside this module, each value with its source and trust tag);
this module only reads it and refuses a bad file loudly, naming file, row and field, so that a
wrong number never reaches a payment silently.
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path

import yaml

from simulator.qof.rules import RuleSet, load_rules

HERE = Path(__file__).parent
DOMAINS = ("Clinical", "Organisational", "Patient experience", "Additional services")
KINDS = ("register", "ratio", "yesno", "manual")
SYSTEMS = ("readv2", "ctv3")


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


@dataclass(frozen=True)
class Catalogue:
    indicators: dict[str, IndicatorDef]
    parameters: Parameters
    clusters: dict[str, tuple[tuple[str, str], ...]]  # name -> ((system, code), ...)
    rules: RuleSet
    cluster_terms: dict[tuple[str, str], str] = field(default_factory=dict)

    @property
    def register_for_area(self) -> dict[str, str]:
        return {r.area: r.id for r in self.rules.registers.values()}

    def extracted_ratio_ids(self) -> list[str]:
        """Extracted ratio indicators that have business rules, in catalogue order."""
        return [c for c, d in self.indicators.items() if d.extracted and c in self.rules.indicators]

    def unsourced(self) -> list[IndicatorDef]:
        return [d for d in self.indicators.values() if "I" in d.tag.split("/")]


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
            if not r["tag"].strip():
                raise CatalogueError(f"{name}: row {n}: field 'tag' is empty: every value needs its trust tag")
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
    )


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
        if d.kind != "ratio" or not d.extracted:
            raise CatalogueError(f"{rules_name}: indicators.{iid}: the catalogue says kind {d.kind}, extracted {d.extracted}; rules are for extracted ratio indicators")
    return Catalogue(indicators, params, clusters, rules, terms)


@lru_cache(maxsize=1)
def default_catalogue() -> Catalogue:
    return load_catalogue()
