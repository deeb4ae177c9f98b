"""EMIS Web: GUID-keyed Patient and Observation tables; Read v2 codes; BP as value and associated value."""

from simulator.supplier.backends import Backend

BACKEND = Backend(
    supplier="EMIS",
    tables={
        "Patient": """
            SELECT printf('{%012d-0000-4000-8000-EMIS}', patient_id) AS PatientGuid, practice_code AS OrganisationCdb,
                   sex AS Sex, date_of_birth AS DateOfBirth, registered_from AS DateOfRegistration,
                   registered_to AS DateOfDeactivation, died_on AS DateOfDeath
            FROM patients WHERE practice_code IN (SELECT practice_code FROM practices WHERE supplier = 'EMIS')
            ORDER BY practice_code, patient_id""",
        "Observation": """
            SELECT printf('{%012d-0000-4000-8000-OBSV}', row_number() OVER ()) AS ObservationGuid,
                   printf('{%012d-0000-4000-8000-EMIS}', patient_id) AS PatientGuid, practice_code AS OrganisationCdb,
                   code AS ReadCode, date AS EffectiveDate, value AS NumericValue, value2 AS AssociatedValue
            FROM events WHERE practice_code IN (SELECT practice_code FROM practices WHERE supplier = 'EMIS')
            ORDER BY practice_code, patient_id, date""",
    },
    columns={
        "Patient": {"PatientGuid": "the patient's GUID", "OrganisationCdb": "practice (ODS code)", "Sex": "F or M",
                    "DateOfBirth": "date", "DateOfRegistration": "registration start", "DateOfDeactivation":
                    "registration end (left or died); null while registered", "DateOfDeath": "date of death, if any"},
        "Observation": {"ObservationGuid": "the entry's GUID", "PatientGuid": "Patient.PatientGuid",
                        "OrganisationCdb": "practice", "ReadCode": "Read v2 code (5 characters)",
                        "EffectiveDate": "date of the entry", "NumericValue": "value (systolic BP, HbA1c, ...)",
                        "AssociatedValue": "second value (diastolic BP)"},
    },
    patients="""
        SELECT CAST(substr(PatientGuid, 2, 12) AS BIGINT) AS patient_id, OrganisationCdb AS practice_code,
               NULL AS nhs_number, Sex AS sex, DateOfBirth AS date_of_birth, DateOfRegistration AS registered_from,
               DateOfDeactivation AS registered_to, DateOfDeath AS died_on FROM Patient""",
    events="""
        SELECT CAST(substr(PatientGuid, 2, 12) AS BIGINT) AS patient_id, OrganisationCdb AS practice_code,
               'readv2' AS system, ReadCode AS code, EffectiveDate AS date, NumericValue AS value,
               AssociatedValue AS value2 FROM Observation""",
)
