"""The default profile reproduces England 2012/13: registers, exception rate (and the means to it).

The engine's view (simulator/population/calibration.py): register prevalence = register at 31 March
over the list at 1 January; exception rate = exceptions / (denominator + exceptions), pooled over
the indicators whose rules can except anyone. Targets: every register within +-10 % (relative) of
the profile's figure; the pooled exception rate about England's 4.1 % (FACTS.md [S]).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from simulator.population import calibration
from simulator.population.clinical import Calendar, EventBlocks, _processes, _systematic
from simulator.population.generate import _practice_effects, generate_nation
from simulator.population.profile import ProcessSpec
from simulator.qof.catalogue import default_catalogue


@pytest.fixture(scope="module")
def nation60_check(profile, tmp_path_factory):
    """``qofsim generate --practices 60 --seed 1``: ~400,000 patients (about 10 s with the check)."""
    nation = generate_nation(profile, n_practices=60, seed=1, out_dir=tmp_path_factory.mktemp("n60"))
    return calibration.check(nation)


def test_a_60_practice_nation_reproduces_englands_registers_and_exception_rate(profile, nation60_check):
    """Every register within +-10 % of the profile, the pooled exception rate within 0.5 points of 4.1 %.

    Why 60 practices: chance alone moves a register of this nation by about +-2 % (large registers)
    to +-4 % (osteoporosis, palliative care: ~600-800 patients) — practices come in mirrored pairs
    and register sizes are drawn by systematic sampling — and the pooled exception rate by about
    +-0.15 points; a 200- or 600-practice run lands within ~3 % and at 4.05-4.1 %. So a breach of
    the band here is a calibration error, not bad luck: before the registers were solved for
    their date windows cancer came out ~-11 % and osteoporosis ~-18 % at any size, and before
    the exception tuning the pooled rate was ~3.1 %.
    """
    c = nation60_check
    assert c.practices == 60
    assert c.registers_off_target(profile) == {}, c.register_deviation(profile)
    rate = c.pooled_exception_rate(default_catalogue())
    assert abs(rate - calibration.NATIONAL_EXCEPTION_RATE) <= calibration.EXCEPTION_TOLERANCE, rate


def test_the_demo_nation_reproduces_englands_registers_and_exception_rate(profile, demo_nation):
    """The demo (12 practices, lists 2,000-12,000, seed 20130331) keeps every register within
    +-10 % too. Its smallest registers hold ~100 patients (OST, PC), so this is nearer the noise
    (about +-5 % there at this size); the exception rate, over ~110,000 patient-indicators but
    only 6 pairs of practices' exception habits, is allowed +-0.75 points."""
    c = calibration.check(demo_nation)
    assert c.registers_off_target(profile) == {}, c.register_deviation(profile)
    rate = c.pooled_exception_rate(default_catalogue())
    assert abs(rate - calibration.NATIONAL_EXCEPTION_RATE) <= 0.0075, rate


def test_exceptions_are_highest_where_2012_13_had_them(nation60_check):
    """Intermediate outcomes, treatments, mental health and depression except more than the
    routine processes (HSCIC: outcomes highest, processes lowest; gpcontract.co.uk: CHD10 and
    CKD blood pressure among the most excepted). HF04 is not among them: a beta-blocker not tolerated
    or contraindicated counts in its numerator (2012/13 wording)."""
    c = nation60_check
    rate = {i: c.exception_rate([i]) for i in c.indicators}
    for high in ("CHD10", "CKD03", "DM31", "AF07", "HF03", "DEP07", "MH10"):
        for low in ("BP04", "SMOKE05", "THYROI02", "DM02", "CS01"):
            assert rate[high] > rate[low] + 0.03, (high, rate[high], low, rate[low])
    assert rate["DEP01"] > 0.03  # depression screening is declined too (DEPEX for diabetes/CHD)


def test_print_check_flags_registers_and_shows_the_pooled_rate(profile, demo_nation):
    from rich.console import Console

    console = Console(record=True, width=200)
    calibration.print_check(console, demo_nation, profile)
    text = console.export_text()
    assert "pooled exception rate:" in text and "England 2012/13: 4.1%" in text
    assert "within ±10%" in text and "vs target" in text
    assert "every register within ±10% of the profile" in text


def test_registers_off_target_names_the_register_and_can_fail(profile):
    c = calibration.Check(practices=1, list_size=100_000, registers={"HYP": 13_700, "DM": 4_000, "OST": 170})
    off = c.registers_off_target(profile)
    assert set(off) >= {"DM", "OST"} and "HYP" not in off  # DM -17 %, OST +13 %; the rest are empty (-100 %)
    assert off["DM"] == pytest.approx(4_000 / 100_000 / 0.0483 - 1)


# ------------------------------------------------------------------ the means: less chance, same expectation


def test_systematic_sampling_keeps_each_patients_chance_and_fixes_the_count():
    rng = np.random.default_rng(5)
    p = rng.random(2_000) * 0.05
    counts, hits = [], np.zeros(len(p))
    for _ in range(4_000):
        chosen = _systematic(p, rng.random())
        counts.append(chosen.sum())
        hits += chosen
    assert set(counts) <= {int(np.floor(p.sum())), int(np.ceil(p.sum()))}
    # each patient is chosen with his own probability (pooled over deciles of p)
    order = np.argsort(p)
    for part in np.array_split(order, 10):
        assert hits[part].sum() / 4_000 == pytest.approx(p[part].sum(), rel=0.05)


def test_practices_come_in_mirrored_pairs_of_effects(profile):
    a, b, c = (_practice_effects(profile, 7, i) for i in (4, 5, 6))
    assert b.age_tilt == -a.age_tilt and b.risk == -a.risk and b.quality == -a.quality
    assert b.exception == -a.exception and all(b.condition[k] == -a.condition[k] for k in a.condition)
    assert c.age_tilt not in (a.age_tilt, -a.age_tilt)
    # each practice's effects still have the profile's spread
    tilts = np.array([_practice_effects(profile, 7, i).age_tilt for i in range(0, 4_000, 2)])
    assert tilts.std() == pytest.approx(profile.variation.age_tilt_sd, rel=0.08)


def test_an_unless_process_goes_only_to_patients_without_the_named_one(profile):
    cal = Calendar.of(profile)
    n = 20_000
    rng = np.random.default_rng(3)
    fx = _practice_effects(profile, 1, 0)
    drug = ProcessSpec("drug", ("BB_DRUG",), ("months", 6), 0.7, shift="none")
    exc = ProcessSpec(None, ("BBEX_COD",), ("months", 15), 0.5, shift="none", unless=("drug",))
    ev = EventBlocks()
    obs_end = np.full(n, cal.ach)
    _processes((drug, exc), ev, rng, cal, fx, np.ones(n, dtype=bool), None, None, np.full(n, 60.0),
               np.zeros(n, dtype=bool), obs_end)
    got = {cl: set(idx.tolist()) for cl, idx in zip(ev.cluster, ev.idx)}
    assert not got["BB_DRUG"] & got["BBEX_COD"]
    assert len(got["BBEX_COD"]) == pytest.approx(0.5 * (n - len(got["BB_DRUG"])), rel=0.05)
    assert dt.date(1970, 1, 1) + dt.timedelta(days=int(cal.ach)) == profile.achievement_date
