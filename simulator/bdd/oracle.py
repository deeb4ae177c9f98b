"""The reference engine's count of one practice's records (qofsim's per-patient oracle), for steps
that check what a supplier counted."""

from __future__ import annotations

import dataclasses

from simulator.qof.catalogue import default_catalogue
from simulator.qof.engines import PracticeCounts
from simulator.qof.engines import reference


def reference_counts(qof, practice: str, without_record_faults: bool = False) -> PracticeCounts:
    """Counts of the practice's records in the world's nation (or in the same nation generated
    without the scenario's record faults)."""
    cat = default_catalogue()
    nation = qof.nation()
    if without_record_faults:
        live_spec = qof.spec().nation
        if live_spec is None:
            raise ValueError("the world's nation is not one this suite generated")
        nation = qof.pool.nation(dataclasses.replace(live_spec, record_faults=()))
    supplier = next(p["supplier"] for p in nation.practices if p["practice_code"] == practice)
    patients = reference.read_patients(nation.patients_path(supplier), nation.events_path(supplier), {practice})
    return reference.run(cat.rules, cat.clusters, patients, practices=[practice])[practice]


def diff_reference(body: dict, counts: PracticeCounts) -> list[tuple[str, object, object]]:
    """(what, sent, reference) for every count of an extract body that differs from the reference."""
    out: list[tuple[str, object, object]] = []
    if body["list_size"] != counts.list_size:
        out.append(("list size", body["list_size"], counts.list_size))
    for k, v in body["registers"].items():
        if counts.registers.get(k) != v:
            out.append((f"register {k}", v, counts.registers.get(k)))
    for i in body["indicators"]:
        ref = counts.indicators.get(i["id"])
        for f in ("numerator", "denominator", "exceptions"):
            want = getattr(ref, f) if ref is not None else None
            if i[f] != want:
                out.append((f"{i['id']} {f}", i[f], want))
    return out
