"""The neutral record model every supplier holds (before its own backend's layout).

Three Arrow tables, written as Parquet: ``practices``, ``patients`` (one registration each),
``events`` (coded entries: Read v2 for EMIS/INPS/Microtest, CTV3 for TPP). Engines read
these columns and nothing else.
"""

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
