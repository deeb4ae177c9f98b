"""What a practice enters by hand in CQRS: the 44 indicators GPES does not extract.

Organisational and patient-experience indicators (yes/no, or a percentage the practice
computes itself) are simulated per practice from the run seed, so a run is repeatable and the
report shows all four domains. The rates are placeholders [I]: 2012/13 mean achievement was
960.8 of 1,000 points (FACTS.md [S]), so nearly every practice meets nearly every one.
"""

from __future__ import annotations

import hashlib
import random

from simulator.contracts import ManualEntries, ManualEntry
from simulator.qof.catalogue import Catalogue

YES_RATE = 0.96  # [I] share of yes/no indicators a practice achieves
PERCENT_BELOW_THRESHOLD = 0.05  # [I] chance a percentage indicator falls short of its threshold


def _rng(seed: int, practice_code: str) -> random.Random:
    digest = hashlib.sha256(f"{seed}/{practice_code}/manual".encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def manual_entries(catalogue: Catalogue, practice_code: str, seed: int) -> ManualEntries:
    rng = _rng(seed, practice_code)
    entries = []
    for code, d in catalogue.indicators.items():
        if d.extracted:
            continue
        if d.lower is None:
            entries.append(ManualEntry(ind_code=code, achieved=rng.random() < YES_RATE))
        else:
            den = rng.randint(20, 400)
            short = rng.random() < PERCENT_BELOW_THRESHOLD
            pct = rng.uniform(max(float(d.lower) - 20, 0), float(d.lower)) if short else rng.uniform(float(d.upper), 100)
            entries.append(ManualEntry(ind_code=code, numerator=min(den, round(den * pct / 100)), denominator=den))
    return ManualEntries(entered_by=f"{practice_code}-practice-manager", entries=tuple(entries))
