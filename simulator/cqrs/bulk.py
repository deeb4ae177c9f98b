"""The whole run's calculation at once: points, area/domain sums and payments for N practices.

Same answers as :func:`simulator.cqrs.points.score` + :func:`simulator.cqrs.payments.practice_payment`
(tests/cqrs/test_bulk.py proves it on random data, point for point and penny for penny), at a
fraction of the cost:

1. Per catalogue, once: every indicator's maximum G, thresholds E and F as integers over a
   common scale (G = g / SG, E = e / ST, F = f / ST), its area, domain and payment component.
2. Per run, vectorised over practices with NumPy int64: an indicator's points are the exact
   rational

        0                                         at 100·ST·n <= e·d        (D <= E)
        g / SG                                    at 100·ST·n >= f·d        (D >= F)
        g·(100·ST·n − e·d) / (SG·(f − e)·d)       between

   (D = 100 n / d; the same formula as points.ratio_points, multiplied out).
3. Sums per area stay exact: the whole-point part (registers, yes/no, maxima) as int64 in
   units of 1/SG, the partial part as Python-int fractions in NumPy object arrays (one
   vectorised multiply-add per indicator column, no gcd).
4. Only then Decimals, per practice and component (40 significant digits, as the per-practice
   path), and the total settled to pence from the exact value (payments._settle_total).

Nothing wraps: int64 is used only where the products provably stay below SAFE (the counts decide,
else the arithmetic moves to Python ints); the run's totals (list sizes, registers, target
populations over every practice) are Python-int sums; the factors are Python ints throughout.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, localcontext
from fractions import Fraction
from itertools import chain
from operator import itemgetter
from typing import Mapping, Sequence

import numpy as np

from simulator.cqrs import payments
from simulator.cqrs.longformat import DENOMINATOR, EXCEPTIONS, NUMERATOR, REGISTER
from simulator.cqrs.parameters import CqrsParameters, default_parameters
from simulator.cqrs.points import PRECISION, Scored, to_decimal
from simulator.qof.catalogue import Catalogue

REG_KIND, RATIO_KIND, YESNO_KIND = 0, 1, 2
SCORED, NOT_APPLICABLE, NOT_SUPPLIED = 0, 1, 2
STATUS_NAMES = ("scored", "not_applicable", "not_supplied")
MISSING = -1
SAFE = 2 ** 62  # int64 products stay below this, or the arithmetic moves to Python ints


def _exact_sum(a: np.ndarray) -> int:
    """The sum of an integer array as a Python int: never wraps (a NumPy int64 sum over practices
    would, silently, once the run's total passes 2**63)."""
    return sum(a.tolist(), 0)


def _scale(values: Sequence[Decimal]) -> int:
    """10^k so that every value times it is a whole number."""
    k = max((max(0, -v.as_tuple().exponent) for v in values if v is not None), default=0)
    return 10 ** k


@dataclass(frozen=True)
class Compiled:
    """Per-indicator constants of one catalogue, in catalogue order."""

    codes: tuple[str, ...]
    index: dict[str, int]
    kind: np.ndarray  # int8: REG_KIND | RATIO_KIND | YESNO_KIND
    g: np.ndarray  # int64: points x SG
    e: np.ndarray  # int64: lower x ST (0 where no thresholds)
    f: np.ndarray  # int64: upper x ST
    sg: int
    st: int
    points: tuple[Decimal, ...]  # catalogue points, as score() returns them for a register or a 'yes'
    areas: tuple[str, ...]
    area_domain: tuple[str, ...]
    area_of: np.ndarray  # int: area index of each indicator
    order: np.ndarray  # indicator columns sorted by area
    starts: np.ndarray  # first position of each area in ``order``
    area_ratio_cols: tuple[tuple[int, ...], ...]  # per area: its threshold indicator columns
    rules: tuple[payments.ComponentRule, ...]  # per area (one payment component per area, or per domain)
    register_cols: dict[str, int]  # register id -> column of its register indicator


_CACHE: dict[int, tuple[Catalogue, CqrsParameters, Compiled]] = {}


def compile_catalogue(catalogue: Catalogue, params: CqrsParameters | None = None) -> Compiled:
    params = params or default_parameters()
    hit = _CACHE.get(id(catalogue))
    if hit and hit[0] is catalogue and hit[1] is params:
        return hit[2]
    defs = list(catalogue.indicators.values())
    kind = np.array([REG_KIND if d.kind == "register" else RATIO_KIND if d.kind in ("ratio", "manual") and
                     d.lower is not None else YESNO_KIND for d in defs], dtype=np.int8)
    sg = _scale([d.points for d in defs])
    st = _scale([x for d in defs for x in (d.lower, d.upper)])
    areas: list[str] = []
    for d in defs:
        if d.area not in areas:
            areas.append(d.area)
    area_of = np.array([areas.index(d.area) for d in defs], dtype=np.int64)
    order = np.argsort(area_of, kind="stable")
    starts = np.searchsorted(area_of[order], np.arange(len(areas)))
    area_domain = tuple(next(d.domain for d in defs if d.area == a) for a in areas)
    for d in defs:  # one payment component per area (or per domain): an area never spans two domains
        if d.domain != area_domain[areas.index(d.area)]:
            raise ValueError(f"{d.code}: area {d.area!r} is in two domains ({d.domain}, {area_domain[areas.index(d.area)]})")
    rules = []
    for a in areas:
        first = next(d for d in defs if d.area == a)
        rules.append(payments.component_rule(first, params))
    compiled = Compiled(
        codes=tuple(d.code for d in defs), index={d.code: i for i, d in enumerate(defs)}, kind=kind,
        g=np.array([int(d.points * sg) for d in defs], dtype=np.int64),
        e=np.array([int(d.lower * st) if k == RATIO_KIND else 0 for d, k in zip(defs, kind)], dtype=np.int64),
        f=np.array([int(d.upper * st) if k == RATIO_KIND else 0 for d, k in zip(defs, kind)], dtype=np.int64),
        sg=sg, st=st, points=tuple(d.points for d in defs), areas=tuple(areas), area_domain=area_domain,
        area_of=area_of, order=order, starts=starts,
        area_ratio_cols=tuple(tuple(int(i) for i in np.flatnonzero((area_of == k) & (kind == RATIO_KIND)))
                              for k in range(len(areas))),
        rules=tuple(rules),
        register_cols={r.id: [d.code for d in defs].index(r.indicator) for r in catalogue.rules.registers.values()})
    _CACHE[id(catalogue)] = (catalogue, params, compiled)
    return compiled


# ---------------------------------------------------------------- inputs


@dataclass
class Counts:
    """One run's counts as arrays (practices x indicators), MISSING (-1) where not supplied."""

    practice_codes: list[str]
    list_size: np.ndarray  # int64 (P,)
    num: np.ndarray
    den: np.ndarray
    exc: np.ndarray
    reg: np.ndarray
    target_populations: list[Mapping[str, int]] = field(default_factory=list)
    present: np.ndarray | None = None  # bool (P, n): indicators the practice's input names (None: all)


_EMPTY: dict = {}


def counts_from_fields(compiled: Compiled, practice_codes: Sequence[str], list_sizes: Sequence[int],
                       fields: Sequence[Mapping[str, Mapping[str, int]]],
                       target_populations: Sequence[Mapping[str, int]] | None = None,
                       only_present: bool = False) -> Counts:
    """Arrays from per-practice fields (IND_CODE -> FIELD_NAME -> value, the long layout's names).

    Read practice by practice (each practice's dicts lie together in memory) with C-level
    itemgetters; a practice that lacks a field takes the slower path with defaults."""
    p, n = len(fields), len(compiled.codes)
    kinds = compiled.kind
    cols = {k: np.flatnonzero(kinds == k) for k in (REG_KIND, RATIO_KIND, YESNO_KIND)}
    codes = {k: [compiled.codes[i] for i in v] for k, v in cols.items()}
    names = {REG_KIND: (REGISTER,), RATIO_KIND: (NUMERATOR, DENOMINATOR, EXCEPTIONS), YESNO_KIND: (NUMERATOR,)}

    def values(kind: int):
        cs, fs = codes[kind], names[kind]
        if not cs:
            return np.zeros((p, 0, len(fs)), dtype=np.int64)
        outer, inner = itemgetter(*cs), itemgetter(*fs)
        one_c, one_f = len(cs) == 1, len(fs) == 1

        def practice(f):
            try:
                got = (outer(f),) if one_c else outer(f)
                return list(map(inner, got)) if one_f else list(chain.from_iterable(map(inner, got)))
            except KeyError:
                return [f.get(c, _EMPTY).get(x, MISSING) for c in cs for x in fs]

        flat = np.fromiter(chain.from_iterable(map(practice, fields)), np.int64, p * len(cs) * len(fs))
        return flat.reshape(p, len(cs), len(fs))

    num = np.full((p, n), MISSING, dtype=np.int64)
    den, exc, reg = num.copy(), num.copy(), num.copy()
    reg[:, cols[REG_KIND]] = values(REG_KIND)[:, :, 0]
    r = values(RATIO_KIND)
    num[:, cols[RATIO_KIND]], den[:, cols[RATIO_KIND]], exc[:, cols[RATIO_KIND]] = r[:, :, 0], r[:, :, 1], r[:, :, 2]
    num[:, cols[YESNO_KIND]] = values(YESNO_KIND)[:, :, 0]
    present = None
    if only_present:
        present = np.array([[code in f for code in compiled.codes] for f in fields], dtype=bool).reshape(p, n)
    return Counts(list(practice_codes), np.asarray(list_sizes, dtype=np.int64).reshape(p), num, den, exc, reg,
                  list(target_populations) if target_populations is not None else [{} for _ in range(p)], present)


# ---------------------------------------------------------------- the calculation


@dataclass
class Bulk:
    """Every practice's points and payment; Decimals are built per practice on request."""

    compiled: Compiled
    catalogue: Catalogue
    counts: Counts
    status: np.ndarray  # int8 (P, n)
    pnum: np.ndarray  # points numerator (P, n), int64 or object
    pden: np.ndarray  # points denominator
    area_num: list  # per area: object array (P,) — exact area points numerator
    area_den: list
    area_max: np.ndarray  # int64 (P, K): area maximum x SG (not-applicable indicators dropped)
    component_gbp: list[dict[str, Decimal]]
    total_unrounded: list[Decimal]
    total_gbp: list[Decimal]
    national: Mapping[str, Decimal | Fraction]  # register id -> national prevalence used
    target_average: Mapping[str, Decimal | Fraction]  # group -> national average target population used

    def __len__(self) -> int:
        return len(self.counts.practice_codes)

    def payment(self, p: int) -> payments.Payment:
        return payments.Payment(self.component_gbp[p], self.total_unrounded[p], self.total_gbp[p])

    def _present(self, p: int) -> np.ndarray:
        pres = self.counts.present
        return np.ones(len(self.compiled.codes), dtype=bool) if pres is None else pres[p]

    def scored(self, p: int) -> list[Scored]:
        """The practice's indicators as score() gives them (catalogue order; only present ones)."""
        c, out = self.compiled, []
        num, den, st, pn, pd = (self.counts.num[p], self.counts.den[p], self.status[p], self.pnum[p], self.pden[p])
        for i in np.flatnonzero(self._present(p)):
            code, status = c.codes[i], int(st[i])
            exact = Fraction(int(pn[i]), int(pd[i]))
            if status != SCORED:
                out.append(Scored(code, STATUS_NAMES[status], Decimal(0), None, exact=exact))
            elif c.kind[i] == RATIO_KIND:
                d = int(den[i])
                if d == 0:
                    out.append(Scored(code, "scored", Decimal(0), None, exact=exact))
                else:
                    out.append(Scored(code, "scored", to_decimal(exact), to_decimal(Fraction(100 * int(num[i]), d)),
                                      exact=exact))
            else:  # register, yes/no: the catalogue's points or nothing
                out.append(Scored(code, "scored", c.points[i] if exact else Decimal(0), exact=exact))
        return out

    def area_points(self, p: int) -> list[tuple[str, str, Fraction, Fraction]]:
        """(area, domain, exact points, exact maximum) for each area with a present indicator."""
        c = self.compiled
        pres = np.bincount(c.area_of[self._present(p)], minlength=len(c.areas))
        return [(a, c.area_domain[k], Fraction(int(self.area_num[k][p]), int(self.area_den[k][p])),
                 Fraction(int(self.area_max[p, k]), c.sg)) for k, a in enumerate(c.areas) if pres[k]]

    def total_points(self, p: int) -> Fraction:
        return sum((pts for _, _, pts, _ in self.area_points(p)), Fraction(0))


def _area_sums(c: Compiled, whole: np.ndarray, pnum: np.ndarray, pden: np.ndarray, between: np.ndarray):
    """Exact points per area: (numerator, denominator) object arrays, and the whole part."""
    p = whole.shape[0]
    whole_by_area = np.add.reduceat(whole[:, c.order], c.starts, axis=1) if len(c.areas) else np.zeros((p, 0))
    nums, dens = [], []
    sg = c.sg
    for k, cols in enumerate(c.area_ratio_cols):
        an = whole_by_area[:, k].astype(object)  # whole part, in units of 1/SG
        ad = np.full(p, sg, dtype=object)
        for i in cols:
            if not between[:, i].any():
                continue
            bn = np.where(between[:, i], pnum[:, i], 0).astype(object)
            bd = np.where(between[:, i], pden[:, i], 1).astype(object)
            an = an * bd + bn * ad
            ad = ad * bd
        nums.append(an)
        dens.append(ad)
    return nums, dens


def calculate(catalogue: Catalogue, counts: Counts, national: Mapping[str, Decimal | Fraction] | None = None,
              target_average: Mapping[str, Decimal | Fraction] | None = None,
              params: CqrsParameters | None = None) -> Bulk:
    """Points and payments for every practice of ``counts``.

    ``national`` (register id -> prevalence) and ``target_average`` (group -> NATP) default to the
    run's own figures (payments.national_prevalence_exact / national_target_average)."""
    params = params or default_parameters()
    c = compile_catalogue(catalogue, params)
    num, den, exc, reg = counts.num, counts.den, counts.exc, counts.reg
    n_pr = num.shape[0]
    kind = c.kind[None, :]

    # -- points per indicator, exact (int64 unless the counts are huge)
    big = max(int(num.max(initial=0)), int(den.max(initial=0))) * 100 * c.st * max(int(c.g.max(initial=1)), 1) \
        * max(int((c.f - c.e).max(initial=1)), 1) * c.sg >= SAFE
    if big:
        num, den = num.astype(object), den.astype(object)
    ratio_ok = (kind == RATIO_KIND) & (num >= 0) & (den >= 0)
    den0 = ratio_ok & (den == 0)
    live = ratio_ok & ~den0
    safe_den = np.where(live, den, 1)
    a = 100 * c.st * np.where(live, num, 0)
    lo, hi = c.e[None, :] * safe_den, c.f[None, :] * safe_den
    at_max = live & (a >= hi)
    between = live & ~at_max & (a > lo)
    reg_ok = (kind == REG_KIND) & (reg >= 0)
    yes = (kind == YESNO_KIND) & (num >= 1)
    full = at_max | reg_ok | yes
    g = c.g[None, :]
    whole = np.where(full, g, 0)  # points x SG for the whole-point cases
    span = np.maximum(c.f - c.e, 1)[None, :]
    pnum = np.where(between, g * (a - lo), whole)
    pden = np.where(between, c.sg * span * safe_den, c.sg)

    status = np.full(num.shape, SCORED, dtype=np.int8)
    supplied = np.where(kind == REG_KIND, reg >= 0, np.where(kind == RATIO_KIND, ratio_ok, num >= 0))
    status[~supplied] = NOT_SUPPLIED
    status[den0 & (exc <= 0)] = NOT_APPLICABLE

    # -- exact sums per area; the maxima (not-applicable indicators dropped)
    area_num, area_den = _area_sums(c, whole, pnum, pden, between)
    counted = status != NOT_APPLICABLE
    if counts.present is not None:
        counted &= counts.present
    max_g = np.where(counted, g, 0)
    area_max = np.add.reduceat(max_g[:, c.order], c.starts, axis=1)

    # -- payment components: one per clinical area / additional service, one per other domain;
    #    each = points x £/point x W, all practices at once in Python-int object arrays
    list_size = counts.list_size
    registers = {rid: np.maximum(counts.reg[:, col], 0) for rid, col in c.register_cols.items()}
    groups = sorted({tg.group for tg in params.target_groups.values()})
    tp_of = {grp: np.array([t.get(grp, MISSING) for t in counts.target_populations], dtype=np.int64).reshape(n_pr)
             for grp in groups}
    if national is None:  # total register / total list over the run (payments.national_prevalence_exact)
        total_list = _exact_sum(list_size)
        national = {rid: Fraction(_exact_sum(registers[rid]) if rid in registers else 0, total_list) if total_list
                    else Fraction(0) for rid in catalogue.rules.registers}
    if target_average is None:  # payments.national_target_average
        target_average = {}
        for grp, tp in tp_of.items():
            having = tp >= 0
            total_list = _exact_sum(list_size[having])
            if having.any() and total_list:
                target_average[grp] = Fraction(catalogue.parameters.cpi_divisor) * Fraction(_exact_sum(tp[having]),
                                                                                            total_list)
    modes = _factor_modes(catalogue, c, national, target_average)
    ppp = Fraction(catalogue.parameters.pounds_per_point)
    div = Fraction(catalogue.parameters.cpi_divisor)
    cpi_wn = list_size.astype(object) * div.denominator
    cpi_wd = np.full(n_pr, div.numerator, dtype=object)

    # components: the areas sharing a component name (the domains paid by CPI) are added first
    comp_areas: dict[str, list[int]] = {}
    for k, mode in enumerate(modes):
        comp_areas.setdefault(mode[1], []).append(k)
    comp_names, comp_alt, comp_dec, comp_exact = [], [], [], []
    for base, ks in comp_areas.items():
        pn, pd = area_num[ks[0]], area_den[ks[0]]
        for k in ks[1:]:
            pn, pd = pn * area_den[k] + area_num[k] * pd, pd * area_den[k]
        mode, name, a1, a2, a3 = modes[ks[0]]
        alt = None
        if mode == "apdf":  # W = CPI x APDF = register / (divisor x national prevalence); 0 without a list
            if a3:
                wn = np.where(list_size > 0, registers[a1].astype(object) * a2, 0).astype(object)
                wd = np.full(n_pr, a3, dtype=object)
            else:
                wn, wd = np.zeros(n_pr, dtype=object), np.ones(n_pr, dtype=object)
        elif mode == "target":  # W = TP / NATP where the practice sent TP and the run has NATP; else CPI
            tp = tp_of[a1]
            has = (tp >= 0) if a2 is not None else np.zeros(n_pr, dtype=bool)
            wn = np.where(has, np.maximum(tp, 0).astype(object) * (a3 if a2 else 0), cpi_wn)  # NATP 0: W = 0
            wd = np.where(has, np.full(n_pr, a2 if a2 else 1, dtype=object), cpi_wd)  # (as payments.component_factor)
            alt = (has, f"{name} (target population {a1})")
            name = f"{name} (CPI: no target population {a1})"
        else:
            wn, wd = cpi_wn, cpi_wd
        cn, cd = pn * wn * ppp.numerator, pd * wd * ppp.denominator
        comp_names.append(name)
        comp_alt.append(alt)
        comp_exact.append((cn.tolist(), cd.tolist()))
        with localcontext() as ctx:
            ctx.prec = PRECISION
            comp_dec.append(list(map(Decimal.__truediv__, map(Decimal, cn.tolist()), map(Decimal, cd.tolist()))))

    # per practice: its components by name, the unrounded total, the settled total
    present_comp = None
    if counts.present is not None:
        area_present = np.add.reduceat(counts.present[:, c.order].astype(np.int64), c.starts, axis=1) > 0
        present_comp = np.stack([area_present[:, ks].any(axis=1) for ks in comp_areas.values()], axis=1)
    names_per_practice = [comp_names] * n_pr
    if any(alt is not None for alt in comp_alt):
        names = np.array(comp_names, dtype=object)[None, :].repeat(n_pr, axis=0)
        for j, alt in enumerate(comp_alt):
            if alt is not None:
                names[alt[0], j] = alt[1]
        names_per_practice = names.tolist()
    rows = list(zip(*comp_dec)) if comp_dec else [()] * n_pr
    comps_all, unrounded_all, settled_all = [], [], []
    for p in range(n_pr):
        if present_comp is None:
            comps = dict(zip(names_per_practice[p], rows[p]))
            keep = range(len(comp_names))
        else:
            keep = np.flatnonzero(present_comp[p]).tolist()
            comps = {names_per_practice[p][j]: rows[p][j] for j in keep}
        comps_all.append(comps)
        unrounded_all.append(payments.sum_components(comps.values()))
        settled_all.append(payments._settle_total(list(comps.values()), lambda p=p, keep=keep: sum(
            (Fraction(comp_exact[j][0][p], comp_exact[j][1][p]) for j in keep), Fraction(0))))
    return Bulk(c, catalogue, counts, status, pnum, pden, area_num, area_den, area_max,
                comps_all, unrounded_all, settled_all, national, target_average)


def _factor_modes(catalogue: Catalogue, c: Compiled, national, target_average) -> list[tuple]:
    """Per area: how its payment factor W is made (the same cases as payments.component_factor),
    with the run's constants folded into integers once."""
    div = Fraction(catalogue.parameters.cpi_divisor)
    out = []
    for rule in c.rules:
        if rule.kind == "apdf":
            rid = catalogue.register_for_area.get(rule.area)
            if rid is not None and rule.area not in catalogue.parameters.apdf_one_areas:
                nat = payments.exact(national.get(rid, Fraction(0)))
                if nat == 0:
                    out.append(("apdf", rule.base, rid, 0, 0))
                else:
                    k = 1 / (div * nat)  # W = register x k
                    out.append(("apdf", rule.base, rid, k.numerator, k.denominator))
                continue
            out.append(("cpi", rule.base, None, None, None))
        elif rule.kind == "target":
            if rule.group is None:
                out.append(("cpi", f"{rule.base} (CPI)", None, None, None))
                continue
            avg = target_average.get(rule.group)
            if avg is None:
                out.append(("target", rule.base, rule.group, None, None))
            else:
                avg = payments.exact(avg)  # W = TP / avg = TP x den / num
                out.append(("target", rule.base, rule.group, avg.numerator, avg.denominator))
        else:
            out.append(("cpi", rule.base, None, None, None))
    return out
