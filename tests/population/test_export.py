"""A record exported for a person to read: made-up names that stay put, events with their terms, clear refusals."""

import datetime as dt
import hashlib
import json
import re
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from mimesis import Locale, Person

from simulator.population import schema
from simulator.population.export import Event, Export, ExportError, PatientRecord, Practice
from simulator.population.export import export_records, render, to_json
from simulator.population.faults import RecordFault
from simulator.population.generate import generate_nation
from simulator.qof.catalogue import default_catalogue

CAT = default_catalogue()
SEED = 41
RANGE = (150, 300)


@pytest.fixture(scope="module")
def tiny(profile, tmp_path_factory):
    """Four practices, one per supplier (TPP's in CTV3), small lists."""
    return generate_nation(profile, n_practices=4, seed=SEED, out_dir=tmp_path_factory.mktemp("tiny"),
                           list_size_range=RANGE)


def code_of(nation, supplier):
    return next(p["practice_code"] for p in nation.practices if p["supplier"] == supplier)


def patients_of(nation, practice):
    supplier = next(p["supplier"] for p in nation.practices if p["practice_code"] == practice)
    return pq.read_table(nation.patients_path(supplier), filters=[("practice_code", "=", practice)]).sort_by("patient_id")


def busiest(nation, practice, n=5):
    """Rows of the practice's n patients with the most events: the ones worth sorting and resolving."""
    supplier = next(p["supplier"] for p in nation.practices if p["practice_code"] == practice)
    events = pq.read_table(nation.events_path(supplier), filters=[("practice_code", "=", practice)])
    per = events.group_by("patient_id").aggregate([("code", "count")]).sort_by([("code_count", "descending")])
    ids = patients_of(nation, practice).column("patient_id").to_pylist()
    return [ids.index(pid) for pid in per.column("patient_id").to_pylist()[:n]]


def full_name(r):
    return f"{r.given_name} {r.family_name}"


def test_the_same_record_always_shows_the_same_name_and_address(tiny):
    code = code_of(tiny, "EMIS")
    once = export_records(tiny.out_dir, code, first=10)
    again = export_records(tiny.out_dir, code, first=10)
    assert to_json(once) == to_json(again)
    alone = export_records(tiny.out_dir, code, indexes=[7]).records[0]
    assert (full_name(alone), alone.address) == (full_name(once.records[7]), once.records[7].address)


def test_names_and_addresses_differ_across_patients_and_practices(tiny):
    records = [r for s in schema.SUPPLIERS for r in export_records(tiny.out_dir, code_of(tiny, s), first=15).records]
    assert len({full_name(r) for r in records}) == len(records)
    assert len({r.address for r in records}) == len(records)
    assert all(len(r.address) == 3 and r.address[0].split()[0].isdigit() for r in records)


def test_given_names_follow_the_recorded_sex(tiny):
    names = Person(Locale.EN_GB)._dataset["names"]
    records = export_records(tiny.out_dir, code_of(tiny, "INPS"), first=60).records
    assert {r.sex for r in records} == {"F", "M"}
    for r in records:
        assert r.given_name in names["female" if r.sex == "F" else "male"], (r.sex, r.given_name)


def test_demographics_are_the_parquet_row(tiny):
    code = code_of(tiny, "Microtest")
    rows = patients_of(tiny, code).to_pylist()
    ach = CAT.parameters.achievement_date
    for r in export_records(tiny.out_dir, code, first=len(rows)).records:
        row = rows[r.index]
        assert r.nhs_number.replace(" ", "") == row["nhs_number"] and len(r.nhs_number) == 12
        assert [len(part) for part in r.nhs_number.split(" ")] == [3, 3, 4]
        assert (r.sex, r.date_of_birth, r.registered_from, r.registered_to, r.died_on) == (
            row["sex"], row["date_of_birth"], row["registered_from"], row["registered_to"], row["died_on"])
        on = min(ach, r.died_on or ach)
        assert r.age == on.year - r.date_of_birth.year - ((on.month, on.day) < (r.date_of_birth.month, r.date_of_birth.day))


@pytest.mark.parametrize("supplier", schema.SUPPLIERS)
def test_events_are_all_there_in_date_order_with_terms_and_clusters(tiny, supplier):
    code = code_of(tiny, supplier)
    system = schema.CODE_SYSTEM[supplier]
    export = export_records(tiny.out_dir, code, indexes=busiest(tiny, code))
    assert export.practice == Practice(code, export.practice.name, supplier, system)
    events = pq.read_table(tiny.events_path(supplier), filters=[("practice_code", "=", code)])
    ids = patients_of(tiny, code).column("patient_id")
    for r in export.records:
        mine = events.filter(pc.equal(events.column("patient_id"), ids[r.index]))
        assert len(r.events) == mine.num_rows > 0
        assert [e.date for e in r.events] == sorted(e.date for e in r.events)
        assert sorted(e.code for e in r.events) == sorted(mine.column("code").to_pylist())
        for e in r.events:
            assert e.term and e.term == CAT.cluster_terms[(system, e.code)]
            assert e.clusters and all((system, e.code) in CAT.clusters[c] for c in e.clusters)


def test_a_code_in_no_cluster_is_shown_without_a_term(profile, tiny, tmp_path):
    code = code_of(tiny, "EMIS")
    faulty = generate_nation(profile, n_practices=1, seed=SEED, out_dir=tmp_path / "f", list_size_range=RANGE,
                             faults=(RecordFault(code, "unknown_codes"),))
    records = export_records(faulty.out_dir, code, first=RANGE[1]).records
    unknown = [e for r in records for e in r.events if e.code.startswith(("ZZZZ", "XaZZZ"))]
    assert unknown and all(e.term == "" and e.clusters == () for e in unknown)
    holder = next(r for r in records if any(e.term == "" for e in r.events))
    assert "(code in no cluster)" in render(export_records(faulty.out_dir, code, indexes=[holder.index]), "text")


def test_patients_are_chosen_by_nhs_number_index_first_or_at_random(tiny):
    code = code_of(tiny, "TPP")
    numbers = patients_of(tiny, code).column("nhs_number").to_pylist()
    spaced = f"{numbers[4][:3]} {numbers[4][3:6]} {numbers[4][6:]}"
    picked = export_records(tiny.out_dir, code, nhs_numbers=[numbers[9], spaced], indexes=[2, 9], first=3)
    assert [r.index for r in picked.records] == [9, 4, 2, 0, 1]  # in the order asked, each once
    assert [r.index for r in export_records(tiny.out_dir, code).records] == [0]
    drawn = export_records(tiny.out_dir, code, random_n=5).records
    assert len({r.index for r in drawn}) == 5
    assert [r.index for r in drawn] == [r.index for r in export_records(tiny.out_dir, code, random_n=5).records]
    assert len(export_records(tiny.out_dir, code, first=10**6).records) == len(numbers)


def test_refusals_name_the_field(tiny, tmp_path):
    code, other = code_of(tiny, "EMIS"), code_of(tiny, "TPP")
    elsewhere = patients_of(tiny, other).column("nhs_number")[0].as_py()
    size = patients_of(tiny, code).num_rows
    cases = [
        ({"population": tmp_path, "practice": code}, "population"),
        ({"practice": "Z99999"}, "practice 'Z99999': not in population"),
        ({"practice": code, "nhs_numbers": [elsewhere]}, f"no patient of practice {code} has it"),
        ({"practice": code, "nhs_numbers": ["12345"]}, "nhs number '12345': expected ten digits"),
        ({"practice": code, "nhs_numbers": ["9990000017"]}, "Modulus 11"),
        ({"practice": code, "indexes": [size]}, f"index {size}: practice {code} has {size} patients"),
        ({"practice": code, "first": -1}, "first:"),
    ]
    for kwargs, expected in cases:
        kwargs.setdefault("population", tiny.out_dir)
        with pytest.raises(ExportError, match=re.escape(expected)):
            export_records(**kwargs)


def digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*"))
            if p.is_file()}


def test_names_and_addresses_never_reach_the_parquet(tiny):
    before = digest(tiny.out_dir)
    records = [r for s in schema.SUPPLIERS for r in export_records(tiny.out_dir, code_of(tiny, s), first=20).records]
    assert digest(tiny.out_dir) == before  # the export writes nothing back
    for s in schema.SUPPLIERS:
        assert pq.read_schema(tiny.patients_path(s)).names == schema.PATIENTS.names
        assert pq.read_schema(tiny.events_path(s)).names == schema.EVENTS.names
    assert not {"given_name", "family_name", "address"} & set(schema.PATIENTS.names + schema.EVENTS.names)
    words = {full_name(r) for r in records} | {r.address[0] for r in records}
    for path in tiny.out_dir.rglob("*.parquet"):
        table = pq.read_table(path)
        for col in table.column_names:
            if pa.types.is_string(table.schema.field(col).type):
                assert not words & set(table.column(col).to_pylist()), (path, col)


def made_up_export() -> Export:
    """Awkward text on purpose: Read terms carry "[X]", names carry apostrophes."""
    events = (Event(dt.date(2011, 5, 1), "Eu01.", "[X]Vascular dementia", None, None, ("DEM_COD",)),
              Event(dt.date(2012, 6, 2), "246..", "O/E - blood pressure <reading>", 128.0, 79.5, ("BP_COD",)))
    record = PatientRecord(0, "999 000 0018", "F", dt.date(1930, 2, 3), 83, dt.date(1990, 1, 1), None, None,
                           "Siobhan", "O'Brien", ("1 Mill Lane", "Leeds", "LS1 1AA"), events)
    return Export(Path("/nowhere"), 1, dt.date(2013, 3, 31), Practice("A81001", "The Mill Surgery", "EMIS", "readv2"),
                  (record,))


def test_text_shows_terms_as_written():
    text = render(made_up_export(), "text")
    assert "[X]Vascular dementia" in text and "O'Brien" in text and "999 000 0018" in text
    assert "128" in text and "79.5" in text and "female" in text and "made up for this export" in text


def test_json_has_iso_dates_and_every_field():
    data = json.loads(render(made_up_export(), "json"))
    r = data["records"][0]
    assert data["achievement_date"] == "2013-03-31" and r["date_of_birth"] == "1930-02-03"
    assert r["events"][1] == {"date": "2012-06-02", "code": "246..", "term": "O/E - blood pressure <reading>",
                              "value": 128.0, "value2": 79.5, "clusters": ["BP_COD"]}
    assert r["family_name"] == "O'Brien" and r["registered_to"] is None


def test_html_escapes_the_record_text():
    html = render(made_up_export(), "html")
    assert "O&#39;Brien" in html and "&lt;reading&gt;" in html and "[X]Vascular dementia" in html
    assert "<reading>" not in html


def test_an_unknown_format_is_refused():
    with pytest.raises(ValueError, match="pdf"):
        render(made_up_export(), "pdf")
