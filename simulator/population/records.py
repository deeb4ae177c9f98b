"""Hand-built records <-> the neutral Arrow tables, so spec tests can feed both engines."""

from __future__ import annotations

from typing import Iterable

import pyarrow as pa

from simulator.population import schema
from simulator.population.schema import Patient


def to_tables(patients: Iterable[Patient]) -> tuple[pa.Table, pa.Table]:
    pats, evs = [], []
    for p in patients:
        pats.append({"patient_id": p.patient_id, "practice_code": p.practice_code, "nhs_number": None,
                     "sex": p.sex, "date_of_birth": p.date_of_birth, "registered_from": p.registered_from,
                     "registered_to": p.registered_to, "died_on": None})
        for e in p.events:
            evs.append({"patient_id": p.patient_id, "practice_code": p.practice_code, "system": e.system,
                        "code": e.code, "date": e.date, "value": e.value, "value2": e.value2})
    return (pa.Table.from_pylist(pats, schema=schema.PATIENTS), pa.Table.from_pylist(evs, schema=schema.EVENTS))
