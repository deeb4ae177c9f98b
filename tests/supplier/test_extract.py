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
    path = tmp_path / "suppliers" / "EMIS" / "patients.parquet"  # a supplier's own records, where the nation keeps them
    path.parent.mkdir(parents=True)
    pq.write_table(pa.Table.from_pylist(rows, schema=PATIENTS), path)
    groups = target_populations(REQUEST, path)
    assert groups == {"C83001": {"CS": 1, "CHS": 1, "MAT": 1, "CON": 1}}
    x = build_extract(REQUEST, counts(), target_populations=groups["C83001"])
    assert x.target_populations == {"CS": 1, "CHS": 1, "MAT": 1, "CON": 1}


def test_every_group_of_the_spec_is_sent_even_when_nobody_is_in_it():
    assert build_extract(REQUEST, counts(), target_populations={}).target_populations == {
        "CS": 0, "CHS": 0, "MAT": 0, "CON": 0}


# ---------------------------------------------------------------- chunked extraction


import pytest  # noqa: E402

from simulator.population.generate import generate_nation  # noqa: E402
from simulator.population.profile import load_profile  # noqa: E402
from simulator.supplier.extract import Layout, chunks, count, count_chunks  # noqa: E402


@pytest.fixture(scope="module")
def nation(tmp_path_factory):
    return generate_nation(load_profile("england-2012-13"), n_practices=14, seed=3,
                           out_dir=tmp_path_factory.mktemp("nation"), list_size_range=(300, 900))


def _request(nation, supplier: str) -> ExtractionRequest:
    codes = tuple(p["practice_code"] for p in nation.practices_of(supplier))
    return ExtractionRequest(request_id="r-1", supplier=supplier, spec=SPEC, practices=codes,
                             submit_to="http://127.0.0.1:9/extracts")


@pytest.mark.parametrize("budget", [1, 700, 2500, 10**9])
def test_chunked_counts_are_the_counts_of_the_whole_partition(nation, budget):
    cat = default_catalogue()
    request = _request(nation, "EMIS")
    codes = list(request.practices) + ["Z99999"]  # one practice with no records at all
    whole = count(cat, nation.patients_path("EMIS"), nation.events_path("EMIS"), codes)
    groups = target_populations(request, nation.patients_path("EMIS"))
    got_counts, got_groups, n_chunks = {}, {}, 0
    for c, g in count_chunks(cat, request, nation.patients_path("EMIS"), nation.events_path("EMIS"), codes, budget):
        assert not set(c) & set(got_counts), "a practice counted in two chunks"
        got_counts.update(c)
        got_groups.update(g)
        n_chunks += 1
    assert {k: v.as_tuple() for k, v in got_counts.items()} == {k: v.as_tuple() for k, v in whole.items()}
    # the engines' seam gives every practice asked for every group, 0 when it has no records
    assert got_groups == {**groups, "Z99999": {t.group: 0 for t in request.spec.target_populations}}
    assert got_counts["Z99999"].list_size == 0
    assert n_chunks == (len(request.practices) if budget == 1 else 1 if budget == 10**9 else n_chunks)
    if budget == 2500:
        assert 1 < n_chunks < len(request.practices)


def test_chunks_follow_the_file_and_keep_within_the_budget(nation):
    layout = Layout.of(nation.patients_path("EMIS"))
    assert sum(layout.rows.values()) == pq.ParquetFile(nation.patients_path("EMIS")).metadata.num_rows
    file_order = list(layout.rows)
    wanted = list(reversed(file_order))
    got = list(chunks(layout, wanted, 2000))
    assert [p for c in got for p in c] == file_order
    for c in got:
        assert len(c) == 1 or sum(layout.rows[p] for p in c) <= 2000


def test_a_file_whose_row_groups_mix_practices_is_counted_from_its_column(nation, tmp_path):
    whole = pq.read_table(nation.patients_path("EMIS"))
    mixed = tmp_path / "suppliers" / "EMIS" / "patients.parquet"  # a supplier's own records, where the nation keeps them
    mixed.parent.mkdir(parents=True)
    pq.write_table(whole, mixed, row_group_size=1000)  # row groups straddle practices
    assert list(Layout.of(mixed).rows.items()) == list(Layout.of(nation.patients_path("EMIS")).rows.items())
