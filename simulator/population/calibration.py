"""How close a generated nation comes to its profile: registers, achievement, exceptions.

Counts every practice with the fast (DuckDB) engine, exactly as a supplier would, then pools
them: register prevalence = register at the achievement date / list at 1 January (as QOF's
raw prevalence), achievement % = numerator / denominator, exception rate = exceptions /
(denominator + exceptions). ``qofsim generate --check`` prints it beside the profile targets,
flags every register more than ``REGISTER_TOLERANCE`` (relative) from its target, and prints the
exception rate pooled over the indicators that can except anyone beside England's 4.1 %.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from simulator.population.profile import Profile
from simulator.population.schema import SUPPLIERS

REGISTER_TOLERANCE = 0.10  # a register within +-10 % (relative) of the profile's prevalence is on target
NATIONAL_EXCEPTION_RATE = 0.041  # England 2012/13, FACTS.md [S] (NHS Digital, gponline)
EXCEPTION_TOLERANCE = 0.005  # +-0.5 points around it is "about 4 %"


@dataclass
class Check:
    practices: int = 0
    list_size: int = 0
    registers: dict[str, int] = field(default_factory=dict)
    indicators: dict[str, tuple[int, int, int]] = field(default_factory=dict)  # id -> (num, den, exc)

    def prevalence(self, register: str) -> float:
        return self.registers.get(register, 0) / self.list_size if self.list_size else 0.0

    def achievement(self, indicator: str) -> float:
        n, d, _ = self.indicators[indicator]
        return n / d if d else 0.0

    def exception_rate(self, indicators: list[str] | None = None) -> float:
        ids = indicators if indicators is not None else list(self.indicators)
        x = sum(self.indicators[i][2] for i in ids)
        dx = sum(self.indicators[i][1] + self.indicators[i][2] for i in ids)
        return x / dx if dx else 0.0

    def indicators_with_exceptions(self, catalogue) -> list[str]:
        """Indicators whose rules can except anyone (the national exception rate is over these)."""
        return [i for i in self.indicators if any(r.outcome == "exception" for r in catalogue.rules.indicators[i].rules)]

    def pooled_exception_rate(self, catalogue) -> float:
        """Exceptions / (denominator + exceptions), pooled over the indicators that can except anyone."""
        return self.exception_rate(self.indicators_with_exceptions(catalogue))

    def register_deviation(self, profile: Profile) -> dict[str, float]:
        """Relative deviation of each register the profile targets: achieved / target - 1."""
        return {r: self.prevalence(r) / c.register_prevalence - 1.0 for r, c in profile.conditions.items()
                if c.register_prevalence > 0}

    def registers_off_target(self, profile: Profile, tolerance: float = REGISTER_TOLERANCE) -> dict[str, float]:
        """The registers more than ``tolerance`` (relative) from the profile's target, with their deviation."""
        return {r: d for r, d in self.register_deviation(profile).items() if abs(d) > tolerance}


def check(nation, catalogue=None) -> Check:
    """Pool the DuckDB engine's counts over every supplier's files of ``nation``."""
    from simulator.qof.catalogue import default_catalogue
    from simulator.qof.engines import seam

    cat = catalogue or default_catalogue()
    out = Check()
    for s in SUPPLIERS:
        mine = [p["practice_code"] for p in nation.practices if p["supplier"] == s]
        if not mine:
            continue
        counts = seam.count("duckdb", cat.rules, cat.clusters,
                            seam.Records(nation.patients_path(s), nation.events_path(s), tuple(mine))).counts
        for pc in counts.values():
            out.practices += 1
            out.list_size += pc.list_size
            for r, v in pc.registers.items():
                out.registers[r] = out.registers.get(r, 0) + v
            for i, c in pc.indicators.items():
                n, d, x = out.indicators.get(i, (0, 0, 0))
                out.indicators[i] = (n + c.numerator, d + c.denominator, x + c.exceptions)
    return out


def print_check(console, nation, profile: Profile, catalogue=None) -> Check:
    """Print achieved registers, achievement and exception rates beside the profile's targets."""
    from rich.table import Table

    from simulator.qof.catalogue import default_catalogue

    cat = catalogue or default_catalogue()
    c = check(nation, cat)
    t = Table(title=f"{c.practices} practices, list at 1 January {c.list_size:,}")
    t.add_column("register")
    t.add_column("count", justify="right")
    t.add_column("prevalence", justify="right")
    t.add_column("profile target", justify="right")
    t.add_column("vs target", justify="right")
    t.add_column(f"within ±{REGISTER_TOLERANCE:.0%}", justify="center")
    dev = c.register_deviation(profile)
    for r, v in c.registers.items():
        target = profile.conditions[r].register_prevalence if r in profile.conditions else None
        if r in dev:
            ok = abs(dev[r]) <= REGISTER_TOLERANCE
            flag = "[green]yes[/]" if ok else "[red]NO[/]"
            t.add_row(r, f"{v:,}", f"{c.prevalence(r):.2%}", f"{target:.2%}", f"{dev[r]:+.1%}", flag)
        else:
            t.add_row(r, f"{v:,}", f"{c.prevalence(r):.2%}", "", "", "")
    console.print(t)
    t = Table(title="indicators (denominator excludes exceptions)")
    for col in ("indicator", "numerator", "denominator", "exceptions", "achievement", "exception rate"):
        t.add_column(col, justify="left" if col == "indicator" else "right")
    for i, (n, d, x) in c.indicators.items():
        t.add_row(i, f"{n:,}", f"{d:,}", f"{x:,}", f"{n / d:.1%}" if d else "-", f"{x / (d + x):.1%}" if d + x else "-")
    console.print(t)
    excepting = c.indicators_with_exceptions(cat)
    rate = c.exception_rate(excepting)
    near = abs(rate - NATIONAL_EXCEPTION_RATE) <= EXCEPTION_TOLERANCE
    console.print(f"pooled exception rate: [bold]{rate:.2%}[/] (England 2012/13: {NATIONAL_EXCEPTION_RATE:.1%}, "
                  f"FACTS.md [S]; {'[green]within[/]' if near else '[red]outside[/]'} "
                  f"±{EXCEPTION_TOLERANCE * 100:.1f} points) — exceptions / (denominator + exceptions) over the "
                  f"{len(excepting)} indicators whose rules can except anyone")
    off = c.registers_off_target(profile)
    if off:
        console.print(f"[red]registers outside ±{REGISTER_TOLERANCE:.0%} of the profile:[/] "
                      + ", ".join(f"{r} {d:+.1%}" for r, d in off.items()))
    else:
        worst = max(dev, key=lambda r: abs(dev[r]))
        console.print(f"every register within ±{REGISTER_TOLERANCE:.0%} of the profile "
                      f"(largest: {worst} {dev[worst]:+.1%})")
    return c
