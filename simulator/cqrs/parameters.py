"""CQRS's own settings from ``parameters_2012_13.yaml``: aspiration, the manual-entry window and the
additional services target populations. Each value keeps its trust tag in the YAML file.

The catalogue loader (``simulator.qof.catalogue``) reads the money, dates and national figures
every service (and the reconciliation) shares, ``national_prevalence`` and
``national_average_target_population`` among them; this module reads the keys only CQRS uses,
with the same "fail loudly" rule.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path

import yaml

from simulator.qof import targets
from simulator.qof.catalogue import HERE, CatalogueError
from simulator.qof.targets import TargetPopulation

DEFAULT_PATH = HERE / "parameters_2012_13.yaml"


@dataclass(frozen=True)
class CqrsParameters:
    aspiration_share: Decimal
    aspiration_months: int
    aspiration_default_points: Decimal
    entry_opens: dt.date
    entry_closes: dt.date
    target_groups: dict[str, TargetPopulation]  # by area: who each additional service's payment is weighted by

    @property
    def group_of_area(self) -> dict[str, str]:
        return {a: g.group for a, g in self.target_groups.items()}


def _value(d: dict, key: str, name: str):
    if key not in d:
        raise CatalogueError(f"{name}: missing parameter {key!r}")
    v = d[key]
    return v["value"] if isinstance(v, dict) and "value" in v else v


def _dec(text, name: str, key: str) -> Decimal:
    try:
        return Decimal(str(text))
    except InvalidOperation:
        raise CatalogueError(f"{name}: parameter {key!r} is not a number: {text!r}") from None


def load(path: Path = DEFAULT_PATH) -> CqrsParameters:
    name = Path(path).name
    with open(path) as f:
        d = yaml.safe_load(f)
    window = _value(d, "manual_entry_window", name)
    opens, closes = (dt.date.fromisoformat(str(window[k])) for k in ("opens", "closes"))
    if closes < opens:
        raise CatalogueError(f"{name}: manual_entry_window: closes {closes} before it opens {opens}")
    try:
        groups = {g.area: g for g in targets.parse(_value(d, "additional_services_target_populations", name), name)}
    except targets.TargetError as e:
        raise CatalogueError(str(e)) from None
    share = _dec(_value(d, "aspiration_share", name), name, "aspiration_share")
    if not 0 <= share <= 1:
        raise CatalogueError(f"{name}: aspiration_share {share} is not between 0 and 1")
    months = int(_value(d, "aspiration_months", name))
    if months < 1:
        raise CatalogueError(f"{name}: aspiration_months must be at least 1, got {months}")
    return CqrsParameters(
        aspiration_share=share, aspiration_months=months,
        aspiration_default_points=_dec(_value(d, "aspiration_default_points", name), name, "aspiration_default_points"),
        entry_opens=opens, entry_closes=closes, target_groups=groups)


@lru_cache(maxsize=1)
def default_parameters() -> CqrsParameters:
    return load()
