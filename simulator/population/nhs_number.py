"""NHS numbers: the Modulus 11 check digit and deterministic allocation from the 999 test range.

An NHS number is ten digits; the tenth is a check digit over the first nine:
multiply them by the weights 10, 9, ..., 2, sum, take ``11 - (sum mod 11)``; 11 becomes 0 and
10 means the nine digits can carry no valid number (skip them). Numbers beginning 999 are
reserved for testing and are never issued to a person, so qofsim uses only those.

The 999 range has 10**6 nine-digit stems, of which 909,091 give a valid number. A run hands
them out in a fixed shuffled order (seeded, the same in every run), indexed by the patient's ordinal
across the nation (practice 0's patients first), so every number is unique while a run has at
most :data:`CAPACITY` patients. Beyond that the shuffle wraps round: the patient with
ordinal ``k`` shares a number with ordinal ``k - CAPACITY``. That is documented and harmless
here: no NHS number ever leaves a supplier (the extract carries counts only), and
``patient_id`` — not the NHS number — is the key every engine uses.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pyarrow as pa

WEIGHTS = np.arange(10, 1, -1, dtype=np.int64)  # 10..2 over the first nine digits
TEST_PREFIX = 999


def check_digit(first_nine: str) -> int | None:
    """The Modulus 11 check digit for nine digits, or None if no valid number has them."""
    if len(first_nine) != 9 or not first_nine.isdigit():
        raise ValueError(f"need exactly nine digits, got {first_nine!r}")
    total = sum(int(d) * w for d, w in zip(first_nine, range(10, 1, -1)))
    check = 11 - total % 11
    if check == 11:
        return 0
    if check == 10:
        return None
    return check


def is_valid(number: str) -> bool:
    """True if ``number`` is ten digits whose last is the Modulus 11 check digit of the rest."""
    number = number.replace(" ", "")
    if len(number) != 10 or not number.isdigit():
        return False
    return check_digit(number[:9]) == int(number[9])


def check_digits(stems: np.ndarray) -> np.ndarray:
    """Vectorised check digits for nine-digit stems (int64); -1 where none is valid."""
    stems = np.asarray(stems, dtype=np.int64)
    total = np.zeros(len(stems), dtype=np.int64)
    for place, weight in zip(range(8, -1, -1), WEIGHTS):  # digit by digit: no (n, 9) matrix
        total += (stems // 10**place % 10) * weight
    check = 11 - total % 11
    check = np.where(check == 11, 0, check)
    return np.where(check == 10, -1, check)


@lru_cache(maxsize=1)
def test_range() -> np.ndarray:
    """Every valid NHS number beginning 999, ascending, as int64 (909,091 of them)."""
    stems = np.arange(TEST_PREFIX * 10**6, (TEST_PREFIX + 1) * 10**6, dtype=np.int64)
    check = check_digits(stems)
    ok = check >= 0
    return stems[ok] * 10 + check[ok]


@lru_cache(maxsize=1)
def _test_range_strings() -> pa.Array:
    return pa.array(test_range()).cast(pa.string())


CAPACITY = 909_091  # len(test_range()); checked by the tests
_SHUFFLE_SEED = 999_2013  # fixed: the same ordinal gets the same number in every run


@lru_cache(maxsize=1)
def _shuffle() -> pa.Array:
    order = np.random.Generator(np.random.PCG64(_SHUFFLE_SEED)).permutation(CAPACITY)
    return pa.array(order)


def allocate(ordinals: np.ndarray) -> pa.Array:
    """NHS numbers (Arrow strings) for nation-wide patient ordinals (0, 1, 2, ...).

    Ordinal k gets the k-th number of a fixed shuffle of the 999 range: unique for ordinals below
    :data:`CAPACITY`, repeating beyond (see the module doc).
    """
    k = pa.array(np.asarray(ordinals, dtype=np.int64) % CAPACITY)
    return _test_range_strings().take(_shuffle().take(k))
