"""The neutral record model every supplier holds (before its own backend's layout).

Three Arrow tables, written as Parquet: ``practices``, ``patients`` (one registration each),
``events`` (coded entries: Read v2 for EMIS/INPS/Microtest, CTV3 for TPP). Engines read
these columns and nothing else.
"""

import datetime as dt
from dataclasses import dataclass, field

import pyarrow as pa

PRACTICES = pa.schema([
    ("practice_code", pa.string()),
    ("name", pa.string()),
    ("supplier", pa.string()),
    ("ccg_code", pa.string()),
    ("area_team", pa.string()),
    ("postcode", pa.string()),
])

PATIENTS = pa.schema([
    ("patient_id", pa.int64()),
    ("practice_code", pa.string()),
    ("nhs_number", pa.string()),
    ("sex", pa.string()),
    ("date_of_birth", pa.date32()),
    ("registered_from", pa.date32()),
    ("registered_to", pa.date32()),  # null: still registered; set on leaving or death
    ("died_on", pa.date32()),
])

EVENTS = pa.schema([
    ("patient_id", pa.int64()),
    ("practice_code", pa.string()),
    ("system", pa.string()),
    ("code", pa.string()),
    ("date", pa.date32()),
    ("value", pa.float64()),
    ("value2", pa.float64()),
])

SUPPLIERS = ("EMIS", "TPP", "INPS", "Microtest")
CODE_SYSTEM = {"EMIS": "readv2", "TPP": "ctv3", "INPS": "readv2", "Microtest": "readv2"}


# ---------------------------------------------------------------- the same records, one patient at a time


@dataclass(frozen=True)
class Event:
    """One row of ``events`` (without its patient and practice)."""

    code: str
    date: dt.date
    value: float | None = None
    value2: float | None = None
    system: str = "readv2"


@dataclass
class Patient:
    """One row of ``patients`` with its events: the form the reference engine and hand-built tests use."""

    patient_id: int
    practice_code: str
    date_of_birth: dt.date
    registered_from: dt.date
    registered_to: dt.date | None = None
    events: list[Event] = field(default_factory=list)
    sex: str = "F"

    def registered_on(self, day: dt.date) -> bool:
        return self.registered_from <= day and (self.registered_to is None or self.registered_to > day)
