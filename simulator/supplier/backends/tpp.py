"""TPP SystmOne: the SR tables — SRPatient, registrations in their own history table, SRCode with CTV3
codes and timestamps, numeric values in NumericValue / NumericValue2."""

from simulator.supplier.backends import Backend

_MINE = "practice_code IN (SELECT practice_code FROM practices WHERE supplier = 'TPP')"

BACKEND = Backend(
    supplier="TPP",
    tables={
        "SRPatient": f"""
            SELECT patient_id AS RowIdentifier, CASE sex WHEN 'F' THEN 'F' ELSE 'M' END AS Gender,
                   date_of_birth AS DateBirth, died_on AS DateDeath
            FROM patients WHERE {_MINE} ORDER BY patient_id""",
        "SRPatientRegistrationHistory": f"""
            SELECT row_number() OVER (ORDER BY patient_id) AS RowIdentifier, patient_id AS IDPatient,
                   practice_code AS IDOrganisation, registered_from AS DateFrom, registered_to AS DateTo
            FROM patients WHERE {_MINE} ORDER BY patient_id""",
        "SRCode": f"""
            SELECT row_number() OVER () AS RowIdentifier, patient_id AS IDPatient, practice_code AS IDOrganisation,
                   code AS CTV3Code, CAST(date AS TIMESTAMP) AS DateEvent, value AS NumericValue,
                   value2 AS NumericValue2
            FROM events WHERE {_MINE} ORDER BY patient_id, date""",
    },
    columns={
        "SRPatient": {"RowIdentifier": "patient id", "Gender": "F or M", "DateBirth": "date of birth",
                      "DateDeath": "date of death, if any"},
        "SRPatientRegistrationHistory": {"RowIdentifier": "row", "IDPatient": "SRPatient.RowIdentifier",
                                         "IDOrganisation": "practice (ODS code)", "DateFrom": "registration start",
                                         "DateTo": "registration end; null while registered"},
        "SRCode": {"RowIdentifier": "row", "IDPatient": "SRPatient.RowIdentifier", "IDOrganisation": "practice",
                   "CTV3Code": "CTV3 code (5 characters)", "DateEvent": "timestamp of the entry",
                   "NumericValue": "value", "NumericValue2": "second value (diastolic BP)"},
    },
    patients="""
        SELECT p.RowIdentifier AS patient_id, r.IDOrganisation AS practice_code, NULL AS nhs_number, p.Gender AS sex,
               p.DateBirth AS date_of_birth, r.DateFrom AS registered_from, r.DateTo AS registered_to,
               p.DateDeath AS died_on
        FROM SRPatient p JOIN SRPatientRegistrationHistory r ON r.IDPatient = p.RowIdentifier""",
    events="""
        SELECT IDPatient AS patient_id, IDOrganisation AS practice_code, 'ctv3' AS system, CTV3Code AS code,
               CAST(DateEvent AS DATE) AS date, NumericValue AS value, NumericValue2 AS value2 FROM SRCode""",
)
