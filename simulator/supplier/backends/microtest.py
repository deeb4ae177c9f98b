"""Microtest Evolution: lower-case patients, registrations and coded_entries; sex spelt out; Read v2 codes."""

from simulator.supplier.backends import Backend

_MINE = "practice_code IN (SELECT practice_code FROM practices WHERE supplier = 'Microtest')"

BACKEND = Backend(
    supplier="Microtest",
    tables={
        "patients": f"""
            SELECT patient_id AS id, CASE sex WHEN 'F' THEN 'Female' ELSE 'Male' END AS gender, date_of_birth AS born,
                   died_on AS deceased FROM patients WHERE {_MINE} ORDER BY patient_id""",
        "registrations": f"""
            SELECT patient_id AS patient, practice_code AS practice, registered_from AS start_date,
                   registered_to AS end_date FROM patients WHERE {_MINE} ORDER BY patient_id""",
        "coded_entries": f"""
            SELECT patient_id AS patient, practice_code AS practice, code AS read_code, date AS entry_date,
                   value AS value_1, value2 AS value_2 FROM events WHERE {_MINE} ORDER BY patient_id, date""",
    },
    columns={
        "patients": {"id": "patient id", "gender": "Female or Male", "born": "date of birth", "deceased": "date of death"},
        "registrations": {"patient": "patients.id", "practice": "practice (ODS code)", "start_date": "date",
                          "end_date": "date; null while registered"},
        "coded_entries": {"patient": "patients.id", "practice": "practice", "read_code": "Read v2 code",
                          "entry_date": "date", "value_1": "value", "value_2": "second value (diastolic BP)"},
    },
    patients="""
        SELECT p.id AS patient_id, r.practice AS practice_code, NULL AS nhs_number,
               CASE p.gender WHEN 'Female' THEN 'F' ELSE 'M' END AS sex, p.born AS date_of_birth,
               r.start_date AS registered_from, r.end_date AS registered_to, p.deceased AS died_on
        FROM patients p JOIN registrations r ON r.patient = p.id""",
    events="""
        SELECT patient AS patient_id, practice AS practice_code, 'readv2' AS system, read_code AS code,
               entry_date AS date, value_1 AS value, value_2 AS value2 FROM coded_entries""",
)
