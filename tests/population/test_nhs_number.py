"""NHS numbers: Modulus 11 on known examples, the 999 test range, allocation in a run."""

from __future__ import annotations

import numpy as np
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from simulator.population import nhs_number
from simulator.population.schema import SUPPLIERS


def test_a_real_format_number_is_valid():
    # 9434765919: 9*10 + 4*9 + 3*8 + 4*7 + 7*6 + 6*5 + 5*4 + 9*3 + 1*2 = 299; 299 mod 11 = 2; 11 - 2 = 9
    assert nhs_number.check_digit("943476591") == 9
    assert nhs_number.is_valid("9434765919")
    assert nhs_number.is_valid("943 476 5919")


@pytest.mark.parametrize("number", ["9434765918", "9434765910", "4934765919", "943476591", "94347659190", "94347659x9"])
def test_a_wrong_digit_or_shape_is_invalid(number):
    assert not nhs_number.is_valid(number)


@pytest.mark.parametrize("stem,check", [
    ("999000001", 8),   # 9*10 + 9*9 + 9*8 + 1*2 = 245; 245 mod 11 = 3; 11 - 3 = 8
    ("999000002", 6),   # 247 mod 11 = 5 -> 6
    ("999000005", 0),   # 253 mod 11 = 0 -> 11 -> 0
    ("999000000", None),  # 243 mod 11 = 1 -> 10: no valid number has these nine digits
])
def test_999_examples_worked_by_hand(stem, check):
    assert nhs_number.check_digit(stem) == check
    if check is not None:
        assert nhs_number.is_valid(stem + str(check))
    else:
        assert not any(nhs_number.is_valid(stem + str(d)) for d in range(10))


def test_vectorised_check_digits_agree_with_the_scalar_rule():
    stems = np.arange(999_000_000, 999_003_000, dtype=np.int64)
    fast = nhs_number.check_digits(stems)
    slow = [nhs_number.check_digit(str(s)) for s in stems]
    assert [None if c < 0 else int(c) for c in fast] == slow


def test_the_999_range_holds_909091_valid_numbers():
    r = nhs_number.test_range()
    assert len(r) == nhs_number.CAPACITY == 909_091
    assert np.all(np.diff(r) > 0)
    assert np.all(r // 10**7 == 999)
    sample = r[:: 997]
    assert all(nhs_number.is_valid(str(x)) for x in sample)


def test_allocation_is_unique_up_to_capacity_then_wraps():
    numbers = nhs_number.allocate(np.arange(nhs_number.CAPACITY))
    assert pc.count_distinct(numbers).as_py() == nhs_number.CAPACITY
    again = nhs_number.allocate(np.arange(nhs_number.CAPACITY, nhs_number.CAPACITY + 10))
    assert again.to_pylist() == numbers[:10].to_pylist()


def test_consecutive_patients_get_scattered_numbers():
    first = [int(x) for x in nhs_number.allocate(np.arange(100)).to_pylist()]
    steps = {b - a for a, b in zip(first, first[1:])}
    assert len(steps) > 90  # no fixed stride


def test_every_generated_number_is_valid_999_and_unique(demo_nation):
    seen = []
    for s in SUPPLIERS:
        numbers = pq.read_table(demo_nation.patients_path(s), columns=["nhs_number"]).column("nhs_number")
        assert numbers.null_count == 0
        seen += numbers.to_pylist()
    assert len(seen) == demo_nation.n_patients
    assert len(set(seen)) == len(seen)
    assert all(n.startswith("999") for n in seen)
    assert all(nhs_number.is_valid(n) for n in seen)
