"""The nation's practices: ODS-style codes, names, suppliers, commissioners, postcodes.

Deterministic in (profile, n_practices, seed). Suppliers are apportioned to the profile's
shares by largest remainder (so 8,000 practices get the shares to within one practice), with
the first four practices round-robin EMIS, TPP, INPS, Microtest so that even a small demo nation
has every supplier. Practices are grouped in contiguous blocks into CCGs and CCGs into area
teams, with the 2013 ratios from the profile. Faker (en_GB, seeded) gives names and postcodes.
"""

from __future__ import annotations

import numpy as np
from faker import Faker

from simulator.population.profile import Profile
from simulator.population.schema import SUPPLIERS

ODS_LETTERS = "ABCDEFGHJKLMNPY"  # first letter of English GP practice codes, by region
CCG_LETTERS = "ABCDEFGHJKLMNPQRTVWXY"
MAX_PRACTICES = len(ODS_LETTERS) * 18_999  # numbers 81001..99999 under each letter
_NAME_TEMPLATES = ("{surname} Medical Centre", "The {surname} Practice", "{town} Health Centre",
                   "{street} Surgery", "Dr {surname} and Partners", "{town} Family Practice")


def apportion(n: int, shares: dict[str, float]) -> dict[str, int]:
    """Whole counts summing to n in proportion to shares (largest remainder); at least 1 each when n allows."""
    names = list(shares)
    exact = np.array([shares[s] for s in names]) * n
    counts = np.floor(exact).astype(int)
    order = sorted(range(len(names)), key=lambda i: (-(exact[i] - counts[i]), i))
    for i in order[: n - counts.sum()]:
        counts[i] += 1
    if n >= len(names):
        for i in range(len(names)):
            while counts[i] < 1:
                counts[int(np.argmax(counts))] -= 1
                counts[i] += 1
    return {s: int(c) for s, c in zip(names, counts)}


def assign_suppliers(n: int, shares: dict[str, float], rng: np.random.Generator) -> list[str]:
    first = list(SUPPLIERS[: min(n, len(SUPPLIERS))])
    counts = apportion(n, shares)
    rest: list[str] = []
    for s in SUPPLIERS:
        rest += [s] * max(counts[s] - first.count(s), 0)
    rest = rest[: n - len(first)]
    order = rng.permutation(len(rest))
    return first + [rest[i] for i in order]


def ccg_code(j: int) -> str:
    return f"{j // len(CCG_LETTERS) + 1:02d}{CCG_LETTERS[j % len(CCG_LETTERS)]}"


def area_team_code(k: int) -> str:
    return f"Q{30 + k}"


def build_practices(profile: Profile, n_practices: int, seed: int) -> list[dict]:
    """Rows of practices.parquet, in practice-index order."""
    if not 1 <= n_practices <= MAX_PRACTICES:
        raise ValueError(f"n_practices must be between 1 and {MAX_PRACTICES}, got {n_practices}")
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed)))
    suppliers = assign_suppliers(n_practices, profile.supplier_shares, rng)
    n_ccg = max(min(n_practices, 2), round(n_practices / profile.practices_per_ccg))
    n_at = max(1, round(n_ccg / profile.ccgs_per_area_team))
    fake = Faker("en_GB")
    fake.seed_instance(seed)
    templates = rng.integers(0, len(_NAME_TEMPLATES), n_practices)
    per_letter: dict[str, int] = {}
    rows = []
    for i in range(n_practices):
        ccg = i * n_ccg // n_practices
        at = ccg * n_at // n_ccg
        letter = ODS_LETTERS[at % len(ODS_LETTERS)]
        k = per_letter.get(letter, 0)
        per_letter[letter] = k + 1
        name = _NAME_TEMPLATES[templates[i]].format(surname=fake.last_name(), town=fake.city(),
                                                    street=fake.street_name())
        rows.append({"practice_code": f"{letter}{81001 + k}", "name": name, "supplier": suppliers[i],
                     "ccg_code": ccg_code(ccg), "area_team": area_team_code(at), "postcode": fake.postcode()})
    return rows
