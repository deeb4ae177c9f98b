"""Population profiles: the figures a synthetic nation is drawn from, read and checked once.

A profile is a YAML file (``scenarios/profiles/<name>.yaml``) in which every figure carries its
trust tag and source (``{value, tag, source}``, tags as in ``shared/qof/FACTS.md``). The loader
refuses a profile that cannot be right — a prevalence above 1, a negative list size, an
unknown condition or field, supplier shares that do not sum to 1, a register no age structure
can reach — raising :class:`ProfileError` with the file and the dotted field name, before the
generator writes anything.

Reference dates and code clusters are not repeated in a profile: they come from the QOF
catalogue of the profile's ``year``. The intercept of each condition's diagnosis model is
solved here, once, so that the expected register matches ``register_prevalence``.

A profile may start from another with ``extends: <name or path>``: the base is loaded first and
this file's mappings are merged into it (a value replaces, a mapping merges key by key).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import yaml

import simulator
from simulator.population.schema import CODE_SYSTEM, SUPPLIERS

TAGS = ("S", "C", "R", "I")
MAX_AGE = 100  # ages 0..99
REPO_ROOT = Path(simulator.__file__).resolve().parents[1]
PROFILE_DIR = Path("scenarios") / "profiles"


class ProfileError(ValueError):
    """A profile that cannot be trusted; the message names the file and the field."""


# ------------------------------------------------------------------ the parsed model


@dataclass(frozen=True)
class BPDist:
    """A blood-pressure reading: systolic and diastolic normal, correlated."""

    systolic_mean: float
    systolic_sd: float
    diastolic_mean: float
    diastolic_sd: float
    correlation: float


@dataclass(frozen=True)
class TestSpec:
    """A lab test monitored for a condition (value log-normal around ``median``)."""

    cluster: str
    recorded_15m: float
    median: float
    log_sd: float
    decimals: int
    at_diagnosis_median: float | None = None
    at_diagnosis_min: float | None = None


@dataclass(frozen=True)
class ValueSpec:
    """A value recorded with an event: log-normal around ``median``, rounded, clipped to [lo, hi]."""

    median: float
    log_sd: float
    decimals: int
    lo: float | None = None
    hi: float | None = None


@dataclass(frozen=True)
class ProcessSpec:
    """One care process: an event of ``clusters`` (several: recorded together, the same day) for a
    share of the eligible patients, dated by ``when``.

    ``when`` is one of ('months', N) - within the last N months of the patient's record;
    ('since', date) - from that day to the end of the record; ('relative', name, lo, hi) -
    lo..hi days (hi None: until the end of the record) after the diagnosis (name 'diagnosis')
    or after the date of an earlier process of the same list. Eligible: the condition's
    register (or, for the population list, everyone), narrowed by ``sex``/``min_age``/``max_age``
    (and, for a condition, ``diagnosed_since``), by ``among`` (patients who had any of the named
    earlier processes) and by ``unless`` (patients who had none of them: a drug declined or
    contraindicated is coded for patients not on it, so the code excepts them rather than sitting
    beside a met numerator). ``shift``: the practice effect that moves the probability (quality of
    care, exception reporting, or none). ``older``: share of the eligible patients without a
    recent event who have one dated before the window.
    """

    name: str | None
    clusters: tuple[str, ...]
    when: tuple
    probability: float
    among: tuple[str, ...] = ()
    shift: str = "quality"
    value: ValueSpec | None = None
    older: float = 0.0
    sex: str | None = None
    min_age: int = 0
    max_age: int | None = None
    diagnosed_since: dt.date | None = None  # a condition's process: only patients diagnosed on or after
    unless: tuple[str, ...] = ()  # only patients who had none of these named earlier processes


@dataclass(frozen=True)
class CareSpec:
    exception_window_months: int
    exception: float
    bp_recorded_9m: float | None  # None: the condition does not drive blood-pressure recording
    bp_recorded_15m: float | None
    bp_declined: float | None
    bp: BPDist | None
    tests: tuple[TestSpec, ...]
    processes: tuple[ProcessSpec, ...] = ()


@dataclass(frozen=True)
class ConditionSpec:
    id: str
    diagnosis_cluster: str
    resolved_cluster: str | None
    exception_cluster: str | None
    register_prevalence: float
    register_min_age: int
    min_age: int
    per_decade: float
    male: float
    risk_loading: float
    condition_sd: float
    resolved: float
    years_since_diagnosis_mean: float
    care: CareSpec
    intercept: float = 0.0  # solved by the loader
    diagnosis_mix: tuple[tuple[str, float], ...] = ()  # several diagnosis clusters: (cluster, share)
    resolved_clusters: tuple[str, ...] = ()  # every resolving cluster (picked evenly); [0] is resolved_cluster
    active: float = 1.0  # share of unresolved diagnoses that meet the register's other requirement
    register_since: dt.date | None = None  # the register counts only diagnoses dated on or after this day
    register_window_years: float | None = None  # register_since to the achievement date, in years (set by the loader)
    register_share: float = 1.0  # share of the otherwise counted diagnoses that a modelled care process lets in

    @property
    def diagnosis_clusters(self) -> tuple[str, ...]:
        return tuple(c for c, _ in self.diagnosis_mix) or (self.diagnosis_cluster,)


@dataclass(frozen=True)
class BloodPressureSpec:
    cluster: str
    declined_cluster: str
    maximal_therapy_cluster: str
    priority: tuple[str, ...]
    adults_from_age: int
    adults_recorded_9m: float
    adults_recorded_15m: float
    adults: BPDist
    at_diagnosis: BPDist
    at_diagnosis_of: tuple[str, ...]
    older_if_not_recent: float
    history_mean: float
    same_day_repeat: float
    maximal_therapy: float
    maximal_therapy_systolic: float
    maximal_therapy_diastolic: float
    measured_if_excepted: float


@dataclass(frozen=True)
class TestsSpec:
    older_if_not_recent: float
    history_mean: float
    measured_if_excepted: float


@dataclass(frozen=True)
class SmokingSpec:
    current_cluster: str
    ex_cluster: str
    never_cluster: str
    support_cluster: str
    from_age: int
    current: float
    ex: float
    recorded_27m: float
    recorded_27m_on_register: float
    older_record: float
    support_offered_27m: float
    registers: tuple[str, ...] = ()  # conditions whose patients are asked within 15 months (SMOKE05/06)
    exception_cluster: str | None = None
    exception_on_register: float = 0.0


@dataclass(frozen=True)
class ListSizeSpec:
    median: float
    log_sd: float
    min: int
    max: int
    clamp: tuple[int, int] | None


@dataclass(frozen=True)
class PracticeVariation:
    age_tilt_sd: float
    risk_sd: float
    quality_sd: float
    exception_sd: float


@dataclass(frozen=True, eq=False)
class Profile:
    name: str
    description: str
    year: str
    path: Path
    supplier_shares: dict[str, float]
    list_size: ListSizeSpec
    practices_per_ccg: float
    ccgs_per_area_team: float
    age_weights: np.ndarray      # share of the list at each age 0..99 (sums to 1)
    register_weights: np.ndarray  # per age on 1 January: registered on the achievement date / the 1 January list
    male_share: np.ndarray       # share male at each age 0..99
    mobility: np.ndarray         # relative chance of moving practice at each age (mean 1 over the list)
    joiners_per_year: float
    leavers_per_year: float
    years_registered_mean: float
    gompertz_a: float
    gompertz_b: float
    variation: PracticeVariation
    conditions: dict[str, ConditionSpec]
    blood_pressure: BloodPressureSpec
    tests: TestsSpec
    smoking: SmokingSpec
    achievement_date: dt.date
    list_size_date: dt.date
    reference_period_start: dt.date
    clusters: dict[str, tuple[tuple[str, str], ...]]  # cluster -> ((system, code), ...), from the catalogue
    raw: dict = field(repr=False, default_factory=dict)
    care: tuple[ProcessSpec, ...] = ()  # population-wide care processes (BMI, cervical screening, ...)

    @property
    def list_size_range(self) -> tuple[int, int] | None:
        """The profile's clamp on list sizes, if any (``generate_nation`` may override it)."""
        return self.list_size.clamp

    def mortality(self, age: np.ndarray) -> np.ndarray:
        """Annual risk of death at each age (Gompertz), capped below 1."""
        return np.minimum(np.exp(self.gompertz_a + self.gompertz_b * np.asarray(age, dtype=float)), 0.9)


# ------------------------------------------------------------------ reading helpers


class _Reader:
    def __init__(self, source: str):
        self.source = source

    def fail(self, where: str, msg: str) -> ProfileError:
        return ProfileError(f"{self.source}: {where}: {msg}")

    def mapping(self, where: str, node: Any, required: set[str], optional: set[str] = frozenset()) -> dict:
        if not isinstance(node, dict):
            raise self.fail(where, f"expected a mapping, got {node!r}")
        missing = required - node.keys()
        if missing:
            raise self.fail(f"{where}.{sorted(missing)[0]}" if where else sorted(missing)[0], "missing field")
        extra = node.keys() - required - set(optional)
        if extra:
            raise self.fail(f"{where}.{sorted(extra)[0]}" if where else sorted(extra)[0], "unknown field")
        return node

    def number(self, where: str, v: Any, lo: float | None = None, hi: float | None = None,
               integer: bool = False, lo_open: bool = False) -> float:
        if isinstance(v, bool) or not isinstance(v, (int, float)) or (isinstance(v, float) and not math.isfinite(v)):
            raise self.fail(where, f"expected a number, got {v!r}")
        if integer and not (isinstance(v, int) or float(v).is_integer()):
            raise self.fail(where, f"expected a whole number, got {v!r}")
        if lo is not None and (v < lo or (lo_open and v == lo)):
            if v < 0 <= lo:
                raise self.fail(where, f"must not be negative, got {v!r}")
            raise self.fail(where, f"must be {'above' if lo_open else 'at least'} {lo}, got {v!r}")
        if hi is not None and v > hi:
            raise self.fail(where, f"must not be above {hi}, got {v!r}")
        return int(v) if integer else float(v)

    def provenance(self, where: str, node: dict) -> None:
        tag = node.get("tag")
        if tag not in TAGS:
            raise self.fail(f"{where}.tag", f"trust tag must be one of {', '.join(TAGS)}, got {tag!r}")
        src = node.get("source")
        if not isinstance(src, str) or not src.strip():
            raise self.fail(f"{where}.source", "every figure needs its source")

    def figure(self, where: str, node: Any, lo: float | None = None, hi: float | None = None,
               integer: bool = False, lo_open: bool = False) -> float:
        """A single figure: {value, tag, source[, note]}."""
        b = self.mapping(where, node, {"value", "tag", "source"}, {"note"})
        self.provenance(where, b)
        return self.number(f"{where}.value", b["value"], lo, hi, integer, lo_open)

    def probability(self, where: str, node: Any) -> float:
        return self.figure(where, node, 0.0, 1.0)

    def group(self, where: str, node: Any, fields: set[str]) -> dict:
        """Several figures sharing one tag and source: {f1, f2, ..., tag, source}."""
        b = self.mapping(where, node, fields | {"tag", "source"}, {"note"})
        self.provenance(where, b)
        return b

    def bp(self, where: str, node: Any) -> BPDist:
        b = self.group(where, node, {"systolic_mean", "systolic_sd", "diastolic_mean", "diastolic_sd", "correlation"})
        return BPDist(self.number(f"{where}.systolic_mean", b["systolic_mean"], 40, 300),
                      self.number(f"{where}.systolic_sd", b["systolic_sd"], 0, 100),
                      self.number(f"{where}.diastolic_mean", b["diastolic_mean"], 20, 200),
                      self.number(f"{where}.diastolic_sd", b["diastolic_sd"], 0, 100),
                      self.number(f"{where}.correlation", b["correlation"], -1, 1))

    def name(self, where: str, v: Any) -> str:
        if not isinstance(v, str) or not v.strip():
            raise self.fail(where, f"expected a name, got {v!r}")
        return v

    def cluster(self, where: str, v: Any, clusters: dict) -> str:
        name = self.name(where, v)
        if name not in clusters:
            raise self.fail(where, f"unknown cluster {name!r} (no simulator/qof/clusters/{name}.csv)")
        systems = {s for s, _ in clusters[name]}
        for system in sorted(set(CODE_SYSTEM.values())):
            if system not in systems:
                raise self.fail(where, f"cluster {name} has no {system} code, so some suppliers could not record it")
        return name

    def age_table(self, where: str, node: Any, width: int) -> list[list[float]]:
        b = self.group(where, node, {"bands"})
        bands = b["bands"]
        if not isinstance(bands, list) or not bands:
            raise self.fail(f"{where}.bands", "expected a non-empty list of bands")
        expect_from = 0
        out = []
        for i, row in enumerate(bands):
            w = f"{where}.bands[{i}]"
            if not isinstance(row, list) or len(row) != width:
                raise self.fail(w, f"expected a list of {width} numbers, got {row!r}")
            lo = self.number(w, row[0], 0, MAX_AGE - 1, integer=True)
            hi = self.number(w, row[1], lo, MAX_AGE - 1, integer=True)
            if lo != expect_from:
                raise self.fail(w, f"bands must run on from age {expect_from} without gaps or overlaps, got {lo}")
            expect_from = hi + 1
            out.append([lo, hi] + [self.number(w, x, 0) for x in row[2:]])
        if expect_from != MAX_AGE:
            raise self.fail(f"{where}.bands", f"bands must cover ages 0 to {MAX_AGE - 1}; they stop at {expect_from - 1}")
        return out


def _per_age(bands: list[list[float]], col: int, spread: bool) -> np.ndarray:
    """Expand [lo, hi, x...] bands to one value per age; ``spread`` divides x over the band's ages."""
    out = np.zeros(MAX_AGE)
    for row in bands:
        lo, hi = int(row[0]), int(row[1])
        out[lo:hi + 1] = row[col] / (hi - lo + 1) if spread else row[col]
    return out


# ------------------------------------------------------------------ calibration

_GH_NODES, _GH_WEIGHTS = np.polynomial.hermite_e.hermegauss(48)
_GH_WEIGHTS = _GH_WEIGHTS / _GH_WEIGHTS.sum()


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * x))


def register_weights(age_weights: np.ndarray, mobility: np.ndarray, mortality: np.ndarray, joiners_per_year: float,
                     leavers_per_year: float, quarter: float = 0.25) -> np.ndarray:
    """Who is counted on a register on the achievement date, per age on 1 January, as a share of the
    1 January list (QOF's raw prevalence divides the register at 31 March by the list at 1 January).

    Mirrors :mod:`simulator.population.generate`: of the 1 January list a share ``quarter`` x
    leavers x mobility leaves and ``quarter`` x the annual risk of death dies before the achievement
    date; ``quarter`` x joiners of the list joins after 1 January, aged like the movers. Deaths fall
    on the old, so the registers of old people's conditions lose a few per cent.
    """
    stay = (1.0 - np.minimum(quarter * leavers_per_year * mobility, 1.0)) * (1.0 - np.minimum(quarter * mortality, 1.0))
    return age_weights * stay + quarter * joiners_per_year * age_weights * mobility


def _in_window(c: ConditionSpec, ages: np.ndarray) -> np.ndarray:
    """Share of diagnoses at each age (on the achievement date) dated inside the register's window.

    The generator dates a diagnosis ``yrs`` ~ Exponential(years_since_diagnosis_mean) before the
    end of the record, redrawn uniformly over the years available since ``min_age`` when it would
    fall before them (simulator/population/clinical.py); the window is the last
    ``register_window_years`` years.
    """
    if c.register_window_years is None:
        return np.ones_like(ages)
    t, m = c.register_window_years, c.years_since_diagnosis_mean
    avail = np.maximum(ages - c.min_age, 1e-9)
    return np.where(avail <= t, 1.0, 1.0 - math.exp(-t / m) + np.exp(-avail / m) * t / avail)


def expected_register(c: ConditionSpec, intercept: float, age_weights: np.ndarray, male_share: np.ndarray,
                      risk_sd: float, years_to_achievement: float = 0.0) -> float:
    """Expected register over the whole list for a given intercept (latent and practice effects integrated).

    ``age_weights`` describe the list on the list-size date (pass the profile's ``register_weights``
    to count only those still registered on the achievement date, and the joiners since); registers
    are counted on the achievement date, ``years_to_achievement`` later. A register that counts
    only recent diagnoses (``register_since``) and ``register_share`` scale it down.
    """
    ages = np.arange(MAX_AGE) + 0.5 + years_to_achievement
    sd = math.sqrt(c.risk_loading ** 2 + risk_sd ** 2 + c.condition_sd ** 2)
    eligible = (np.arange(MAX_AGE) >= max(c.min_age, c.register_min_age)).astype(float)
    base = intercept + c.per_decade * (ages - 50.0) / 10.0
    p_f = _sigmoid(base[:, None] + sd * _GH_NODES[None, :]) @ _GH_WEIGHTS
    p_m = _sigmoid(base[:, None] + c.male + sd * _GH_NODES[None, :]) @ _GH_WEIGHTS
    p = (male_share * p_m + (1 - male_share) * p_f) * _in_window(c, ages)
    return float(np.sum(age_weights * eligible * p) * (1.0 - c.resolved) * c.active * c.register_share)


def _solve_intercept(r: _Reader, c: ConditionSpec, age_weights: np.ndarray, male_share: np.ndarray,
                     risk_sd: float, years: float) -> float:
    where = f"conditions.{c.id}.register_prevalence"
    lo_age = max(c.min_age, c.register_min_age)
    ages = np.arange(MAX_AGE) + 0.5 + years
    reachable = float(np.sum((age_weights * _in_window(c, ages))[lo_age:]) * (1.0 - c.resolved) * c.active
                      * c.register_share)
    if c.register_prevalence >= 0.98 * reachable:
        raise r.fail(where, f"{c.register_prevalence} cannot be reached: only {reachable:.4f} of the list is old "
                            f"enough (min_age {c.min_age}, register_min_age {c.register_min_age}), unresolved, "
                            f"active, diagnosed inside the register's window and counted")
    lo, hi = -40.0, 40.0
    for _ in range(80):
        mid = (lo + hi) / 2
        if expected_register(c, mid, age_weights, male_share, risk_sd, years) < c.register_prevalence:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


# ------------------------------------------------------------------ loading


def resolve_profile_path(name_or_path: str | Path, relative_to: Path | None = None) -> Path:
    """A name -> scenarios/profiles/<name>.yaml (current dir, then repo root); or a path to a YAML file."""
    p = Path(name_or_path)
    candidates = []
    if p.suffix in (".yaml", ".yml") or len(p.parts) > 1:
        candidates.append(p)
        if relative_to is not None and not p.is_absolute():
            candidates.insert(0, relative_to / p)
    else:
        if relative_to is not None:
            candidates.append(relative_to / f"{name_or_path}.yaml")
        candidates += [Path.cwd() / PROFILE_DIR / f"{name_or_path}.yaml", REPO_ROOT / PROFILE_DIR / f"{name_or_path}.yaml"]
    for c in candidates:
        if c.is_file():
            return c
    raise ProfileError(f"profile {str(name_or_path)!r}: not found (looked in {', '.join(str(c) for c in candidates)})")


def _merge(base: Any, over: Any) -> Any:
    if isinstance(base, dict) and isinstance(over, dict):
        out = dict(base)
        for k, v in over.items():
            out[k] = _merge(base[k], v) if k in base else v
        return out
    return over


def _read_raw(path: Path, seen: tuple[Path, ...] = ()) -> dict:
    path = path.resolve()
    if path in seen:
        raise ProfileError(f"{path.name}: extends: profiles extend each other in a loop")
    try:
        with open(path) as f:
            data = yaml.safe_load(f)
    except yaml.YAMLError as e:
        raise ProfileError(f"{path.name}: not valid YAML: {e}") from None
    if not isinstance(data, dict):
        raise ProfileError(f"{path.name}: expected a mapping at the top level")
    base = data.pop("extends", None)
    if base is None:
        return data
    if not isinstance(base, str):
        raise ProfileError(f"{path.name}: extends: expected a profile name or path, got {base!r}")
    parent = _read_raw(resolve_profile_path(base, relative_to=path.parent), seen + (path,))
    parent.pop("name", None)
    parent.pop("description", None)
    return _merge(parent, data)


def _catalogue(r: _Reader, year: str):
    from simulator.qof.catalogue import HERE, CatalogueError, default_catalogue, load_catalogue

    try:
        if year == "2012_13":
            return default_catalogue()
        if not (HERE / f"parameters_{year}.yaml").is_file():
            raise r.fail("year", f"no QOF catalogue for year {year!r} (simulator/qof/parameters_{year}.yaml)")
        return load_catalogue(HERE, year)
    except CatalogueError as e:
        raise r.fail("year", f"the QOF catalogue for {year!r} is broken: {e}") from None


def load_profile(name_or_path: str | Path) -> Profile:
    """Read, check and calibrate a profile; raise :class:`ProfileError` naming the field if it is impossible."""
    path = resolve_profile_path(name_or_path)
    return parse_profile(_read_raw(path), path)


def parse_profile(data: dict, path: Path | str = "profile") -> Profile:
    path = Path(path)
    r = _Reader(path.name)
    top = r.mapping("", data, {"name", "year", "suppliers", "list_size", "commissioners", "age_structure",
                               "registration", "mortality", "practice_variation", "conditions", "blood_pressure",
                               "tests", "smoking"}, {"description", "care"})
    name = r.name("name", top["name"])
    year = r.name("year", str(top["year"]) if isinstance(top["year"], (str, int)) else top["year"])
    cat = _catalogue(r, year)
    clusters = cat.clusters

    # suppliers
    sup = top["suppliers"]
    if not isinstance(sup, dict):
        raise r.fail("suppliers", "expected a mapping of supplier to share")
    for s in sup:
        if s not in SUPPLIERS:
            raise r.fail(f"suppliers.{s}", f"unknown supplier (known: {', '.join(SUPPLIERS)})")
    for s in SUPPLIERS:
        if s not in sup:
            raise r.fail(f"suppliers.{s}", "missing field")
    shares = {s: r.probability(f"suppliers.{s}", sup[s]) for s in SUPPLIERS}
    if abs(sum(shares.values()) - 1.0) > 1e-6:
        raise r.fail("suppliers", f"shares must sum to 1, they sum to {sum(shares.values()):.6f}")
    for s, v in shares.items():
        if v <= 0:
            raise r.fail(f"suppliers.{s}.value", "every supplier needs a share above 0")

    # list sizes
    ls = r.mapping("list_size", top["list_size"], {"median", "log_sd", "min", "max"}, {"clamp"})
    lmin = r.figure("list_size.min", ls["min"], 1, integer=True)
    lmax = r.figure("list_size.max", ls["max"], lmin, integer=True)
    median = r.figure("list_size.median", ls["median"], lmin, lmax)
    log_sd = r.figure("list_size.log_sd", ls["log_sd"], 0, 5)
    clamp = check_list_size_range(ls.get("clamp"), f"{path.name}: list_size.clamp")
    list_size = ListSizeSpec(median, log_sd, lmin, lmax, clamp)

    com = r.mapping("commissioners", top["commissioners"], {"practices_per_ccg", "ccgs_per_area_team"})
    per_ccg = r.figure("commissioners.practices_per_ccg", com["practices_per_ccg"], 0, lo_open=True)
    per_at = r.figure("commissioners.ccgs_per_area_team", com["ccgs_per_area_team"], 0, lo_open=True)

    # age/sex structure
    bands = r.age_table("age_structure", top["age_structure"], 4)
    for i, row in enumerate(bands):
        if row[3] > 1:
            raise r.fail(f"age_structure.bands[{i}]", f"male share must be between 0 and 1, got {row[3]}")
    age_w = _per_age(bands, 2, spread=True)
    if age_w.sum() <= 0:
        raise r.fail("age_structure.bands", "the percentages sum to 0")
    age_w = age_w / age_w.sum()
    male = _per_age(bands, 3, spread=False)

    reg = r.mapping("registration", top["registration"],
                    {"joiners_per_year", "leavers_per_year", "years_registered_mean", "mobility_by_age"})
    joiners = r.figure("registration.joiners_per_year", reg["joiners_per_year"], 0, 0.5)
    leavers = r.figure("registration.leavers_per_year", reg["leavers_per_year"], 0, 0.5)
    yrs_reg = r.figure("registration.years_registered_mean", reg["years_registered_mean"], 0, 100, lo_open=True)
    mob = _per_age(r.age_table("registration.mobility_by_age", reg["mobility_by_age"], 3), 2, spread=False)
    if np.sum(mob * age_w) <= 0:
        raise r.fail("registration.mobility_by_age", "mobility is 0 at every age")
    mob = mob / np.sum(mob * age_w)
    if np.max(mob) * max(joiners, leavers) > 1:
        raise r.fail("registration.mobility_by_age", "mobility times the joiner/leaver rate exceeds 1 at some age")

    mort = r.mapping("mortality", top["mortality"], {"gompertz_a", "gompertz_b"})
    ga = r.figure("mortality.gompertz_a", mort["gompertz_a"], -30, 0)
    gb = r.figure("mortality.gompertz_b", mort["gompertz_b"], 0, 1)

    pv = r.mapping("practice_variation", top["practice_variation"],
                   {"age_tilt_sd", "risk_sd", "quality_sd", "exception_sd"})
    variation = PracticeVariation(*(r.figure(f"practice_variation.{k}", pv[k], 0, 5)
                                    for k in ("age_tilt_sd", "risk_sd", "quality_sd", "exception_sd")))

    # conditions
    conds_raw = top["conditions"]
    if not isinstance(conds_raw, dict) or not conds_raw:
        raise r.fail("conditions", "expected a mapping of register id to condition")
    known = cat.rules.registers
    conditions: dict[str, ConditionSpec] = {}
    for cid, body in conds_raw.items():
        w = f"conditions.{cid}"
        if cid not in known:
            raise r.fail(w, f"unknown condition {cid!r} (registers of the {year} rules: {', '.join(known)})")
        conditions[cid] = _condition(r, w, cid, body, clusters)

    bp = _blood_pressure(r, top["blood_pressure"], clusters, conditions)
    t = r.mapping("tests", top["tests"], {"older_if_not_recent", "history_mean", "measured_if_excepted"})
    tests = TestsSpec(r.probability("tests.older_if_not_recent", t["older_if_not_recent"]),
                      r.figure("tests.history_mean", t["history_mean"], 0, 20),
                      r.probability("tests.measured_if_excepted", t["measured_if_excepted"]))
    smoking = _smoking(r, top["smoking"], clusters, conditions)
    care = _processes(r, "care", top.get("care") or [], clusters, population=True)

    params = cat.parameters
    years = (params.achievement_date - params.list_size_date).days / 365.2425
    mortality = np.minimum(np.exp(ga + gb * np.arange(MAX_AGE, dtype=float)), 0.9)  # as Profile.mortality
    reg_w = register_weights(age_w, mob, mortality, joiners, leavers)
    for cid, c in conditions.items():
        if c.register_since is not None:
            if c.register_since >= params.achievement_date:
                raise r.fail(f"conditions.{cid}.register_since", f"must be before the achievement date "
                                                                 f"{params.achievement_date}")
            window = (params.achievement_date - c.register_since).days / 365.2425
            conditions[cid] = replace(c, register_window_years=window)
    conditions = {cid: replace(c, intercept=_solve_intercept(r, c, reg_w, male, variation.risk_sd, years))
                  for cid, c in conditions.items()}
    return Profile(name=name, description=str(top.get("description") or "").strip(), year=year, path=path,
                   supplier_shares=shares, list_size=list_size, practices_per_ccg=per_ccg, ccgs_per_area_team=per_at,
                   age_weights=age_w, register_weights=reg_w, male_share=male, mobility=mob, joiners_per_year=joiners,
                   leavers_per_year=leavers, years_registered_mean=yrs_reg, gompertz_a=ga, gompertz_b=gb,
                   variation=variation, conditions=conditions, blood_pressure=bp, tests=tests, smoking=smoking,
                   achievement_date=params.achievement_date, list_size_date=params.list_size_date,
                   reference_period_start=params.reference_period_start, clusters=dict(clusters), raw=data,
                   care=care)


def _condition(r: _Reader, w: str, cid: str, body: Any, clusters: dict) -> ConditionSpec:
    b = r.mapping(w, body, {"clusters", "register_prevalence", "register_min_age", "min_age", "per_decade", "male",
                            "risk_loading", "condition_sd", "resolved", "years_since_diagnosis_mean", "care"},
                  {"diagnosis_shares", "active", "register_since", "register_share"})
    cl = r.mapping(f"{w}.clusters", b["clusters"], {"diagnosis"}, {"resolved", "exception"})
    dx_names = cl["diagnosis"] if isinstance(cl["diagnosis"], list) else [cl["diagnosis"]]
    if not dx_names:
        raise r.fail(f"{w}.clusters.diagnosis", "expected a cluster or a list of clusters")
    dxs = [r.cluster(f"{w}.clusters.diagnosis", n, clusters) for n in dx_names]
    dx = dxs[0]
    mix: tuple[tuple[str, float], ...] = ()
    if len(dxs) > 1 or "diagnosis_shares" in b:
        if "diagnosis_shares" not in b:
            raise r.fail(f"{w}.diagnosis_shares", "several diagnosis clusters need their shares")
        shares = r.group(f"{w}.diagnosis_shares", b["diagnosis_shares"], {"value"})["value"]
        if not isinstance(shares, list) or len(shares) != len(dxs):
            raise r.fail(f"{w}.diagnosis_shares", f"expected {len(dxs)} shares, one per diagnosis cluster")
        shares = [r.number(f"{w}.diagnosis_shares.value", x, 0, 1) for x in shares]
        if abs(sum(shares) - 1) > 1e-6:
            raise r.fail(f"{w}.diagnosis_shares", f"shares must sum to 1, they sum to {sum(shares):.6f}")
        mix = tuple(zip(dxs, shares))
    res_names = cl.get("resolved") or []
    res_names = res_names if isinstance(res_names, list) else [res_names]
    resolved_clusters = tuple(r.cluster(f"{w}.clusters.resolved", n, clusters) for n in res_names)
    res = resolved_clusters[0] if resolved_clusters else None
    exc = r.cluster(f"{w}.clusters.exception", cl["exception"], clusters) if cl.get("exception") else None
    active = r.probability(f"{w}.active", b["active"]) if "active" in b else 1.0
    if active <= 0:
        raise r.fail(f"{w}.active", "must be above 0")
    share = r.probability(f"{w}.register_share", b["register_share"]) if "register_share" in b else 1.0
    if share <= 0:
        raise r.fail(f"{w}.register_share", "must be above 0")
    since = None
    if "register_since" in b:
        sb = r.mapping(f"{w}.register_since", b["register_since"], {"value", "tag", "source"}, {"note"})
        r.provenance(f"{w}.register_since", sb)
        try:
            since = dt.date.fromisoformat(str(sb["value"]))
        except ValueError:
            raise r.fail(f"{w}.register_since.value", f"expected a date YYYY-MM-DD, got {sb['value']!r}") from None
    prev = r.figure(f"{w}.register_prevalence", b["register_prevalence"], 0, 1)
    resolved = r.probability(f"{w}.resolved", b["resolved"])
    if resolved > 0 and res is None:
        raise r.fail(f"{w}.resolved", "a resolved share needs clusters.resolved")
    bp_keys = {"bp_recorded_9m", "bp_recorded_15m", "bp_declined", "bp"}
    care_b = r.mapping(f"{w}.care", b["care"], {"exception_window_months", "exception", "tests"},
                       bp_keys | {"processes"})
    given = bp_keys & care_b.keys()
    if given and given != bp_keys:
        raise r.fail(f"{w}.care.{sorted(bp_keys - given)[0]}",
                     "missing field (blood-pressure care is all four fields or none)")
    win = r.number(f"{w}.care.exception_window_months", care_b["exception_window_months"], 1, 120, integer=True)
    exception = r.probability(f"{w}.care.exception", care_b["exception"])
    if exception > 0 and exc is None:
        raise r.fail(f"{w}.care.exception", "an exception share needs clusters.exception")
    bp9 = bp15 = declined = bp = None
    if given:
        bp9 = r.probability(f"{w}.care.bp_recorded_9m", care_b["bp_recorded_9m"])
        bp15 = r.probability(f"{w}.care.bp_recorded_15m", care_b["bp_recorded_15m"])
        if bp15 < bp9:
            raise r.fail(f"{w}.care.bp_recorded_15m", f"must be at least bp_recorded_9m ({bp9}): 15 months include 9")
        declined = r.probability(f"{w}.care.bp_declined", care_b["bp_declined"])
        bp = r.bp(f"{w}.care.bp", care_b["bp"])
    tests_raw = care_b["tests"] or []
    if not isinstance(tests_raw, list):
        raise r.fail(f"{w}.care.tests", "expected a list")
    tests = []
    for i, tb in enumerate(tests_raw):
        tw = f"{w}.care.tests[{i}]"
        t = r.mapping(tw, tb, {"cluster", "recorded_15m", "median", "log_sd", "decimals"},
                      {"at_diagnosis_median", "at_diagnosis_min"})
        tests.append(TestSpec(
            r.cluster(f"{tw}.cluster", t["cluster"], clusters),
            r.probability(f"{tw}.recorded_15m", t["recorded_15m"]),
            r.figure(f"{tw}.median", t["median"], 0, lo_open=True),
            r.figure(f"{tw}.log_sd", t["log_sd"], 0, 3),
            r.number(f"{tw}.decimals", t["decimals"], 0, 6, integer=True),
            r.figure(f"{tw}.at_diagnosis_median", t["at_diagnosis_median"], 0, lo_open=True)
            if "at_diagnosis_median" in t else None,
            r.figure(f"{tw}.at_diagnosis_min", t["at_diagnosis_min"], 0) if "at_diagnosis_min" in t else None))
    care = CareSpec(win, exception, bp9, bp15, declined, bp, tuple(tests),
                    _processes(r, f"{w}.care.processes", care_b.get("processes") or [], clusters, population=False))
    min_age = r.figure(f"{w}.min_age", b["min_age"], 0, MAX_AGE - 1, integer=True)
    return ConditionSpec(
        id=cid, diagnosis_cluster=dx, resolved_cluster=res, exception_cluster=exc, register_prevalence=prev,
        register_min_age=r.figure(f"{w}.register_min_age", b["register_min_age"], 0, MAX_AGE - 1, integer=True),
        min_age=min_age, per_decade=r.figure(f"{w}.per_decade", b["per_decade"], -5, 5),
        male=r.figure(f"{w}.male", b["male"], -5, 5), risk_loading=r.figure(f"{w}.risk_loading", b["risk_loading"], 0, 5),
        condition_sd=r.figure(f"{w}.condition_sd", b["condition_sd"], 0, 5), resolved=resolved,
        years_since_diagnosis_mean=r.figure(f"{w}.years_since_diagnosis_mean", b["years_since_diagnosis_mean"], 0, 100,
                                            lo_open=True),
        care=care, diagnosis_mix=mix, resolved_clusters=resolved_clusters, active=active, register_since=since,
        register_share=share)


def _blood_pressure(r: _Reader, node: Any, clusters: dict, conditions: dict) -> BloodPressureSpec:
    w = "blood_pressure"
    b = r.mapping(w, node, {"cluster", "declined_cluster", "maximal_therapy_cluster", "priority", "adults_from_age",
                            "adults_recorded_9m", "adults_recorded_15m", "adults", "at_diagnosis", "at_diagnosis_of",
                            "older_if_not_recent", "history_mean", "same_day_repeat", "maximal_therapy",
                            "maximal_therapy_above", "measured_if_excepted"})
    prio = b["priority"]
    with_bp = [cid for cid, c in conditions.items() if c.care.bp is not None]
    if not isinstance(prio, list) or sorted(prio) != sorted(with_bp):
        raise r.fail(f"{w}.priority", f"must list every condition with blood-pressure care once "
                                      f"({', '.join(with_bp)}), got {prio!r}")
    a9 = r.probability(f"{w}.adults_recorded_9m", b["adults_recorded_9m"])
    a15 = r.probability(f"{w}.adults_recorded_15m", b["adults_recorded_15m"])
    if a15 < a9:
        raise r.fail(f"{w}.adults_recorded_15m", f"must be at least adults_recorded_9m ({a9})")
    above = r.group(f"{w}.maximal_therapy_above", b["maximal_therapy_above"], {"systolic", "diastolic"})
    at_dx_of = b["at_diagnosis_of"] or []
    if not isinstance(at_dx_of, list) or any(c not in conditions for c in at_dx_of):
        raise r.fail(f"{w}.at_diagnosis_of", f"must list conditions among {', '.join(conditions)}, got {at_dx_of!r}")
    return BloodPressureSpec(
        cluster=r.cluster(f"{w}.cluster", b["cluster"], clusters),
        declined_cluster=r.cluster(f"{w}.declined_cluster", b["declined_cluster"], clusters),
        maximal_therapy_cluster=r.cluster(f"{w}.maximal_therapy_cluster", b["maximal_therapy_cluster"], clusters),
        priority=tuple(prio),
        adults_from_age=r.figure(f"{w}.adults_from_age", b["adults_from_age"], 0, MAX_AGE - 1, integer=True),
        adults_recorded_9m=a9, adults_recorded_15m=a15,
        adults=r.bp(f"{w}.adults", b["adults"]), at_diagnosis=r.bp(f"{w}.at_diagnosis", b["at_diagnosis"]),
        at_diagnosis_of=tuple(at_dx_of),
        older_if_not_recent=r.probability(f"{w}.older_if_not_recent", b["older_if_not_recent"]),
        history_mean=r.figure(f"{w}.history_mean", b["history_mean"], 0, 20),
        same_day_repeat=r.probability(f"{w}.same_day_repeat", b["same_day_repeat"]),
        maximal_therapy=r.probability(f"{w}.maximal_therapy", b["maximal_therapy"]),
        maximal_therapy_systolic=r.number(f"{w}.maximal_therapy_above.systolic", above["systolic"], 0, 300),
        maximal_therapy_diastolic=r.number(f"{w}.maximal_therapy_above.diastolic", above["diastolic"], 0, 200),
        measured_if_excepted=r.probability(f"{w}.measured_if_excepted", b["measured_if_excepted"]))


def _smoking(r: _Reader, node: Any, clusters: dict, conditions: dict) -> SmokingSpec:
    w = "smoking"
    b = r.mapping(w, node, {"clusters", "from_age", "current", "ex", "recorded_27m", "recorded_27m_on_register",
                            "older_record", "support_offered_27m"}, {"registers", "exception_on_register"})
    cl = r.mapping(f"{w}.clusters", b["clusters"], {"current", "ex", "never", "support"}, {"exception"})
    regs = b.get("registers") or []
    if not isinstance(regs, list) or any(x not in conditions for x in regs):
        raise r.fail(f"{w}.registers", f"must list conditions among {', '.join(conditions)}, got {regs!r}")
    exc = r.cluster(f"{w}.clusters.exception", cl["exception"], clusters) if cl.get("exception") else None
    exc_p = (r.probability(f"{w}.exception_on_register", b["exception_on_register"])
             if "exception_on_register" in b else 0.0)
    if exc_p > 0 and exc is None:
        raise r.fail(f"{w}.exception_on_register", "needs clusters.exception")
    current = r.probability(f"{w}.current", b["current"])
    ex = r.probability(f"{w}.ex", b["ex"])
    if current + ex > 1:
        raise r.fail(f"{w}.ex", f"current ({current}) and ex ({ex}) smokers together exceed 1")
    return SmokingSpec(
        *(r.cluster(f"{w}.clusters.{k}", cl[k], clusters) for k in ("current", "ex", "never", "support")),
        from_age=r.figure(f"{w}.from_age", b["from_age"], 0, MAX_AGE - 1, integer=True), current=current, ex=ex,
        recorded_27m=r.probability(f"{w}.recorded_27m", b["recorded_27m"]),
        recorded_27m_on_register=r.probability(f"{w}.recorded_27m_on_register", b["recorded_27m_on_register"]),
        older_record=r.probability(f"{w}.older_record", b["older_record"]),
        support_offered_27m=r.probability(f"{w}.support_offered_27m", b["support_offered_27m"]),
        registers=tuple(regs), exception_cluster=exc, exception_on_register=exc_p)


SHIFTS = ("quality", "exception", "none")
_VALUE_FIELDS = {"median", "log_sd", "decimals"}


def _processes(r: _Reader, w: str, node: Any, clusters: dict, population: bool) -> tuple[ProcessSpec, ...]:
    """A list of care processes (see :class:`ProcessSpec`); names are unique, and ``among`` /
    ``relative_to`` may only name processes listed before."""
    if not isinstance(node, list):
        raise r.fail(w, "expected a list of care processes")
    out: list[ProcessSpec] = []
    names: set[str] = set()
    for i, item in enumerate(node):
        pw = f"{w}[{i}]"
        b = r.mapping(pw, item, {"when", "probability"},
                      {"name", "cluster", "clusters", "among", "unless", "shift", "reading", "older", "who", "note"})
        if ("cluster" in b) == ("clusters" in b):
            raise r.fail(pw, "give cluster or clusters (recorded the same day)")
        names_raw = [b["cluster"]] if "cluster" in b else b["clusters"]
        if not isinstance(names_raw, list) or not names_raw:
            raise r.fail(f"{pw}.clusters", "expected a non-empty list of clusters")
        cls = tuple(r.cluster(f"{pw}.cluster", n, clusters) for n in names_raw)
        name = b.get("name")
        if name is not None:
            name = r.name(f"{pw}.name", name)
            if name in names or name == "diagnosis":
                raise r.fail(f"{pw}.name", f"{name!r} is already used")
        among = b.get("among") or []
        among = [among] if isinstance(among, str) else among
        for a in among:
            if a not in names:
                raise r.fail(f"{pw}.among", f"{a!r} is not the name of a process listed before it")
        unless = b.get("unless") or []
        unless = [unless] if isinstance(unless, str) else unless
        if not isinstance(unless, list):
            raise r.fail(f"{pw}.unless", f"expected a name or a list of names, got {unless!r}")
        for a in unless:
            if a not in names:
                raise r.fail(f"{pw}.unless", f"{a!r} is not the name of a process listed before it")
        when = r.mapping(f"{pw}.when", b["when"], set(), {"within_months", "since", "relative_to", "days"})
        if len({"within_months", "since", "relative_to"} & when.keys()) != 1:
            raise r.fail(f"{pw}.when", "give one of within_months, since, relative_to (with days)")
        if "within_months" in when:
            timing: tuple = ("months", r.number(f"{pw}.when.within_months", when["within_months"], 1, 1200,
                                                integer=True))
        elif "since" in when:
            try:
                day = dt.date.fromisoformat(str(when["since"]))
            except ValueError:
                raise r.fail(f"{pw}.when.since", f"expected a date YYYY-MM-DD, got {when['since']!r}") from None
            timing = ("since", day)
        else:
            rel = when["relative_to"]
            if rel == "diagnosis" and population:
                raise r.fail(f"{pw}.when.relative_to", "the population list has no diagnosis to be relative to")
            if rel != "diagnosis" and rel not in names:
                raise r.fail(f"{pw}.when.relative_to", f"{rel!r} is neither diagnosis nor a process listed before it")
            days = when.get("days")
            if (not isinstance(days, list) or len(days) != 2 or isinstance(days[0], bool)
                    or not isinstance(days[0], int) or not (days[1] is None or isinstance(days[1], int))
                    or (days[1] is not None and days[1] < days[0])):
                raise r.fail(f"{pw}.when.days", f"expected [first, last] whole days (last may be null), got {days!r}")
            timing = ("relative", rel, days[0], days[1])
        shift = b.get("shift", "quality")
        if shift not in SHIFTS:
            raise r.fail(f"{pw}.shift", f"one of {', '.join(SHIFTS)}, got {shift!r}")
        value = None
        if "reading" in b:  # the value recorded with the event
            vb = r.mapping(f"{pw}.reading", b["reading"], _VALUE_FIELDS | {"tag", "source"}, {"min", "max", "note"})
            r.provenance(f"{pw}.reading", vb)
            value = ValueSpec(r.number(f"{pw}.reading.median", vb["median"], 0, lo_open=True),
                              r.number(f"{pw}.reading.log_sd", vb["log_sd"], 0, 3),
                              r.number(f"{pw}.reading.decimals", vb["decimals"], 0, 6, integer=True),
                              r.number(f"{pw}.reading.min", vb["min"]) if "min" in vb else None,
                              r.number(f"{pw}.reading.max", vb["max"]) if "max" in vb else None)
        who = r.mapping(f"{pw}.who", b.get("who") or {}, set(),
                        {"sex", "min_age", "max_age"} | (set() if population else {"diagnosed_since"}))
        if who.get("sex") not in (None, "F", "M"):
            raise r.fail(f"{pw}.who.sex", f"F or M, got {who.get('sex')!r}")
        since = None
        if "diagnosed_since" in who:
            try:
                since = dt.date.fromisoformat(str(who["diagnosed_since"]))
            except ValueError:
                raise r.fail(f"{pw}.who.diagnosed_since", f"expected a date YYYY-MM-DD, got {who['diagnosed_since']!r}") \
                    from None
        out.append(ProcessSpec(
            name, cls, timing, r.probability(f"{pw}.probability", b["probability"]), tuple(among), shift, value,
            r.probability(f"{pw}.older", b["older"]) if "older" in b else 0.0, who.get("sex"),
            r.number(f"{pw}.who.min_age", who.get("min_age", 0), 0, MAX_AGE - 1, integer=True),
            r.number(f"{pw}.who.max_age", who["max_age"], 0, MAX_AGE - 1, integer=True) if "max_age" in who else None,
            since, tuple(unless)))
        if name is not None:
            names.add(name)
    return tuple(out)


def check_list_size_range(value: Any, where: str = "list_size_range") -> tuple[int, int] | None:
    """None, or a (low, high) pair of whole numbers with 1 <= low <= high; ProfileError otherwise."""
    if value is None:
        return None
    if (not isinstance(value, (list, tuple)) or len(value) != 2
            or any(isinstance(x, bool) or not isinstance(x, (int, float)) or not float(x).is_integer() for x in value)):
        raise ProfileError(f"{where}: expected [low, high] whole numbers, got {value!r}")
    lo, hi = int(value[0]), int(value[1])
    if lo < 1:
        raise ProfileError(f"{where}: a list size must be at least 1, got {lo}")
    if hi < lo:
        raise ProfileError(f"{where}: high ({hi}) is below low ({lo})")
    return lo, hi
