"""`qofsim record`: a patient's record for a person to read, and clear refusals (exit 2, no traceback)."""

import json

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from simulator.cli import app
from simulator.population.generate import generate_nation
from simulator.population.profile import load_profile

runner = CliRunner()


@pytest.fixture(scope="module")
def population(tmp_path_factory):
    nation = generate_nation(load_profile("england-2012-13"), n_practices=2, seed=3,
                             out_dir=tmp_path_factory.mktemp("pop"), list_size_range=(100, 200))
    emis, tpp = nation.practices  # the first practices are EMIS then TPP
    numbers = {p["practice_code"]: pq.read_table(nation.patients_path(p["supplier"])).column("nhs_number").to_pylist()
               for p in nation.practices}
    return nation.out_dir, emis["practice_code"], tpp["practice_code"], numbers


def record(*args):
    return runner.invoke(app, ["record", *map(str, args)])


def test_text_names_the_practice_and_the_patient(population):
    folder, emis, _, numbers = population
    r = record(folder, "--practice", emis, "--nhs-number", numbers[emis][3])
    assert r.exit_code == 0, r.output
    n = numbers[emis][3]
    assert f"NHS {n[:3]} {n[3:6]} {n[6:]}" in r.output and emis in r.output and "codes in Read v2" in r.output
    assert "made up for this export" in r.output


def test_json_is_the_same_every_time(population):
    folder, _, tpp, _ = population
    runs = [record(folder, "--practice", tpp, "--first", 3, "--random", 2, "--format", "json") for _ in range(2)]
    assert all(r.exit_code == 0 for r in runs), runs[0].output
    assert runs[0].output == runs[1].output
    data = json.loads(runs[0].output)
    assert data["practice"]["code_system"] == "ctv3" and 3 <= len(data["records"]) <= 5
    assert all(r["given_name"] and r["family_name"] for r in data["records"])


@pytest.mark.parametrize("fmt, marker", [("html", "<!doctype html>"), ("text", "coded events"), ("json", '"records"')])
def test_out_writes_the_file(population, tmp_path, fmt, marker):
    folder, emis, _, _ = population
    out = tmp_path / "suppliers" / "EMIS" / f"record.{fmt}"  # patient-level: kept where the identifier scan leaves
    out.parent.mkdir(parents=True)                           # a supplier's own records (tests/after_suite_scan.py)
    r = record(folder, "--practice", emis, "--index", 1, "--index", 0, "--format", fmt, "--out", out)
    assert r.exit_code == 0, r.output
    assert f"2 records ({fmt}) -> {out}" in r.output.replace("\n", "")
    assert marker in out.read_text()


def test_refusals_name_the_field_and_exit_2(population, tmp_path):
    folder, emis, tpp, numbers = population
    cases = [
        ([tmp_path, "--practice", emis], "not a population"),
        ([folder, "--practice", "Z99999"], "practice 'Z99999'"),
        ([folder, "--practice", emis, "--nhs-number", numbers[tpp][0]], f"no patient of practice {emis}"),
        ([folder, "--practice", emis, "--nhs-number", "12"], "nhs number '12'"),
        ([folder, "--practice", emis, "--index", 10**6], "index 1000000"),
        ([folder, "--practice", emis, "--format", "pdf"], "--format: 'pdf'"),
        ([folder, "--practice", emis, "--out", tmp_path / "no" / "such" / "dir.txt"], "--out"),
    ]
    for args, expected in cases:
        r = record(*args)
        assert r.exit_code == 2, (args, r.output)
        assert "error:" in r.output and expected in " ".join(r.output.split()), (args, r.output)
        assert "Traceback" not in r.output and isinstance(r.exception, SystemExit)
