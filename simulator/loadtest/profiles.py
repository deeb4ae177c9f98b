"""The profiles in ``load/``: each module's ``PROFILE`` literal, read without importing Locust.

A profile module is a locustfile (its user classes and its ``LoadTestShape``) and begins with::

    PROFILE = {"name": "extraction-window", "purpose": "one line", "run_time": "2m", "practices": 8000,
               "users": 16, "setup": "none" | "collected" | "collected+manual",
               "thresholds": {"p95_ms": 250, "max_error_ratio": 0.001},
               "commissioners": True}  # optional: its users approve as each practice's CCG

Importing a locustfile would import Locust, which monkey-patches the importing process (gevent);
the driver only reads the literal (``ast.literal_eval``).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

LOAD_DIR = Path(__file__).resolve().parents[2] / "load"
DEFAULT_MAX_ERROR_RATIO = 0.001
SETUPS = ("none", "collected", "collected+manual")


class ProfileError(ValueError):
    pass


@dataclass(frozen=True)
class Profile:
    name: str
    purpose: str
    path: Path
    run_time_s: float
    practices: int
    users: int
    setup: str
    p95_ms: float
    max_error_ratio: float
    commissioners: bool = False  # its users act as each practice's CCG: the target must name them


def parse_duration(text: str | int | float) -> float:
    """'30s', '2m', '1h30m', '90' (seconds) -> seconds."""
    if isinstance(text, (int, float)):
        return float(text)
    s = str(text).strip().lower()
    if re.fullmatch(r"\d+(\.\d+)?", s):
        return float(s)
    parts = re.findall(r"(\d+(?:\.\d+)?)\s*([hms])", s)
    if not parts or "".join(f"{n}{u}" for n, u in parts) != s.replace(" ", ""):
        raise ProfileError(f"--run-time: {text!r} is not a duration (e.g. 30s, 2m, 1h30m)")
    return sum(float(n) * {"h": 3600, "m": 60, "s": 1}[u] for n, u in parts)


def module_path(name: str, load_dir: Path = LOAD_DIR) -> Path:
    return load_dir / f"{name.replace('-', '_')}.py"


def available(load_dir: Path = LOAD_DIR) -> list[str]:
    names = []
    for p in sorted(load_dir.glob("*.py")):
        try:
            names.append(_literal(p)["name"])
        except (ProfileError, KeyError, TypeError):
            continue
    return names


def _literal(path: Path) -> dict:
    tree = ast.parse(path.read_text(), str(path))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "PROFILE" for t in node.targets):
            try:
                return ast.literal_eval(node.value)
            except ValueError as exc:
                raise ProfileError(f"{path}: PROFILE must be a literal: {exc}") from None
    raise ProfileError(f"{path}: no PROFILE")


def load(name: str, load_dir: Path = LOAD_DIR) -> Profile:
    path = module_path(name, load_dir)
    if not path.exists():
        raise ProfileError(f"PROFILE: no profile {name!r} (there are: {', '.join(available(load_dir))})")
    d = _literal(path)
    try:
        t = d.get("thresholds", {})
        setup = d.get("setup", "none")
        if setup not in SETUPS:
            raise ProfileError(f"{path}: setup {setup!r} is not one of {', '.join(SETUPS)}")
        return Profile(name=d["name"], purpose=d["purpose"], path=path, run_time_s=parse_duration(d["run_time"]),
                       practices=int(d["practices"]), users=int(d["users"]), setup=setup,
                       p95_ms=float(t["p95_ms"]), max_error_ratio=float(t.get("max_error_ratio", DEFAULT_MAX_ERROR_RATIO)),
                       commissioners=bool(d.get("commissioners", False)))
    except KeyError as exc:
        raise ProfileError(f"{path}: PROFILE has no {exc.args[0]!r}") from None
