"""Worlds for the features: which nation, which faults and personalities, brought up when first needed.

A scenario describes its world in Given steps (a nation, supplier faults, personalities, record
faults, CQRS's calendar); the world is brought up, as separate processes exactly as ``qofsim up``
starts it, by the first step that needs a running service. Scenarios of one feature that describe
the same world share it (and its collection); a scenario or feature tagged ``@fresh_world`` gets
a world of its own; features tagged ``@read_only`` share their worlds across features (a step that
would change a world is refused there). Worlds are brought down when the suite moves to the next
feature (the @read_only ones at the end of the run).

With ``qofsim bdd --world DIR`` (environment ``QOFSIM_BDD_WORLD``) every scenario drives the world
a team already started instead: a scenario whose Given steps describe a different world (other
faults, another nation) is skipped, and the skip says what it needed and what the world has.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from simulator.bdd.library import StepRefused
from simulator.population.faults import RecordFault
from simulator.population.generate import Nation, generate_nation, load_nation
from simulator.population.profile import load_profile
from simulator.scenario import ScenarioError, load_scenario, parse_scenario
from simulator.supplier.personality import Personality
from simulator.world import World, WorldError, down, restart, up

WORLD_ENV = "QOFSIM_BDD_WORLD"
SHARED = "read_only"  # the group of features tagged @read_only: they share worlds across features
DEFAULT_SEED = 20130331
DEFAULT_RANGE = (1500, 2500)
DEFAULT_PROFILE = "england-2012-13"


def repo_root() -> Path:
    """The repository the suite runs in: the working directory when it holds features/, else the
    one this package was installed from (editable install)."""
    cwd = Path.cwd()
    if (cwd / "features").is_dir():
        return cwd
    return Path(__file__).resolve().parents[2]


# ---------------------------------------------------------------- nations


@functools.lru_cache(maxsize=None)
def _profile(name: str):
    return load_profile(name)  # seconds: it calibrates the profile


@dataclass(frozen=True)
class NationSpec:
    practices: int
    seed: int = DEFAULT_SEED
    list_size_range: tuple[int, int] | None = DEFAULT_RANGE
    profile: str = DEFAULT_PROFILE
    name: str | None = None  # a nation named after a scenario file ("infrastructure-test")
    record_faults: tuple[RecordFault, ...] = ()

    def describe(self) -> str:
        what = f'the nation "{self.name}"' if self.name else "a nation"
        lo, hi = self.list_size_range or ("?", "?")
        return (f"{what} of {self.practices} practices (seed {self.seed}, lists {lo}-{hi})"
                + (f" with record faults {', '.join(f'{f.practice} {f.kind}' for f in self.record_faults)}"
                   if self.record_faults else ""))

    def incompatible(self, w: World, manifest: dict) -> str | None:
        """Why a running world's nation is not this one (None when it is)."""
        if self.name and not w.file.scenario.endswith(self.name):
            return f'the nation "{self.name}"; the world is "{w.file.scenario}"'
        if len(w.file.practices) != self.practices:
            return f"{self.practices} practices; the world has {len(w.file.practices)}"
        faults = sorted((f["practice"], f["kind"], f.get("register")) for f in manifest.get("faults", []))
        mine = sorted((f.practice, f.kind, f.register) for f in self.record_faults)
        if faults != mine:
            return f"record faults {_faults(mine)}; the world's nation has {_faults(faults)}"
        return None


def named_nation(name: str) -> tuple[NationSpec, Path]:
    """A nation named after a scenario file in scenarios/ (its population block): refused, listing the
    names there are, when none is called so."""
    folder = repo_root() / "scenarios"
    files = sorted(folder.glob("*.yaml"))
    known = {}
    for f in files:
        try:
            sc = load_scenario(f)
        except ScenarioError:
            continue
        known[sc.name] = (sc, f)
    hits = [k for k in known if k == name or k.endswith(f"-{name}")]
    if len(hits) != 1:
        names = ", ".join(sorted(k.removeprefix("qof-2012-13-") for k in known)) or "none"
        raise StepRefused(f'no synthetic nation "{name}" in {folder} (nations there: {names})'
                          if not hits else f'"{name}" names more than one scenario file: {", ".join(hits)}')
    sc, path = known[hits[0]]
    return NationSpec(practices=sc.practices, seed=sc.seed, list_size_range=sc.list_size_range,
                      profile=sc.profile, name=name, record_faults=tuple(sc.record_faults)), path


# ---------------------------------------------------------------- worlds


def _faults(faults) -> str:
    return ", ".join(" ".join(str(x) for x in f if x) for f in sorted(faults)) or "none"


def _moods(moods: dict) -> str:
    default = Personality().model_dump()
    return "; ".join(f"{s} " + ", ".join(f"{k} {v}" for k, v in m.items() if v != default[k])
                     for s, m in sorted(moods.items())) or "none"


@dataclass(frozen=True)
class WorldSpec:
    nation: NationSpec
    supplier_faults: tuple[tuple[str, str, str | None], ...] = ()  # (practice, kind, as_practice)
    personalities: tuple[tuple[str, tuple[tuple[str, object], ...]], ...] = ()  # supplier -> settings
    cqrs_today: dt.date | None = None

    def fault_list(self) -> list[dict]:
        return [{"practice": p, "kind": k, **({"as_practice": a} if a else {})} for p, k, a in self.supplier_faults]

    def personality_map(self) -> dict[str, dict]:
        return {s: {k: (list(v) if isinstance(v, tuple) else v) for k, v in items} for s, items in self.personalities}

    def describe(self) -> str:
        parts = [self.nation.describe()]
        if self.supplier_faults:
            parts.append("supplier faults " + ", ".join(f"{p} {k}" for p, k, _ in self.supplier_faults))
        if self.personalities:
            parts.append("personalities " + "; ".join(f"{s} {dict(i)}" for s, i in self.personalities))
        if self.cqrs_today:
            parts.append(f"CQRS's date {self.cqrs_today:%d/%m/%Y}")
        return ", ".join(parts)

    def incompatible(self, w: World) -> str | None:
        """Why a running world is not the world this spec describes (None when it is)."""
        manifest = json.loads((Path(w.file.nation) / "manifest.json").read_text())
        why = self.nation.incompatible(w, manifest)
        if why:
            return why
        faults, moods = [], {}
        for name, s in w.file.services.items():
            if s.kind != "supplier":
                continue
            cfg = yaml.safe_load(Path(s.config).read_text()) or {}
            faults += [(f["practice"], f["kind"], f.get("as_practice")) for f in cfg.get("faults") or []]
            mood = Personality.model_validate(cfg.get("personality") or {}).model_dump()
            if mood != Personality().model_dump():
                moods[name.removeprefix("supplier-")] = mood
        if sorted(faults) != sorted(self.supplier_faults):
            return f"supplier faults {_faults(self.supplier_faults)}; the world has {_faults(faults)}"
        mine = {s: Personality.model_validate(m).model_dump() for s, m in self.personality_map().items()}
        if mine != moods:
            return f"supplier personalities {_moods(mine)}; the world has {_moods(moods)}"
        cqrs = yaml.safe_load(Path(w.file.services["cqrs"].config).read_text()) or {}
        today = cqrs.get("today")
        today = dt.date.fromisoformat(str(today)) if today else None
        if today != self.cqrs_today:
            return f"CQRS's date {self.cqrs_today or 'unset'}; the world's CQRS has {today or 'unset'}"
        return None


@dataclass
class LiveWorld:
    """A running world and what the features have done with it so far."""

    directory: Path
    nation: Nation
    external: bool = False
    collections: list[dict] = field(default_factory=list)  # GPES's view of each finished collection

    @property
    def w(self) -> World:
        return World.open(self.directory)  # read each time: a restarted service has a new PID


class WorldPool:
    """Nations (generated once per description) and running worlds, for one test session."""

    def __init__(self, base: Path, external: Path | None = None):
        self.base = Path(base)
        self.external = Path(external).resolve() if external else None
        self.nations: dict[NationSpec, Nation] = {}
        self.live: dict[tuple[str, object], LiveWorld] = {}
        self.group: str | None = None
        self._n = 0

    @classmethod
    def from_environment(cls, base: Path) -> "WorldPool":
        ext = os.environ.get(WORLD_ENV) or None
        if ext and not (Path(ext) / "world.json").exists():
            raise WorldError(f"{WORLD_ENV}={ext}: no world.json there (start one with `qofsim up SCENARIO --dir {ext}`)")
        return cls(base, ext)

    # nations
    def nation(self, spec: NationSpec) -> Nation:
        if spec not in self.nations:
            self._n += 1
            out = self.base / f"nation-{self._n}"
            self.nations[spec] = generate_nation(_profile(spec.profile), n_practices=spec.practices, seed=spec.seed,
                                                 out_dir=out, list_size_range=spec.list_size_range,
                                                 faults=spec.record_faults)
        return self.nations[spec]

    def external_world(self) -> World:
        return World.open(self.external)

    def external_nation(self) -> Nation:
        return load_nation(self.external_world().file.nation)

    # worlds
    def world(self, spec: WorldSpec, group: str) -> LiveWorld:
        """The group's world for this spec: brought up on first use."""
        if self.external is not None:
            key = (group, "external")
            if key not in self.live:
                self.live[key] = LiveWorld(self.external, self.external_nation(), external=True)
            return self.live[key]
        key = (group, spec)
        if key not in self.live:
            self._n += 1
            nation = self.nation(spec.nation)
            directory = self.base / f"world-{self._n}"
            scenario = parse_scenario({"name": f"bdd-{self._n}", "faults": spec.fault_list(),
                                       "suppliers": spec.personality_map()}, source="the scenario's Given steps")
            up(directory, nation, scenario)
            live = LiveWorld(directory, nation)
            self.live[key] = live  # brought down with its group even if what follows fails
            if spec.cqrs_today is not None:
                cfg_path = Path(live.w.file.services["cqrs"].config)
                cfg = yaml.safe_load(cfg_path.read_text())
                cfg["today"] = spec.cqrs_today.isoformat()
                cfg_path.write_text(yaml.safe_dump(cfg, sort_keys=False))
                restart(directory, "cqrs")
        return self.live[key]

    def release(self, keep: str | None = None) -> None:
        """Bring down every world but those of group ``keep`` (and, unless closing, the worlds shared by
        features tagged @read_only)."""
        kept = {keep, SHARED} if keep is not None else set()
        for key in [k for k in self.live if k[0] not in kept]:
            live = self.live.pop(key)
            if not live.external:
                try:
                    down(live.directory)
                except WorldError:
                    pass

    def release_group(self, group: str) -> None:
        for key in [k for k in self.live if k[0] == group]:
            live = self.live.pop(key)
            if not live.external:
                down(live.directory)

    def enter(self, group: str) -> None:
        """A scenario of ``group`` (a feature file) starts: worlds of earlier features come down."""
        if group != self.group:
            self.release(keep=group)
            self.group = group

    def close(self) -> None:
        self.release(keep=None)
