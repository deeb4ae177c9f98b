"""The scenario's oracle: true, false, or a seeded sample of practices re-counted by the reference engine."""

import pytest

from simulator.run import oracle_sample
from simulator.scenario import ScenarioError, parse_scenario


def scenario(oracle, practices=100):
    return parse_scenario({"population": {"practices": practices, "seed": 5}, "oracle": oracle}, source="s.yaml")


def test_true_and_false_keep_their_meaning():
    assert (scenario(True).oracle, scenario(True).oracle_sample) == (True, None)
    assert scenario(False).oracle is False
    assert parse_scenario({}).oracle is True  # the default: every practice


def test_a_sample_names_its_size_and_seed():
    s = scenario({"sample": 40, "seed": 1})
    assert (s.oracle, s.oracle_sample, s.oracle_seed) == (True, 40, 1)
    assert scenario({"sample": 40}).oracle_seed == 5  # the population's seed when none is given


@pytest.mark.parametrize("oracle,field,reason", [
    ("yes", "oracle", "true, false or {sample: N, seed: S}"),
    (1, "oracle", "true, false or"),
    ({"seed": 1}, "oracle.sample", "how many practices"),
    ({"sample": 0}, "oracle.sample", ">= 1"),
    ({"sample": True}, "oracle.sample", ">= 1"),
    ({"sample": 2.5}, "oracle.sample", ">= 1"),
    ({"sample": 101}, "oracle.sample", "more than the population's 100 practices"),
    ({"sample": 4, "seed": -1}, "oracle.seed", ">= 0"),
    ({"sample": 4, "seed": "one"}, "oracle.seed", ">= 0"),
    ({"sample": 4, "size": 2}, "oracle.size", "unknown field"),
])
def test_a_bad_oracle_is_refused_naming_the_field(oracle, field, reason):
    with pytest.raises(ScenarioError) as e:
        scenario(oracle)
    assert str(e.value).startswith(f"s.yaml: {field}: ")
    assert reason in str(e.value)


CODES = [f"A{n:05d}" for n in range(81000, 89000)]


def test_the_sample_has_the_stated_size_and_is_the_same_for_the_same_seed():
    a = oracle_sample(CODES, 40, 1)
    assert len(a) == len(set(a)) == 40 and set(a) <= set(CODES)
    assert a == sorted(a)
    assert oracle_sample(list(reversed(CODES)), 40, 1) == a  # the order practices arrive in does not matter
    assert oracle_sample(CODES, 40, 2) != a
    assert oracle_sample(CODES, 41, 1) != a


def test_no_sample_or_one_as_large_as_the_nation_is_every_practice():
    assert oracle_sample(CODES[:12], None, 1) == CODES[:12]
    assert oracle_sample(CODES[:12], 12, 1) == CODES[:12]
    assert oracle_sample(CODES[:12], 50, 1) == CODES[:12]  # a world with fewer practices than the scenario's
