"""INPS Vision: upper-case PATIENT and JOURNAL tables, dates as YYYYMMDD text, sex as 1 (male) / 2 (female),
the two values of an entry in DATA1 / DATA2."""

from simulator.supplier.backends import Backend

_MINE = "practice_code IN (SELECT practice_code FROM practices WHERE supplier = 'INPS')"

BACKEND = Backend(
    supplier="INPS",
    tables={
        "PATIENT": f"""
            SELECT patient_id AS PATIENT_ID, practice_code AS PRACTICE_ID, CASE sex WHEN 'M' THEN 1 ELSE 2 END AS SEX,
                   strftime(date_of_birth, '%Y%m%d') AS DOB, strftime(registered_from, '%Y%m%d') AS REG_DATE,
                   strftime(registered_to, '%Y%m%d') AS DEREG_DATE, strftime(died_on, '%Y%m%d') AS DEATH_DATE
            FROM patients WHERE {_MINE} ORDER BY practice_code, patient_id""",
        "JOURNAL": f"""
            SELECT patient_id AS PATIENT_ID, practice_code AS PRACTICE_ID, code AS READ_CODE,
                   strftime(date, '%Y%m%d') AS EVENT_DATE, value AS DATA1, value2 AS DATA2
            FROM events WHERE {_MINE} ORDER BY practice_code, patient_id, date""",
    },
    columns={
        "PATIENT": {"PATIENT_ID": "patient id", "PRACTICE_ID": "practice (ODS code)", "SEX": "1 male, 2 female",
                    "DOB": "YYYYMMDD", "REG_DATE": "YYYYMMDD", "DEREG_DATE": "YYYYMMDD; empty while registered",
                    "DEATH_DATE": "YYYYMMDD, if died"},
        "JOURNAL": {"PATIENT_ID": "PATIENT.PATIENT_ID", "PRACTICE_ID": "practice", "READ_CODE": "Read v2 code",
                    "EVENT_DATE": "YYYYMMDD", "DATA1": "value", "DATA2": "second value (diastolic BP)"},
    },
    patients="""
        SELECT PATIENT_ID AS patient_id, PRACTICE_ID AS practice_code, NULL AS nhs_number,
               CASE SEX WHEN 1 THEN 'M' ELSE 'F' END AS sex, CAST(strptime(DOB, '%Y%m%d') AS DATE) AS date_of_birth,
               CAST(strptime(REG_DATE, '%Y%m%d') AS DATE) AS registered_from,
               CAST(strptime(DEREG_DATE, '%Y%m%d') AS DATE) AS registered_to,
               CAST(strptime(DEATH_DATE, '%Y%m%d') AS DATE) AS died_on FROM PATIENT""",
    events="""
        SELECT PATIENT_ID AS patient_id, PRACTICE_ID AS practice_code, 'readv2' AS system, READ_CODE AS code,
               CAST(strptime(EVENT_DATE, '%Y%m%d') AS DATE) AS date, DATA1 AS value, DATA2 AS value2 FROM JOURNAL""",
)
