"""Additional services target populations: who each service's payment is weighted by.

Cervical screening, child health surveillance, maternity and contraception are paid like CPI but
on the practice's target population of the service instead of its list (FACTS.md: [S] principle,
[I] groups). The groups are data (``additional_services_target_populations`` in the parameters
file); GPES publishes them in the extraction spec, suppliers count them in their own records
on the list size date, and the reference count here checks what they send.

Ages are whole years on the count date, turned once into date-of-birth bounds so that the SQL
count does no calendar arithmetic (as the rule model does for ``age_at_least``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from dateutil.relativedelta import relativedelta

if TYPE_CHECKING:
    import pyarrow as pa

SEXES = ("F", "M")


class TargetError(ValueError):
    """A target population definition that cannot be counted (names the file and field)."""


class Group(Protocol):
    group: str
    sex: str | None
    min_age: int
    max_age: int | None


@dataclass(frozen=True)
class TargetPopulation:
    """One additional service's target population: patients on the list of ``sex`` (any if None)
    aged ``min_age`` to ``max_age`` (inclusive; no upper limit if None) on the count date."""

    area: str  # catalogue area, e.g. "Cervical screening"
    group: str  # key in Extract.target_populations, e.g. "CS"
    population: str  # in words, e.g. "women aged 25-64"
    sex: str | None
    min_age: int
    max_age: int | None


def parse(raw: Mapping, source: str) -> tuple[TargetPopulation, ...]:
    """The ``additional_services_target_populations`` value: {area: {group, population, sex?, min_age?, max_age?}}."""
    out, groups = [], set()
    for area, g in (raw or {}).items():
        where = f"{source}: additional_services_target_populations.{area}"
        if not isinstance(g, Mapping) or not str(g.get("group", "")).strip():
            raise TargetError(f"{where}: needs a 'group'")
        group = str(g["group"]).strip()
        if group in groups:
            raise TargetError(f"{where}.group: {group!r} is used twice")
        groups.add(group)
        sex = g.get("sex")
        if sex is not None and sex not in SEXES:
            raise TargetError(f"{where}.sex: expected F or M, got {sex!r}")
        ages = {}
        for key in ("min_age", "max_age"):
            v = g.get(key, 0 if key == "min_age" else None)
            if v is not None and (not isinstance(v, int) or isinstance(v, bool) or v < 0):
                raise TargetError(f"{where}.{key}: expected a whole number of years, got {v!r}")
            ages[key] = v
        if ages["max_age"] is not None and ages["max_age"] < ages["min_age"]:
            raise TargetError(f"{where}.max_age: {ages['max_age']} is below min_age {ages['min_age']}")
        out.append(TargetPopulation(str(area), group, str(g.get("population", "")), sex, ages["min_age"], ages["max_age"]))
    return tuple(out)


def born_between(g: Group, on: dt.date) -> tuple[dt.date | None, dt.date]:
    """(born after, born on or before): aged min_age..max_age in whole years on ``on``."""
    born_by = on - relativedelta(years=g.min_age)
    born_after = None if g.max_age is None else on - relativedelta(years=g.max_age + 1)
    return born_after, born_by


def age_on(born: dt.date, on: dt.date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def count_reference(groups: Iterable[Group], patients: Iterable, on: dt.date) -> dict[str, dict[str, int]]:
    """practice -> group -> count, patient by patient (the oracle). ``patients`` have practice_code,
    sex, date_of_birth, registered_from and registered_to, as the Parquet rows or reference Patients."""
    groups = list(groups)
    out: dict[str, dict[str, int]] = {}
    for p in patients:
        get = p.get if isinstance(p, Mapping) else lambda k, p=p: getattr(p, k)
        counts = out.setdefault(get("practice_code"), {g.group: 0 for g in groups})
        start, end = get("registered_from"), get("registered_to")
        if not (start <= on and (end is None or end > on)):
            continue
        age = age_on(get("date_of_birth"), on)
        for g in groups:
            if (g.sex is None or get("sex") == g.sex) and age >= g.min_age and (g.max_age is None or age <= g.max_age):
                counts[g.group] += 1
    return out


def _date(d: dt.date) -> str:
    return f"DATE '{d.isoformat()}'"


def count_duckdb(groups: Iterable[Group], patients: str | pa.Table, on: dt.date,
                 practices: Iterable[str] | None = None) -> dict[str, dict[str, int]]:
    """practice -> group -> count, one set-based query over the patients (a Parquet path or an Arrow table)."""
    groups = list(groups)
    import duckdb  # here, not at the top: GPES and CQRS read the groups but never count (and stay ~60 MiB lighter)
    import pyarrow as pa

    con = duckdb.connect()
    try:
        if isinstance(patients, pa.Table):
            con.register("patients_src", patients)
            src = "patients_src"
        else:
            src = "read_parquet(?)"
        cols = []
        for n, g in enumerate(groups):
            after, by = born_between(g, on)
            cond = [f"date_of_birth <= {_date(by)}"]
            if after is not None:
                cond.append(f"date_of_birth > {_date(after)}")
            if g.sex is not None:
                cond.append(f"sex = '{g.sex}'")
            cols.append(f"count(*) FILTER (WHERE registered AND {' AND '.join(cond)}) AS g{n}")
        where = ""
        params: list = [] if isinstance(patients, pa.Table) else [patients]
        if practices is not None:
            where = "WHERE practice_code IN (SELECT unnest(?))"
            params.append(sorted(set(practices)))
        sql = (f"SELECT practice_code{''.join(', ' + c for c in cols)} FROM ("
               f"SELECT *, registered_from <= {_date(on)} AND (registered_to IS NULL OR registered_to > {_date(on)}) "
               f"AS registered FROM {src} {where}) GROUP BY practice_code")
        rows = con.execute(sql, params).fetchall()
    finally:
        con.close()
    return {r[0]: {g.group: int(r[n + 1]) for n, g in enumerate(groups)} for r in rows}
