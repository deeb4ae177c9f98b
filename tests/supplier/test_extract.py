"""A supplier's extract: counts from its engine run, and the spec's target populations."""

import datetime as dt

import pyarrow as pa
import pyarrow.parquet as pq

from simulator.contracts import ExtractionRequest
from simulator.gpes.spec import build_spec
from simulator.population.schema import PATIENTS
from simulator.qof.catalogue import default_catalogue
from simulator.qof.engines import IndicatorCounts, PracticeCounts
from simulator.supplier.extract import build_extract, target_populations

SPEC = build_spec(default_catalogue())
REQUEST = ExtractionRequest(request_id="r-1", supplier="EMIS", spec=SPEC, practices=("C83001",),
                            submit_to="http://127.0.0.1:9/extracts")


def counts() -> PracticeCounts:
    pc = PracticeCounts("C83001")
    pc.list_size = 3
    pc.registers = {r.id: 1 for r in SPEC.registers}
    pc.indicators = {i.id: IndicatorCounts(1, 1, 0) for i in SPEC.indicators}
    return pc


def test_target_populations_are_counted_on_the_list_size_date(tmp_path):
    d = dt.date.fromisoformat
    rows = [{"patient_id": 1, "practice_code": "C83001", "nhs_number": "9990000018", "sex": "F",
             "date_of_birth": d("1980-05-01"), "registered_from": d("2001-01-01"), "registered_to": None, "died_on": None},
            {"patient_id": 2, "practice_code": "C83001", "nhs_number": "9990000026", "sex": "M",
             "date_of_birth": d("2010-05-01"), "registered_from": d("2010-05-01"), "registered_to": None, "died_on": None},
            {"patient_id": 3, "practice_code": "C83001", "nhs_number": "9990000034", "sex": "F",
             "date_of_birth": d("1980-05-01"), "registered_from": d("2001-01-01"), "registered_to": d("2012-12-31"),
             "died_on": None}]
    path = tmp_path / "patients.parquet"
    pq.write_table(pa.Table.from_pylist(rows, schema=PATIENTS), path)
    groups = target_populations(REQUEST, path)
    assert groups == {"C83001": {"CS": 1, "CHS": 1, "MAT": 1, "CON": 1}}
    x = build_extract(REQUEST, counts(), target_populations=groups["C83001"])
    assert x.target_populations == {"CS": 1, "CHS": 1, "MAT": 1, "CON": 1}


def test_every_group_of_the_spec_is_sent_even_when_nobody_is_in_it():
    assert build_extract(REQUEST, counts(), target_populations={}).target_populations == {
        "CS": 0, "CHS": 0, "MAT": 0, "CON": 0}
