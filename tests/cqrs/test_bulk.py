"""The bulk calculation (simulator.cqrs.bulk) gives the per-indicator path's answers exactly.

The per-indicator path is the readable definition: points.score for each indicator, then
payments.practice_payment for each practice. The bulk path computes the same exact rationals
for a whole run with NumPy; these tests check it point for point (the 40-digit Decimal text of
every indicator, area and component) and penny for penny on random runs.
"""

from decimal import Decimal, localcontext
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulator.contracts import MAX_COUNT
from simulator.cqrs import bulk, payments
from simulator.cqrs.achievement import area_rows, registers_by_id, score_practice
from simulator.cqrs.longformat import DENOMINATOR, EXCEPTIONS, NUMERATOR, REGISTER
from simulator.qof.catalogue import default_catalogue

CAT = default_catalogue()
CODES = list(CAT.indicators)
GROUPS = ["CS", "CHS", "MAT", "CON"]


@st.composite
def indicator_fields(draw, code):
    d = CAT.indicators[code]
    if d.kind == "register":
        return {REGISTER: draw(st.integers(0, 5000))}
    den = draw(st.integers(0, 900))
    f = {NUMERATOR: draw(st.integers(0, den))}
    if draw(st.booleans()):  # yes/no rows read only the numerator; ratios need both
        f[DENOMINATOR] = den
    if draw(st.booleans()):
        f[EXCEPTIONS] = draw(st.integers(0, 40))
    return f


@st.composite
def practice(draw):
    codes = draw(st.lists(st.sampled_from(CODES), unique=True, max_size=len(CODES)))
    fields = {c: draw(indicator_fields(c)) for c in codes}
    if draw(st.booleans()):  # some inputs name an indicator with no usable field at all
        fields[draw(st.sampled_from(CODES))] = {}
    targets = draw(st.dictionaries(st.sampled_from(GROUPS), st.integers(0, 3000)))
    return draw(st.integers(0, 25000)), fields, targets


def slow(fields_list, sizes, targets, national=None, target_average=None, only_present=True):
    figures = [payments.PracticeFigures(f"P{i}", size, registers_by_id(CAT, f), t)
               for i, (f, size, t) in enumerate(zip(fields_list, sizes, targets))]
    if national is None:
        national = payments.national_prevalence_exact(figures, CAT.rules.registers)
    if target_average is None:
        target_average = payments.national_target_average(figures, GROUPS, CAT.parameters.cpi_divisor)
    out = []
    for f, fig in zip(fields_list, figures):
        scored = [s for s in score_practice(CAT, f) if s.ind_code in f or not only_present]
        out.append((scored, payments.practice_payment(CAT, fig, scored, national, target_average)))
    return out


def fast(fields_list, sizes, targets, national=None, target_average=None, only_present=True):
    counts = bulk.counts_from_fields(bulk.compile_catalogue(CAT), [f"P{i}" for i in range(len(sizes))], sizes,
                                     fields_list, targets, only_present=only_present)
    return bulk.calculate(CAT, counts, national, target_average)


def text(scored):
    return [(s.ind_code, s.status, str(s.points), str(s.achievement_pct), s.exact_points) for s in scored]


def assert_same(fields_list, sizes, targets, **kw):
    want = slow(fields_list, sizes, targets, **kw)
    got = fast(fields_list, sizes, targets, **kw)
    for i, (scored, pay) in enumerate(want):
        assert text(got.scored(i)) == text(scored)
        assert got.payment(i) == pay  # components (40-digit text), unrounded total and pence
        assert got.area_points(i) == area_rows(CAT, scored)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.lists(practice(), min_size=1, max_size=6))
def test_bulk_equals_per_indicator_path_on_random_runs(run):
    sizes, fields_list, targets = zip(*run)
    assert_same(list(fields_list), list(sizes), list(targets))


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.lists(practice(), min_size=1, max_size=4),
       st.dictionaries(st.sampled_from(["DM", "HYP", "CHD"]), st.decimals("0", "0.3", places=6)),
       st.dictionaries(st.sampled_from(GROUPS), st.integers(0, 2500).map(Decimal)))
def test_bulk_equals_per_indicator_path_with_fixed_national_figures(run, national, target_average):
    """National prevalence and NATP from the parameters file (Decimals), some of them zero or absent."""
    sizes, fields_list, targets = zip(*run)
    assert_same(list(fields_list), list(sizes), list(targets), national=national, target_average=target_average)


def test_a_national_average_target_population_of_zero_pays_nothing_on_both_paths():
    """Found by the test above: with NATP 0 for a group, the bulk path paid a practice that sent a target
    population of 1 as if NATP were 1 (£535.04 where the per-indicator path pays £0): W = TP / NATP has
    no value there, and both paths pay 0 for the component."""
    from simulator.cqrs.parameters import default_parameters

    params = default_parameters()
    code = next(c for c, d in CAT.indicators.items() if d.kind != "register"
                and payments.component_rule(d, params).group == "CON")
    fields = [{code: {NUMERATOR: 1, DENOMINATOR: 1}}]
    assert_same(fields, [0], [{"CON": 1}], national={}, target_average={"CON": Decimal(0)})
    assert fast(fields, [0], [{"CON": 1}], national={}, target_average={"CON": Decimal(0)}).payment(0).total_gbp == 0


def test_full_catalogue_run_matches_and_every_indicator_is_reported():
    """The CQRS case: every practice carries every indicator (only_present=False)."""
    import random

    rng = random.Random(7)
    fields_list, sizes = [], []
    for _ in range(25):
        f = {}
        for code, d in CAT.indicators.items():
            den = rng.randint(0, 300)
            f[code] = {REGISTER: rng.randint(0, 400)} if d.kind == "register" else \
                {NUMERATOR: rng.randint(0, den), DENOMINATOR: den, EXCEPTIONS: rng.randint(0, 3)}
        fields_list.append(f)
        sizes.append(rng.randint(0, 15000))
    targets = [{} for _ in sizes]
    assert_same(fields_list, sizes, targets, only_present=False)
    assert len(fast(fields_list, sizes, targets, only_present=False).scored(0)) == len(CAT.indicators)


def test_huge_counts_move_to_python_integers_and_stay_exact():
    """Counts near 1e15 would overflow int64 products: the bulk path switches to Python ints."""
    f = {"SMOKE07": {NUMERATOR: 10 ** 15, DENOMINATOR: 2 * 10 ** 15 - 1, EXCEPTIONS: 0}, "DM32": {REGISTER: 10 ** 12}}
    assert_same([f], [10 ** 9], [{}])
    got = fast([f], [10 ** 9], [{}]).scored(0)
    # SMOKE07 11 points, 50-90 %: 100 x 1e15 / (2e15 - 1) is a hair above 50 %
    assert next(s for s in got if s.ind_code == "SMOKE07").exact_points == Fraction(11) * (
        Fraction(100 * 10 ** 15, 2 * 10 ** 15 - 1) - 50) / 40


def every_indicator(numerator, denominator, exceptions, register):
    return {code: {REGISTER: register} if d.kind == "register" else
            {NUMERATOR: numerator, DENOMINATOR: denominator, EXCEPTIONS: exceptions}
            for code, d in CAT.indicators.items()}


def test_run_totals_past_int64_stay_exact():
    """Issue #12: every count at 2**63-1 (beyond any contract, straight into the calculation).
    The run's totals (list, registers, target populations) pass 2**63: they are summed as Python
    ints, so national prevalence and NATP are exact and every practice's points and pence equal
    the per-practice path's (an int64 sum wrapped and paid -£46 quintillion)."""
    top = 2 ** 63 - 1
    fields_list = [every_indicator(top, top, top, top), every_indicator(30, 40, 1, 300)]
    sizes, targets = [top, 6000], [{"CS": top}, {"CS": 1800}]
    assert_same(fields_list, sizes, targets, only_present=False)
    got = fast(fields_list, sizes, targets, only_present=False)
    assert got.national["DM"] == Fraction(top + 300, top + 6000)
    assert got.target_average["CS"] == Fraction(CAT.parameters.cpi_divisor) * Fraction(top + 1800, top + 6000)
    assert all(t > 0 for t in got.total_gbp)


def near(bound: int):
    """Counts at, or within a million of, ``bound``; now and then anything from 0."""
    return st.one_of(st.integers(max(bound - 10 ** 6, 0), bound), st.integers(0, bound))


@st.composite
def practice_at_the_bound(draw):
    """A practice whose counts sit at the contract's limits: list_size near MAX_COUNT, registers and
    target populations up to it, indicator counts up to MAX_COUNT (indicators are not bounded by the list)."""
    size = draw(near(MAX_COUNT))
    fields = {}
    for code in draw(st.lists(st.sampled_from(CODES), unique=True, min_size=1, max_size=len(CODES))):
        if CAT.indicators[code].kind == "register":
            fields[code] = {REGISTER: draw(near(size))}
        else:
            den = draw(near(MAX_COUNT))
            fields[code] = {NUMERATOR: draw(st.integers(0, den)), DENOMINATOR: den, EXCEPTIONS: draw(near(MAX_COUNT))}
    return size, fields, draw(st.dictionaries(st.sampled_from(GROUPS), near(size)))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.lists(st.one_of(practice_at_the_bound(), practice()), min_size=1, max_size=5), st.booleans())
def test_bulk_equals_per_indicator_path_at_the_contracts_bounds(run, only_present):
    """Counts near MAX_COUNT, alone or beside ordinary practices: point for point, penny for penny."""
    sizes, fields_list, targets = zip(*run)
    assert_same(list(fields_list), list(sizes), list(targets), only_present=only_present)


def test_settle_total_decides_a_half_penny_from_the_exact_value():
    """Exact total £1.005 = 1/3 + 1/3 + 203/600. The three 40-digit components add up to
    1.00499999…, which would round to £1.00; the exact value rounds half up to £1.01."""
    parts = [Fraction(1, 3), Fraction(1, 3), Fraction(203, 600)]
    with localcontext() as ctx:
        ctx.prec = 40
        decimals = [Decimal(p.numerator) / Decimal(p.denominator) for p in parts]
        ctx.prec = 80
        naive = sum(decimals, Decimal(0))
    assert str(naive) == "1.0049999999999999999999999999999999999999"
    assert payments.settle(naive) == Decimal("1.00")  # what rounding the 40-digit sum would pay
    assert payments._settle_total(decimals, lambda: sum(parts, Fraction(0))) == Decimal("1.01")
    assert payments.settle(sum(parts, Fraction(0))) == Decimal("1.01")


@pytest.mark.parametrize("amount, pence", [(Fraction(1005, 1000), "1.01"), (Fraction(-1005, 1000), "-1.01"),
                                           (Fraction(1, 3), "0.33"), (Fraction(2, 3), "0.67"), (Fraction(0), "0.00")])
def test_settle_of_an_exact_amount_is_half_up_to_pence(amount, pence):
    assert payments.settle(amount) == Decimal(pence)
    assert str(payments.settle(amount)) == pence
