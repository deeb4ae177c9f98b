"""Record faults per practice: each changes only its practice, and a correct engine copes."""

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from simulator.population.faults import RecordFault, RecordFaultError, parse_record_faults
from simulator.population.generate import generate_nation
from simulator.population.profile import load_profile
from simulator.qof.catalogue import default_catalogue
from simulator.qof.engines import duckdb as engine

CAT = default_catalogue()
PROFILE = load_profile("england-2012-13")
RANGE = (1500, 2500)


def nation(tmp_path, name, faults=()):
    return generate_nation(PROFILE, n_practices=4, seed=11, out_dir=tmp_path / name, list_size_range=RANGE,
                           faults=tuple(faults))


def counts(n, practice):
    supplier = next(p["supplier"] for p in n.practices if p["practice_code"] == practice)
    return engine.run(CAT.rules, CAT.clusters, str(n.patients_path(supplier)), str(n.events_path(supplier)),
                      practices=[practice])[practice]


@pytest.fixture(scope="module")
def clean(tmp_path_factory):
    return nation(tmp_path_factory.mktemp("clean"), "n")


def target(clean):
    return clean.practices[1]["practice_code"]


@pytest.mark.parametrize("kind", ["duplicated_events", "unknown_codes"])
def test_faults_a_correct_extraction_must_not_count(tmp_path, clean, kind):
    code = target(clean)
    faulty = nation(tmp_path, kind, [RecordFault(code, kind)])
    supplier = clean.practices[1]["supplier"]
    assert pq.read_metadata(faulty.events_path(supplier)).num_rows > pq.read_metadata(clean.events_path(supplier)).num_rows
    assert counts(faulty, code).as_tuple() == counts(clean, code).as_tuple()


def test_future_dated_events_are_ignored(tmp_path, clean):
    code = target(clean)
    faulty = nation(tmp_path, "future", [RecordFault(code, "future_dated")])
    supplier = clean.practices[1]["supplier"]
    ev = pq.read_table(faulty.events_path(supplier), filters=[("practice_code", "=", code)])
    pt = pq.read_table(faulty.patients_path(supplier), filters=[("practice_code", "=", code)])
    ach = CAT.parameters.achievement_date
    assert any(d > ach for d in ev.column("date").to_pylist()), "the fault must put events after the achievement date"
    without = ev.filter(pc.less_equal(ev.column("date"), pa.scalar(ach, pa.date32())))
    assert engine.run(CAT.rules, CAT.clusters, pt, ev)[code].as_tuple() == \
        engine.run(CAT.rules, CAT.clusters, pt, without)[code].as_tuple()


def test_empty_register(tmp_path, clean):
    code = target(clean)
    faulty = nation(tmp_path, "empty", [RecordFault(code, "empty_register", "DM")])
    got = counts(faulty, code)
    assert counts(clean, code).registers["DM"] > 0
    assert got.registers["DM"] == 0
    assert all(got.indicators[i].denominator == got.indicators[i].exceptions == 0 for i in ("DM26", "DM30"))


def test_missing_codes_lose_events(tmp_path, clean):
    code = target(clean)
    faulty = nation(tmp_path, "missing", [RecordFault(code, "missing_codes")])
    supplier = clean.practices[1]["supplier"]
    assert pq.read_metadata(faulty.events_path(supplier)).num_rows < pq.read_metadata(clean.events_path(supplier)).num_rows


def test_other_practices_are_untouched(tmp_path, clean):
    code = target(clean)
    faulty = nation(tmp_path, "dup", [RecordFault(code, "missing_codes")])
    for p in clean.practices:
        if p["practice_code"] != code:
            assert counts(faulty, p["practice_code"]).as_tuple() == counts(clean, p["practice_code"]).as_tuple()


def test_bad_fault_lists_are_refused_naming_the_field():
    with pytest.raises(RecordFaultError, match=r"population.faults\[0\].kind"):
        parse_record_faults([{"practice": "A81001", "kind": "gremlins"}], CAT.rules.registers)
    with pytest.raises(RecordFaultError, match=r"population.faults\[0\].register"):
        parse_record_faults([{"practice": "A81001", "kind": "empty_register", "register": "XX"}], CAT.rules.registers)


def test_a_fault_for_an_unknown_practice_is_refused(tmp_path):
    with pytest.raises(RecordFaultError, match="no practice Q99999"):
        nation(tmp_path, "x", [RecordFault("Q99999", "missing_codes")])
