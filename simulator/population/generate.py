"""The synthetic nation: practices, their registered patients and coded events, as Parquet.

``generate_nation`` writes, under ``out_dir``::

    practices.parquet                      every practice (schema.PRACTICES)
    suppliers/<supplier>/patients.parquet  that supplier's practices' patients only (schema.PATIENTS)
    suppliers/<supplier>/events.parquet    that supplier's practices' events only (schema.EVENTS)
    manifest.json                          seed, profile, and per practice its list size and row counts

It streams: each practice is generated alone and written as one row group of its supplier's
files, so memory holds one practice at a time. Output is deterministic — the same profile, seed
and practice count give byte-identical files — and each practice draws from its own random
streams, derived from the run seed and its index (``SeedSequence(seed, spawn_key=(index, k))``),
so ``generate_practice`` rebuilds any one practice alone.

Per practice, with L its list size at 1 January (drawn from the profile, clamped if asked):

- L patients are on the list on 1 January; some of them joined during April-December 2012,
  some leave or die between 2 January and 31 March 2013 (``registered_to``, ``died_on``);
- some patients join between 2 January and 31 March (so they are registered at 31 March but
  not on the 1 January list, and fall in the rules' 3- and 9-month registration windows);
- some left or died during April-December 2012 (on neither list: supplier records keep them).

Dates of birth follow the profile's age/sex structure (tilted per practice), movers are younger
and the dead older. Clinical events are drawn by :mod:`simulator.population.clinical`.
"""

from __future__ import annotations

import json
import math
import multiprocessing as mp
import os
import queue
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from statistics import NormalDist
from typing import Callable

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from simulator.population import faults as record_faults
from simulator.population import nhs_number, schema
from simulator.population.clinical import YEAR, Calendar, CodeBook, PracticeEffects, clinical_events
from simulator.population.practices import MAX_PRACTICES, build_practices
from simulator.population.profile import Profile, ProfileError, check_list_size_range

PATIENTS_PER_PRACTICE_ID = 10**7  # patient_id = practice index * 10**7 + row
STREAM_SIZE, STREAM_PEOPLE = 0, 1  # spawn_key (index, stream) of a practice's random streams
STREAM_EFFECTS = 2  # spawn_key (pair, stream) of a pair of practices' random effects (see _practice_effects)
_SEX = pa.array(["F", "M"])
NO_DATE = -(2**40)  # day number standing for "no date" (null) in the arrays below


# ------------------------------------------------------------------ the nation


@dataclass
class Nation:
    out_dir: Path
    practices: list[dict]
    n_patients: int
    n_events: int = 0
    seed: int = 0
    profile: str = ""
    list_sizes: dict[str, int] = field(default_factory=dict)  # practice code -> list size at 1 January

    @property
    def practices_path(self) -> Path:
        return self.out_dir / "practices.parquet"

    @property
    def manifest_path(self) -> Path:
        return self.out_dir / "manifest.json"

    def patients_path(self, supplier: str) -> Path:
        return _supplier_dir(self.out_dir, supplier) / "patients.parquet"

    def events_path(self, supplier: str) -> Path:
        return _supplier_dir(self.out_dir, supplier) / "events.parquet"

    def practices_of(self, supplier: str) -> list[dict]:
        return [p for p in self.practices if p["supplier"] == supplier]


def _supplier_dir(out_dir: Path, supplier: str) -> Path:
    if supplier not in schema.SUPPLIERS:
        raise ValueError(f"unknown supplier {supplier!r} (known: {', '.join(schema.SUPPLIERS)})")
    return Path(out_dir) / "suppliers" / supplier


def _rng(seed: int, index: int, stream: int) -> np.random.Generator:
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(index, stream))))


# ------------------------------------------------------------------ sizes


@dataclass(frozen=True)
class PracticeSize:
    list_size: int        # on the list at 1 January
    joined_after: int     # joined 2 January - 31 March
    moved_before: int     # left April - December
    died_before: int      # died April - December

    @property
    def rows(self) -> int:
        return self.list_size + self.joined_after + self.moved_before + self.died_before


def _effective_range(profile: Profile, list_size_range) -> tuple[int, int]:
    rng_ = check_list_size_range(list_size_range) if list_size_range is not None else profile.list_size_range
    lo, hi = profile.list_size.min, profile.list_size.max
    if rng_ is not None:
        lo, hi = rng_
    return lo, hi


def practice_size(profile: Profile, practice_index: int, seed: int, list_size_range=None) -> PracticeSize:
    """The practice's list size and patient-group counts (its own small stream: cheap to recompute)."""
    lo, hi = _effective_range(profile, list_size_range)
    rng = _rng(seed, practice_index, STREAM_SIZE)
    u = rng.random()
    ls = profile.list_size
    if ls.log_sd == 0:
        size = ls.median
    else:
        nd = NormalDist(math.log(ls.median), ls.log_sd)
        a, b = nd.cdf(math.log(lo)), nd.cdf(math.log(hi + 0.5))
        p = a + u * (b - a)
        size = math.exp(nd.inv_cdf(min(max(p, 1e-12), 1 - 1e-12)))
    size = int(min(max(round(size), lo), hi))
    death_rate = float(np.sum(profile.age_weights * profile.mortality(np.arange(len(profile.age_weights)))))
    return PracticeSize(size, int(rng.binomial(size, profile.joiners_per_year * 0.25)),
                        int(rng.binomial(size, profile.leavers_per_year * 0.75)),
                        int(rng.binomial(size, death_rate * 0.75)))


def first_ordinal(profile: Profile, practice_index: int, seed: int, list_size_range=None) -> int:
    """Nation-wide ordinal of the practice's first patient (patients of practices 0..index-1 come first)."""
    return sum(practice_size(profile, j, seed, list_size_range).rows for j in range(practice_index))


# ------------------------------------------------------------------ one practice


def _ages(rng: np.random.Generator, weights: np.ndarray, n: int) -> np.ndarray:
    cum = np.cumsum(weights)
    cum /= cum[-1]
    return np.minimum(np.searchsorted(cum, rng.random(n), side="right"), len(weights) - 1)


def _dob(rng: np.random.Generator, age: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """Born before ``ref`` and aged ``age`` whole years on it."""
    return ref - 1 - np.floor((age + rng.random(len(age))) * YEAR).astype(np.int64)


def _uniform_days(rng: np.random.Generator, first: int, last: int, n: int) -> np.ndarray:
    return first + np.floor(rng.random(n) * (last - first + 1)).astype(np.int64)


def _long_registered(rng, profile: Profile, cal: Calendar, dob: np.ndarray) -> np.ndarray:
    """Registration dates of established patients: some years before the QOF year, never before birth."""
    n = len(dob)
    rf = cal.ref - 1 - np.floor(rng.exponential(profile.years_registered_mean, n) * YEAR).astype(np.int64)
    return np.maximum(rf, dob + np.floor(rng.random(n) * 14).astype(np.int64))


def _people(profile: Profile, cal: Calendar, size: PracticeSize, rng: np.random.Generator, tilt: float):
    """Dates of birth, sex and registration of the practice's patients (before shuffling)."""
    ages = np.arange(len(profile.age_weights))
    # a linear tilt about the mean age: older or younger practices, the nation's mix on average
    mean_age = float(np.sum(profile.age_weights * ages))
    w = profile.age_weights * np.maximum(1.0 + tilt * (ages - mean_age) / 20.0, 0.05)
    w_move = w * profile.mobility
    w_die = w * profile.mortality(ages)

    # on the list at 1 January
    L = size.list_size
    age = _ages(rng, w, L)
    dob = _dob(rng, age, np.full(L, cal.lsd))
    mob = profile.mobility[age]
    joined = rng.random(L) < profile.joiners_per_year * 0.75 * mob
    rf = np.where(joined, _uniform_days(rng, cal.ref, cal.lsd, L), _long_registered(rng, profile, cal, dob))
    rf = np.minimum(np.maximum(rf, dob), cal.lsd)
    leaves = rng.random(L) < profile.leavers_per_year * 0.25 * mob
    dies = rng.random(L) < profile.mortality(age) * 0.25
    out_day = _uniform_days(rng, cal.lsd + 1, cal.ach, L)
    rto = np.where(leaves | dies, out_day, NO_DATE)
    died = np.where(dies, out_day, NO_DATE)
    groups = [(age, dob, rf, rto, died)]

    # joined 2 January - 31 March
    J = size.joined_after
    age = _ages(rng, w_move, J)
    rf = _uniform_days(rng, cal.lsd + 1, cal.ach, J)
    dob = _dob(rng, age, rf)
    groups.append((age, dob, rf, np.full(J, NO_DATE), np.full(J, NO_DATE)))

    # left, or died, during April - December
    for count, weights, dead in ((size.moved_before, w_move, False), (size.died_before, w_die, True)):
        age = _ages(rng, weights, count)
        rto = _uniform_days(rng, cal.ref + 1, cal.lsd, count)
        dob = _dob(rng, age, rto)
        rf = np.minimum(_long_registered(rng, profile, cal, dob), rto - 1)
        groups.append((age, dob, rf, rto, rto if dead else np.full(count, NO_DATE)))

    age, dob, rf, rto, died = (np.concatenate(parts) for parts in zip(*groups))
    male = rng.random(len(age)) < profile.male_share[age]
    return dob, male, rf, rto, died


def _dates(days: np.ndarray) -> pa.Array:
    """Day numbers as date32; NO_DATE becomes null."""
    days = np.asarray(days, dtype=np.int64)
    missing = days == NO_DATE
    return pa.array(np.where(missing, 0, days).astype(np.int32), mask=missing).cast(pa.date32())


def _practice_effects(profile: Profile, seed: int, practice_index: int) -> PracticeEffects:
    """The practice's random effects, in mirrored pairs: practices 2k and 2k+1 draw the same normals
    (their own stream, ``SeedSequence(seed, spawn_key=(k, STREAM_EFFECTS))``) and the odd one takes
    them with the opposite sign. Each practice's effects are still normal with the profile's spread,
    so the spread between practices is unchanged; but a pair's age tilts, risks, quality and
    exception reporting cancel, so a small nation (the demo's 12 practices) averages close to the
    profile instead of wandering ~10 % with the luck of a few practices' effects."""
    rng = _rng(seed, practice_index // 2, STREAM_EFFECTS)
    sign = -1.0 if practice_index % 2 else 1.0
    v = profile.variation
    tilt = sign * float(rng.normal(0, v.age_tilt_sd))
    risk = sign * float(rng.normal(0, v.risk_sd))
    cond = {cid: sign * float(rng.normal(0, c.condition_sd)) for cid, c in profile.conditions.items()}
    return PracticeEffects(tilt, risk, cond, sign * float(rng.normal(0, v.quality_sd)),
                           sign * float(rng.normal(0, v.exception_sd)))


def generate_practice(profile: Profile, practice_row: dict, practice_index: int, seed: int, *,
                      list_size_range: tuple[int, int] | None = None,
                      nhs_offset: int | None = None,
                      faults: tuple[record_faults.RecordFault, ...] = ()) -> tuple[pa.Table, pa.Table]:
    """One practice's (patients, events) tables, exactly the rows ``generate_nation`` writes for it.

    ``seed`` is the run seed; ``list_size_range`` must be the one the run used (default: the
    profile's clamp). ``nhs_offset`` (the nation-wide ordinal of its first patient) is worked
    out from the earlier practices' sizes when not given.
    """
    if not 0 <= practice_index < min(MAX_PRACTICES, 2**31):
        raise ValueError(f"practice_index out of range: {practice_index}")
    supplier = practice_row["supplier"]
    if supplier not in schema.CODE_SYSTEM:
        raise ValueError(f"practice {practice_row.get('practice_code')}: unknown supplier {supplier!r}")
    system = schema.CODE_SYSTEM[supplier]
    code = practice_row["practice_code"]
    cal = Calendar.of(profile)
    size = practice_size(profile, practice_index, seed, list_size_range)
    if nhs_offset is None:
        nhs_offset = first_ordinal(profile, practice_index, seed, list_size_range)
    rng = _rng(seed, practice_index, STREAM_PEOPLE)
    fx = _practice_effects(profile, seed, practice_index)

    dob, male, rf, rto, died = _people(profile, cal, size, rng, fx.age_tilt)
    order = rng.permutation(len(dob))
    dob, male, rf, rto, died = dob[order], male[order], rf[order], rto[order], died[order]
    n = len(dob)
    obs_end = np.where(rto != NO_DATE, np.minimum(rto - 1, cal.ach), cal.ach)
    patient_id = practice_index * PATIENTS_PER_PRACTICE_ID + np.arange(n, dtype=np.int64)

    patients = pa.table([
        pa.array(patient_id),
        pa.repeat(pa.scalar(code), n),
        nhs_number.allocate(nhs_offset + np.arange(n, dtype=np.int64)),
        _SEX.take(pa.array(male.astype(np.int8))),
        _dates(dob), _dates(rf), _dates(rto), _dates(died),
    ], schema=schema.PATIENTS)

    blocks = clinical_events(profile, cal, rng, fx, dob, male, obs_end)
    events = _events_table(profile, system, code, rng, blocks, patient_id, dob, obs_end)
    mine = [f for f in faults if f.practice == code]
    if mine:
        from simulator.qof.catalogue import default_catalogue

        cat = default_catalogue()
        events = record_faults.apply(events, mine, _rng(seed, practice_index, record_faults.STREAM_FAULTS),
                                     cal.ach_date, cat.rules, cat.clusters)
    return patients, events


@lru_cache(maxsize=8)
def _codebook(profile: Profile, system: str) -> CodeBook:
    return CodeBook(profile, system)  # Profile hashes by identity


def _events_table(profile, system, code, rng, blocks, patient_id, dob, obs_end) -> pa.Table:
    book = _codebook(profile, system)
    if blocks.idx:
        idx = np.concatenate(blocks.idx)
        day = np.concatenate(blocks.date)
        lens = [len(i) for i in blocks.idx]
        value = np.concatenate([v if v is not None else np.full(k, np.nan) for v, k in zip(blocks.value, lens)])
        value2 = np.concatenate([v if v is not None else np.full(k, np.nan) for v, k in zip(blocks.value2, lens)])
        u = rng.random(len(idx))  # one uniform per event picks its code, whatever the code system
        starts = np.cumsum([0] + lens)
        code_ids = np.concatenate([book.pick(cl, u[a:b]) for cl, a, b in zip(blocks.cluster, starts[:-1], starts[1:])])
    else:
        idx = day = np.zeros(0, dtype=np.int64)
        value = value2 = np.zeros(0)
        code_ids = np.zeros(0, dtype=np.int32)
    keep = (day >= dob[idx]) & (day <= obs_end[idx])
    idx, day, value, value2, code_ids = idx[keep], day[keep], value[keep], value2[keep], code_ids[keep]
    order = np.lexsort((value2, value, code_ids, day, idx))
    idx, day, value, value2, code_ids = idx[order], day[order], value[order], value2[order], code_ids[order]
    m = len(idx)
    return pa.table([
        pa.array(patient_id[idx]),
        pa.repeat(pa.scalar(code), m),
        pa.repeat(pa.scalar(system), m),
        pa.array(book.codes, type=pa.string()).take(pa.array(code_ids)),
        _dates(day),
        pa.array(value, from_pandas=True, type=pa.float64()),
        pa.array(value2, from_pandas=True, type=pa.float64()),
    ], schema=schema.EVENTS)


# ------------------------------------------------------------------ the whole nation


def _supplier_bins(practices: list[dict], sizes: list[PracticeSize], workers: int) -> list[list[str]]:
    """The suppliers split between ``workers`` processes, each writing its suppliers' files: the
    largest first, each to the least loaded (by patients). One bin: written here."""
    load = {s: 0 for s in schema.SUPPLIERS}
    for row, z in zip(practices, sizes):
        load[row["supplier"]] += z.rows
    bins: list[list[str]] = [[] for _ in range(max(1, min(workers, sum(1 for v in load.values() if v))))]
    totals = [0] * len(bins)
    for s in sorted(load, key=lambda s: -load[s]):
        k = totals.index(min(totals))
        bins[k].append(s)
        totals[k] += load[s]
    return bins


def _write_suppliers(job: tuple, suppliers: list[str], progress: Callable[[int], None] | None = None) -> list[dict]:
    """Generate and write every practice of ``suppliers`` to their ``.partial`` files, in nation
    order: each practice one row group (its own random streams and NHS numbers from ``offsets``,
    so the files are the same whoever writes them). Returns each practice's row counts."""
    profile, practices, seed, list_size_range, faults, offsets, out_dir = job
    writers: dict[str, tuple[pq.ParquetWriter, pq.ParquetWriter]] = {}
    partial: list[Path] = []
    per_practice = []
    try:
        for s in suppliers:
            d = _supplier_dir(Path(out_dir), s)
            d.mkdir(parents=True, exist_ok=True)
            tp, te = d / "patients.parquet.partial", d / "events.parquet.partial"
            partial += [tp, te]
            writers[s] = (pq.ParquetWriter(tp, schema.PATIENTS), pq.ParquetWriter(te, schema.EVENTS))
        for i, row in enumerate(practices):
            if row["supplier"] not in writers:
                continue
            patients, events = generate_practice(profile, row, i, seed, list_size_range=list_size_range,
                                                 nhs_offset=offsets[i], faults=faults)
            wp, we = writers[row["supplier"]]
            wp.write_table(patients, row_group_size=max(patients.num_rows, 1))
            if events.num_rows:
                we.write_table(events, row_group_size=events.num_rows)
            per_practice.append({"index": i, "practice_code": row["practice_code"], "supplier": row["supplier"],
                                 "list_size": practice_size(profile, i, seed, list_size_range).list_size,
                                 "patients": patients.num_rows, "events": events.num_rows})
            if progress is not None:
                progress(len(per_practice))
    except BaseException:
        for wp, we in writers.values():
            wp.close()
            we.close()
        for tmp in partial:
            tmp.unlink(missing_ok=True)
        raise
    for wp, we in writers.values():
        wp.close()
        we.close()
    return per_practice


def _worker(job: tuple, suppliers: list[str], q) -> None:
    try:
        q.put(("done", _write_suppliers(job, suppliers, progress=lambda n: q.put(("progress", 1)))))
    except BaseException as exc:  # reported to the parent, which raises it
        q.put(("failed", f"{type(exc).__name__}: {exc}"))


def _write_in_processes(job: tuple, bins: list[list[str]], progress, total: int) -> list[dict]:
    """Each bin of suppliers written by a process of its own (no table crosses a process: each
    writes its own suppliers' files); progress as practices are written."""
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    procs = [ctx.Process(target=_worker, args=(job, b, q), daemon=True) for b in bins]
    for p in procs:
        p.start()
    per_practice: list[dict] = []
    done, finished, failure = 0, 0, None
    try:
        while finished < len(procs):
            try:
                kind, value = q.get(timeout=1.0)
            except queue.Empty:
                if any(p.exitcode not in (None, 0) for p in procs):
                    failure = failure or "a generating process died"
                    break
                continue
            if kind == "progress":
                done += value
                if progress is not None:
                    progress(done, total)
            else:
                finished += 1
                if kind == "done":
                    per_practice += value
                else:
                    failure = failure or value
    finally:
        for p in procs:
            if failure is not None and p.is_alive():
                p.terminate()
            p.join()
    if failure is not None:
        for s in schema.SUPPLIERS:
            d = _supplier_dir(Path(job[-1]), s)
            for name in ("patients.parquet.partial", "events.parquet.partial"):
                (d / name).unlink(missing_ok=True)
        raise RuntimeError(f"generating the nation failed: {failure}")
    return per_practice


def generate_nation(profile: Profile, n_practices: int, seed: int, out_dir: Path | str,
                    progress: Callable[[int, int], None] | None = None,
                    list_size_range: tuple[int, int] | None = None,
                    faults: tuple[record_faults.RecordFault, ...] = (), workers: int = 1) -> Nation:
    """Write the nation under ``out_dir`` (see the module doc) and describe it.

    ``list_size_range`` clamps list sizes (default: the profile's ``list_size.clamp``, else its
    min/max). ``progress(done, total)`` is called after each practice. ``faults``: record faults
    per practice (:mod:`simulator.population.faults`); a fault naming no practice of the nation is refused.
    ``workers``: processes writing the suppliers' files side by side (the suppliers split between
    them; the files are the same byte for byte whatever the number).
    """
    if not isinstance(profile, Profile):
        raise TypeError("profile must be a Profile (use load_profile)")
    if isinstance(n_practices, bool) or not isinstance(n_practices, int) or not 1 <= n_practices <= MAX_PRACTICES:
        raise ValueError(f"n_practices must be a whole number from 1 to {MAX_PRACTICES}, got {n_practices!r}")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be a non-negative whole number, got {seed!r}")
    if list_size_range is not None:
        list_size_range = check_list_size_range(list_size_range)
    out_dir = Path(out_dir)
    practices = build_practices(profile, n_practices, seed)
    known = {p["practice_code"] for p in practices}
    for n, f in enumerate(faults):
        if f.practice not in known:
            raise record_faults.RecordFaultError(f"population.faults[{n}].practice: no practice {f.practice} in this nation")

    out_dir.mkdir(parents=True, exist_ok=True)
    sizes = [practice_size(profile, i, seed, list_size_range) for i in range(n_practices)]
    offsets = np.cumsum([0] + [z.rows for z in sizes[:-1]]).tolist()  # each practice's first NHS number ordinal
    job = (profile, practices, seed, list_size_range, faults, offsets, str(out_dir))
    bins = _supplier_bins(practices, sizes, workers)
    if len(bins) == 1:
        per_practice = _write_suppliers(job, bins[0], progress=None if progress is None else
                                        (lambda done: progress(done, n_practices)))
    else:
        per_practice = _write_in_processes(job, bins, progress, n_practices)
    for s in schema.SUPPLIERS:  # only a complete run replaces the files
        d = _supplier_dir(out_dir, s)
        for name in ("patients.parquet", "events.parquet"):
            os.replace(d / (name + ".partial"), d / name)
    per_practice = [{k: v for k, v in p.items() if k != "index"} for p in sorted(per_practice, key=lambda p: p["index"])]
    n_patients = sum(p["patients"] for p in per_practice)
    n_events = sum(p["events"] for p in per_practice)

    pq.write_table(pa.Table.from_pylist(practices, schema=schema.PRACTICES), out_dir / "practices.parquet")
    nation = Nation(out_dir, practices, n_patients, n_events, seed, profile.name,
                    {p["practice_code"]: p["list_size"] for p in per_practice})
    manifest = {"profile": profile.name, "seed": seed,
                "n_practices": n_practices, "list_size_range": list(_effective_range(profile, list_size_range)),
                "n_patients": n_patients, "n_events": n_events, "practices": per_practice,
                "faults": [f.__dict__ for f in faults]}
    nation.manifest_path.write_text(json.dumps(manifest, indent=1) + "\n")
    return nation


def load_nation(out_dir: Path | str) -> Nation:
    """A Nation for files written earlier by :func:`generate_nation` (reads manifest.json)."""
    out_dir = Path(out_dir)
    try:
        manifest = json.loads((out_dir / "manifest.json").read_text())
    except FileNotFoundError:
        raise FileNotFoundError(f"{out_dir}: no manifest.json (not a generated nation)") from None
    practices = pq.read_table(out_dir / "practices.parquet").to_pylist()
    return Nation(out_dir, practices, manifest["n_patients"], manifest["n_events"], manifest["seed"],
                  manifest["profile"], {p["practice_code"]: p["list_size"] for p in manifest["practices"]})


__all__ = ["Nation", "PracticeSize", "ProfileError", "generate_nation", "generate_practice", "load_nation",
           "first_ordinal", "practice_size"]
