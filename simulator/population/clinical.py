"""Coded clinical events for one practice's patients, vectorised with NumPy.

Given the patients (date of birth, sex, end of observation) and the practice's random effects,
draw who has each condition (a latent risk shared by all conditions, so diabetes, hypertension
and CHD travel together), when it was diagnosed or resolved, and the monitoring a QOF year
leaves in the record: blood pressures, lab tests, exception, refusal and maximal-therapy codes,
the care processes the profile lists (reviews, drugs issued, immunisations, referrals, each a
share of a condition's register or of an age/sex group, dated in a window or relative to the
diagnosis or to another process, and coded only for patients who had, or had not, another),
smoking status and cessation support.

Every code comes from the catalogue's cluster files for the practice's code system (Read v2 or
CTV3). All draws are made for every patient in a fixed order, whatever the code system, so an
EMIS and a TPP practice with the same seed hold the same clinical story in different codes.
No event is dated after the patient's end of observation (the achievement date, or the day
before they left or died) nor before birth.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
from dateutil.relativedelta import relativedelta

from simulator.population.profile import BPDist, ProcessSpec, Profile

DAY0 = dt.date(1970, 1, 1)
YEAR = 365.2425


def day_number(d: dt.date) -> int:
    return (d - DAY0).days


@dataclass(frozen=True)
class Calendar:
    """The QOF year as day numbers, and inclusive window lengths ending on the achievement date."""

    ach: int
    lsd: int
    ref: int
    ach_date: dt.date

    @classmethod
    def of(cls, profile: Profile) -> "Calendar":
        return cls(day_number(profile.achievement_date), day_number(profile.list_size_date),
                   day_number(profile.reference_period_start), profile.achievement_date)

    def months(self, m: int) -> int:
        """Days in the window 'within m months' as the rules read it (start = ach - m months + 1 day)."""
        start = self.ach_date - relativedelta(months=m) + dt.timedelta(days=1)
        return (self.ach_date - start).days + 1


@dataclass
class PracticeEffects:
    """One practice's random effects (drawn once per practice)."""

    age_tilt: float
    risk: float
    condition: dict[str, float]
    quality: float
    exception: float


class CodeBook:
    """A code system's codes for each cluster, and a dictionary of every code used."""

    def __init__(self, profile: Profile, system: str):
        self.system = system
        self.codes: list[str] = []
        index: dict[str, int] = {}
        self._ids: dict[str, np.ndarray] = {}
        self._cum: dict[str, np.ndarray] = {}
        # A code of one condition's diagnosis cluster that another cluster also holds (chronic
        # asthmatic bronchitis: asthma and COPD; type 1 diabetes with persistent proteinuria:
        # diabetes and proteinuria) would put a patient on a register the generator did not
        # choose: such a code is drawn for neither other cluster (the rules still read it wherever
        # it is listed), unless that leaves a cluster no code (MI_COD: every code is a CHD code).
        owners: dict[str, set[str]] = {}
        for cond in profile.conditions.values():
            for dx in cond.diagnosis_clusters:
                for s, c in profile.clusters[dx]:
                    if s == system:
                        owners.setdefault(c, set()).add(dx)
        for name, members in profile.clusters.items():
            listed = [c for s, c in members if s == system]
            codes = [c for c in listed if not owners.get(c, set()) - {name}] or listed
            if not codes:
                continue
            for c in codes:
                if c not in index:
                    index[c] = len(self.codes)
                    self.codes.append(c)
            # the first code listed is taken as the commonest: weight 1/(1 + position)
            w = 1.0 / (1.0 + np.arange(len(codes)))
            self._ids[name] = np.array([index[c] for c in codes], dtype=np.int32)
            self._cum[name] = np.cumsum(w) / w.sum()

    def pick(self, cluster: str, u: np.ndarray) -> np.ndarray:
        """Dictionary indices of codes of ``cluster`` chosen by uniforms ``u``."""
        ids = self._ids.get(cluster)
        if ids is None:
            raise KeyError(f"cluster {cluster} has no {self.system} code")
        return ids[np.minimum(np.searchsorted(self._cum[cluster], u, side="right"), len(ids) - 1)]


@dataclass
class EventBlocks:
    """Events accumulated block by block (one cluster per block), concatenated at the end."""

    idx: list[np.ndarray] = field(default_factory=list)
    cluster: list[str] = field(default_factory=list)
    date: list[np.ndarray] = field(default_factory=list)
    value: list[np.ndarray | None] = field(default_factory=list)
    value2: list[np.ndarray | None] = field(default_factory=list)

    def add(self, idx, cluster, date, value=None, value2=None) -> None:
        if len(idx):
            self.idx.append(np.asarray(idx, dtype=np.int64))
            self.cluster.append(cluster)
            self.date.append(np.asarray(date, dtype=np.int64))
            self.value.append(value)
            self.value2.append(value2)


def _sigmoid(x):
    return 0.5 * (1.0 + np.tanh(0.5 * x))


def _shift(p: float | np.ndarray, by: float) -> np.ndarray:
    """A probability moved by ``by`` on the log-odds scale (0 and 1 stay put)."""
    p = np.asarray(p, dtype=float)
    with np.errstate(divide="ignore"):
        lo = np.log(p) - np.log1p(-p)
    return np.where((p <= 0) | (p >= 1), p, _sigmoid(lo + by))


class _Draw:
    """The practice's random stream, one full-length array per call (so consumption never depends on codes)."""

    def __init__(self, rng: np.random.Generator, n: int):
        self.rng, self.n = rng, n

    def u(self) -> np.ndarray:
        return self.rng.random(self.n)

    def normal(self) -> np.ndarray:
        return self.rng.standard_normal(self.n)


def _systematic(p: np.ndarray, u0: float) -> np.ndarray:
    """Patients chosen by systematic sampling: patient i with probability exactly p[i], as an
    independent draw would, but the number chosen is sum(p) rounded up or down (u0 decides), not
    sum(p) plus binomial noise. The patients come in a random order (generate.py permutes them),
    so who is chosen is as random as before; what goes is the chance noise in the register's size,
    which at ~100 patients (a small register of a 12-practice nation) is itself about 10 %."""
    hi = np.cumsum(p) + u0
    lo = hi - p
    return np.floor(hi) > np.floor(lo)


def _bp_values(d: BPDist, e1: np.ndarray, e2: np.ndarray):
    sys_ = np.rint(d.systolic_mean + d.systolic_sd * e1)
    dia = np.rint(d.diastolic_mean + d.diastolic_sd * (d.correlation * e1 + np.sqrt(1 - d.correlation ** 2) * e2))
    sys_ = np.clip(sys_, 70, 260)
    dia = np.clip(np.minimum(dia, sys_ - 15), 35, 150)
    return sys_, dia


def clinical_events(profile: Profile, cal: Calendar, rng: np.random.Generator, fx: PracticeEffects,
                    dob: np.ndarray, male: np.ndarray, obs_end: np.ndarray) -> EventBlocks:
    n = len(dob)
    draw = _Draw(rng, n)
    ev = EventBlocks()
    age = (obs_end - dob) / YEAR
    w9, w15, w27 = cal.months(9), cal.months(15), cal.months(27)
    w60, w120 = cal.months(60), cal.months(120)
    q = fx.quality

    def back(offset_days: np.ndarray) -> np.ndarray:
        return obs_end - np.floor(offset_days).astype(np.int64)

    # ---- conditions: diagnosis, resolution, exceptions
    z = draw.normal()
    age_dec = (age - 50.0) / 10.0
    onreg: dict[str, np.ndarray] = {}
    diagnosed: dict[str, np.ndarray] = {}
    dx_date: dict[str, np.ndarray] = {}
    excepted: dict[str, np.ndarray] = {}
    declined: dict[str, np.ndarray] = {}
    for cid, c in profile.conditions.items():
        logit = (c.intercept + c.per_decade * age_dec + c.male * male + c.risk_loading * z
                 + fx.risk + fx.condition[cid])
        has = _systematic(np.where(age >= c.min_age, _sigmoid(logit), 0.0), draw.u()[0])
        # everything else is drawn for the diagnosed only (a few per cent of the list)
        i = np.flatnonzero(has)
        k = len(i)
        end = obs_end[i]
        # years since diagnosis: exponential, from stratified uniforms (one per k-th of the
        # distribution, in a random order), so a register that counts only recent diagnoses
        # (cancer since 2003, fractures since April 2012) gets its expected share, not that plus chance
        strata = (rng.permutation(k) + rng.random(k)) / max(k, 1)
        yrs = -c.years_since_diagnosis_mean * np.log1p(-strata)
        avail = np.maximum(age[i] - c.min_age, 0.0)
        yrs = np.where(yrs > avail, rng.random(k) * avail, yrs)
        dx_i = end - np.floor(yrs * YEAR).astype(np.int64)
        u_res, u_res_day = rng.random(k), rng.random(k)
        res_i = (u_res < c.resolved) & (end > dx_i)
        res_day = dx_i + 1 + np.floor(u_res_day * (end - dx_i)).astype(np.int64)
        on_i = ~res_i
        if c.active < 1:  # diagnosed and unresolved, but not meeting the register's other requirement
            on_i &= rng.random(k) < c.active
        if c.diagnosis_mix:
            cum = np.cumsum([share for _, share in c.diagnosis_mix])
            pick = np.minimum(np.searchsorted(cum / cum[-1], rng.random(k), side="right"), len(cum) - 1)
            for m, (cluster, _) in enumerate(c.diagnosis_mix):
                ev.add(i[pick == m], cluster, dx_i[pick == m])
        else:
            ev.add(i, c.diagnosis_cluster, dx_i)
        if len(c.resolved_clusters) > 1:
            pick = np.minimum((rng.random(k) * len(c.resolved_clusters)).astype(np.int64), len(c.resolved_clusters) - 1)
            for m, cluster in enumerate(c.resolved_clusters):
                sel = res_i & (pick == m)
                ev.add(i[sel], cluster, res_day[sel])
        elif c.resolved_cluster:
            ev.add(i[res_i], c.resolved_cluster, res_day[res_i])
        u_ex, u_ex_day = rng.random(k), rng.random(k)
        ex_i = on_i & (u_ex < _shift(c.care.exception, fx.exception))
        if c.exception_cluster:
            ex_day = end - np.floor(u_ex_day * cal.months(c.care.exception_window_months)).astype(np.int64)
            ev.add(i[ex_i], c.exception_cluster, ex_day[ex_i])
        dec_i = np.zeros(k, dtype=bool)
        if c.care.bp is not None:
            u_dec, u_dec_day = rng.random(k), rng.random(k)
            dec_i = on_i & (u_dec < _shift(c.care.bp_declined, fx.exception))
            ev.add(i[dec_i], profile.blood_pressure.declined_cluster,
                   (end - np.floor(u_dec_day * w9).astype(np.int64))[dec_i])
        on, ex, dec = (np.zeros(n, dtype=bool) for _ in range(3))
        dx = np.zeros(n, dtype=np.int64)
        on[i], ex[i], dec[i], dx[i] = on_i, ex_i, dec_i, dx_i
        onreg[cid], diagnosed[cid], dx_date[cid], excepted[cid], declined[cid] = on, has, dx, ex, dec
    any_reg = np.zeros(n, dtype=bool)
    for on in onreg.values():
        any_reg |= on

    # ---- blood pressure: one latest reading per patient, from their highest-priority condition
    bp = profile.blood_pressure
    adult = age >= bp.adults_from_age
    p9 = np.where(adult, _shift(bp.adults_recorded_9m, q), 0.0)
    p15 = np.where(adult, _shift(bp.adults_recorded_15m, q), 0.0)
    dist = {k: np.full(n, getattr(bp.adults, k)) for k in BPDist.__dataclass_fields__}
    for cid in reversed(bp.priority):
        c = profile.conditions[cid]
        on = onreg[cid]
        factor = np.where(excepted[cid] | declined[cid], bp.measured_if_excepted, 1.0)
        p9 = np.where(on, np.maximum(p9, _shift(c.care.bp_recorded_9m, q) * factor), p9)
        p15 = np.where(on, np.maximum(p15, _shift(c.care.bp_recorded_15m, q) * factor), p15)
        for k in dist:
            dist[k] = np.where(on, getattr(c.care.bp, k), dist[k])
    p15 = np.maximum(p15, p9)
    u, u_old, u_off = draw.u(), draw.u(), draw.u()
    eligible = adult | any_reg
    has_bp = eligible & ((u < p15) | (u_old < bp.older_if_not_recent))
    off = np.where(u < p9, u_off * w9, np.where(u < p15, w9 + u_off * (w15 - w9), w15 + u_off * (w60 - w15)))
    bp_day = back(off)
    # after a diagnosis made by blood pressure, the latest reading is a follow-up (if time allowed one)
    u_fu = draw.u()
    for cid in bp.at_diagnosis_of:
        dx = dx_date[cid]
        follow = onreg[cid] & has_bp & (bp_day < dx) & (obs_end - dx > 28)
        bp_day = np.where(follow, dx + 14 + np.floor(u_fu * (obs_end - dx - 14)).astype(np.int64), bp_day)
    e1, e2 = draw.normal(), draw.normal()
    s = dist["systolic_mean"] + dist["systolic_sd"] * e1
    d = dist["diastolic_mean"] + dist["diastolic_sd"] * (dist["correlation"] * e1
                                                         + np.sqrt(1 - dist["correlation"] ** 2) * e2)
    sys_ = np.clip(np.rint(s), 70, 260)
    dia = np.clip(np.minimum(np.rint(d), sys_ - 15), 35, 150)
    i = np.flatnonzero(has_bp)
    ev.add(i, bp.cluster, bp_day[i], sys_[i], dia[i])
    # a second, higher reading on the same day (the rules take the lowest of the day)
    u_rep, r1, r2 = draw.u(), draw.normal(), draw.normal()
    rep = has_bp & (u_rep < bp.same_day_repeat)
    i = np.flatnonzero(rep)
    ev.add(i, bp.cluster, bp_day[i], np.minimum(sys_ + 1 + np.rint(np.abs(r1) * 8), 260)[i],
           np.minimum(dia + np.rint(np.abs(r2) * 5), 150)[i])
    # earlier readings, older than the latest
    hist = rng.poisson(bp.history_mean, n) * has_bp
    i = np.repeat(np.arange(n), hist)
    m = len(i)
    hs, hd = _bp_values(profile.blood_pressure.adults, rng.standard_normal(m), rng.standard_normal(m))
    h_day = bp_day[i] - 1 - np.floor(rng.random(m) * w60).astype(np.int64)
    hs = np.clip(hs + (dist["systolic_mean"][i] - bp.adults.systolic_mean), 70, 260)
    hd = np.clip(np.minimum(hd + (dist["diastolic_mean"][i] - bp.adults.diastolic_mean), hs - 15), 35, 150)
    ev.add(i, bp.cluster, h_day, hs, hd)
    # maximal tolerated therapy, for register patients whose latest reading is above the bar
    above = has_bp & any_reg & ((sys_ > bp.maximal_therapy_systolic) | (dia > bp.maximal_therapy_diastolic))
    u_max, u_max_day = draw.u(), draw.u()
    mx = above & (u_max < _shift(bp.maximal_therapy, fx.exception))
    ev.add(np.flatnonzero(mx), bp.maximal_therapy_cluster, back(u_max_day * w9)[mx])
    # a reading on the diagnosis date of conditions diagnosed by blood pressure (hypertension)
    for cid in bp.at_diagnosis_of:
        e1, e2 = draw.normal(), draw.normal()
        ds, dd = _bp_values(bp.at_diagnosis, e1, e2)
        at = diagnosed[cid] & (obs_end - dx_date[cid] < w60)
        i = np.flatnonzero(at)
        ev.add(i, bp.cluster, dx_date[cid][i], ds[i], dd[i])

    # ---- lab tests monitored for each condition
    ts = profile.tests
    for cid, c in profile.conditions.items():
        for t in c.care.tests:
            i = np.flatnonzero(onreg[cid])
            k = len(i)
            end = obs_end[i]
            p = _shift(t.recorded_15m, q) * np.where(excepted[cid][i], ts.measured_if_excepted, 1.0)
            u, u_old, u_off, e, u_fu = rng.random(k), rng.random(k), rng.random(k), rng.standard_normal(k), rng.random(k)
            has = (u < p) | (u_old < ts.older_if_not_recent)
            day = end - np.floor(np.where(u < p, u_off * w15, w15 + u_off * (w60 - w15))).astype(np.int64)
            if t.at_diagnosis_median is not None:  # the latest test is a follow-up of the diagnostic one
                dx = dx_date[cid][i]
                follow = has & (day < dx) & (end - dx > 28)
                day = np.where(follow, dx + 14 + np.floor(u_fu * (end - dx - 14)).astype(np.int64), day)
            val = np.round(t.median * np.exp(t.log_sd * e), t.decimals)
            ev.add(i[has], t.cluster, day[has], val[has])
            hist = rng.poisson(ts.history_mean, k) * has
            rep = np.repeat(np.arange(k), hist)
            m = len(rep)
            ev.add(i[rep], t.cluster, day[rep] - 1 - np.floor(rng.random(m) * w60).astype(np.int64),
                   np.round(t.median * np.exp(t.log_sd * rng.standard_normal(m)), t.decimals))
            if t.at_diagnosis_median is not None:
                at = np.flatnonzero(diagnosed[cid] & (obs_end - dx_date[cid] < w60))
                v = np.round(t.at_diagnosis_median * np.exp(t.log_sd * rng.standard_normal(len(at))), t.decimals)
                if t.at_diagnosis_min is not None:
                    v = np.maximum(v, t.at_diagnosis_min)
                ev.add(at, t.cluster, dx_date[cid][at], v)

    # ---- care processes: each condition's register, then the population-wide list
    for cid, c in profile.conditions.items():
        if c.care.processes:
            _processes(c.care.processes, ev, rng, cal, fx, onreg[cid], dx_date[cid],
                       np.where(excepted[cid], ts.measured_if_excepted, 1.0), age, male, obs_end)
    if profile.care:
        _processes(profile.care, ev, rng, cal, fx, np.ones(n, dtype=bool), None, None, age, male, obs_end)

    # ---- smoking status (15+) and cessation support
    sm = profile.smoking
    since = obs_end - (dob + int(round(sm.from_age * YEAR)))  # days since the from_age birthday
    eligible = since >= 0
    u_status, u_rec, u_rec_day = draw.u(), draw.u(), draw.u()
    status = np.where(u_status < sm.current, 0, np.where(u_status < sm.current + sm.ex, 1, 2))
    p_rec = np.where(any_reg, _shift(sm.recorded_27m_on_register, q), _shift(sm.recorded_27m, q))
    rec = eligible & (u_rec < p_rec)
    # patients on the registers SMOKE05/06 read are asked within 15 months, everyone else within 27
    asked = np.zeros(n, dtype=bool)
    for cid in sm.registers:
        asked |= onreg[cid]
    window = np.where(asked, w15, w27)
    rec_day = back(u_rec_day * np.minimum(window, since + 1))
    u_old, u_old_day, u_old_code = draw.u(), draw.u(), draw.u()
    old = eligible & (since >= w27) & (u_old < sm.older_record)
    old_day = back(w27 + u_old_day * (np.minimum(w120, since + 1) - w27))
    clusters = (sm.current_cluster, sm.ex_cluster, sm.never_cluster)
    old_status = np.where((status == 1) & (u_old_code < 0.5), 0, status)  # ex-smokers once smoked
    for k, cl in enumerate(clusters):
        i = np.flatnonzero(rec & (status == k))
        ev.add(i, cl, rec_day[i])
        i = np.flatnonzero(old & (old_status == k))
        ev.add(i, cl, old_day[i])
    u_sup, u_sup_day = draw.u(), draw.u()
    sup = rec & (status == 0) & (u_sup < _shift(sm.support_offered_27m, q))
    ev.add(np.flatnonzero(sup), sm.support_cluster, back(u_sup_day * np.minimum(window, since + 1))[sup])
    if sm.exception_cluster and sm.exception_on_register > 0:
        i = np.flatnonzero(asked)
        hit = rng.random(len(i)) < _shift(sm.exception_on_register, fx.exception)
        ev.add(i[hit], sm.exception_cluster, (obs_end[i] - np.floor(rng.random(len(i)) * w15).astype(np.int64))[hit])
    return ev


def _processes(procs: tuple[ProcessSpec, ...], ev: EventBlocks, rng: np.random.Generator, cal: Calendar,
               fx: PracticeEffects, base: np.ndarray, dx: np.ndarray | None, care_factor: np.ndarray | None,
               age: np.ndarray, male: np.ndarray, obs_end: np.ndarray) -> None:
    """Events of one list of care processes (see ProcessSpec). Draws are made for the eligible
    patients only, in list order, so the stream depends on who is eligible, never on codes."""
    n = len(base)
    had: dict[str, np.ndarray] = {}
    dates: dict[str, np.ndarray] = {}
    for pr in procs:
        elig = base.copy()
        if pr.sex is not None:
            elig &= male if pr.sex == "M" else ~male
        if pr.min_age:
            elig &= age >= pr.min_age
        if pr.max_age is not None:
            elig &= age < pr.max_age + 1
        if pr.diagnosed_since is not None:
            elig &= dx >= day_number(pr.diagnosed_since)
        if pr.among:
            any_of = np.zeros(n, dtype=bool)
            for a in pr.among:
                any_of |= had[a]
            elig &= any_of
        for a in pr.unless:
            elig &= ~had[a]
        kind = pr.when[0]
        anchor = None
        if kind == "relative":
            if pr.when[1] == "diagnosis":
                anchor = dx
            else:
                elig &= had[pr.when[1]]
                anchor = dates[pr.when[1]]
        idx = np.flatnonzero(elig)
        k = len(idx)
        p = pr.probability if pr.shift == "none" else _shift(pr.probability, fx.quality if pr.shift == "quality"
                                                              else fx.exception)
        p = np.full(k, float(p))
        if care_factor is not None and pr.shift == "quality":
            p = p * care_factor[idx]
        got = rng.random(k) < p
        u = rng.random(k)
        end = obs_end[idx]
        if kind == "months":
            span = np.full(k, cal.months(pr.when[1]), dtype=np.int64)
            first = end - span + 1
        elif kind == "since":
            first = np.full(k, day_number(pr.when[1]), dtype=np.int64)
            span = end - first + 1
        else:
            lo, hi = pr.when[2], pr.when[3]
            first = anchor[idx] + lo
            last = np.minimum(anchor[idx] + hi, end + 3650) if hi is not None else end
            span = last - first + 1
        day = first + np.floor(u * np.maximum(span, 0)).astype(np.int64)
        got &= (span > 0) & (day <= end)
        when = np.where(got, day, 0)
        if pr.older > 0 and kind != "relative":
            u_old, u_day = rng.random(k), rng.random(k)
            old = ~got & (u_old < pr.older)
            old_day = first - 1 - np.floor(u_day * 3 * YEAR).astype(np.int64)
            when = np.where(old, old_day, when)
            got = got | old
        values = None
        if pr.value is not None:
            v = pr.value
            values = np.round(v.median * np.exp(v.log_sd * rng.standard_normal(k)), v.decimals)
            if v.lo is not None or v.hi is not None:
                values = np.clip(values, v.lo, v.hi)
        i = idx[got]
        for cluster in pr.clusters:
            ev.add(i, cluster, when[got], None if values is None else values[got])
        if pr.name is not None:
            mask = np.zeros(n, dtype=bool)
            mask[i] = True
            full = np.zeros(n, dtype=np.int64)
            full[i] = when[got]
            had[pr.name], dates[pr.name] = mask, full
