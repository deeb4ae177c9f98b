"""The checker: qofsim's own supplier passes; a tampered count and a tampered patient are named with the
indicator, the rule step and the patients; files, flags and a live supplier all go through it."""

import csv
import json
import re
import shutil

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from simulator.cli import app
from simulator.conform import check
from simulator.conform.extract import manifest


def _practice_of(population, supplier, subject):
    names = {p["practice_code"]: p["name"] for p in pq.read_table(population / "neutral/practices.parquet").to_pylist()}
    return next(c for c in manifest(population)["suppliers"][supplier] if names[c].endswith(f" {subject}"))


def _copy(src, dst):
    shutil.copytree(src, dst)
    return dst


def test_own_supplier_passes_and_writes_three_reports(population, good_extracts, tmp_path):
    r = CliRunner().invoke(app, ["conform", "check", "--population", str(population), "--extracts", str(good_extracts),
                                 "--report", str(tmp_path / "rep")])
    assert r.exit_code == 0, r.output
    assert "PASS" in r.output
    verdicts = json.loads((tmp_path / "rep/verdicts.json").read_text())
    assert verdicts["ok"] and verdicts["tally"]["fail"] == 0 and verdicts["tally"]["pass"] > 500
    junit = (tmp_path / "rep/junit.xml").read_text()
    assert 'failures="0"' in junit and "<testcase" in junit
    assert "Conformance: <span class=\"pass\">PASS" in (tmp_path / "rep/report.html").read_text()


def test_a_tampered_count_names_the_indicator_the_step_and_the_patients(population, good_extracts, tmp_path, catalogue):
    ex = _copy(good_extracts, tmp_path / "ex")
    code = _practice_of(population, "EMIS", "DM26")
    doc = json.loads((ex / f"{code}.json").read_bytes())
    dm26 = next(i for i in doc["indicators"] if i["id"] == "DM26")
    dm26["numerator"] += 1  # as the supplier in the issue did: a correct extract, one numerator more
    (ex / f"{code}.json").write_text(json.dumps(doc))
    result = check.check_folder(catalogue, population, ex)
    assert not result.ok
    [v] = [v for v in result.failures()]
    assert (v.practice, v.subject, v.check) == (code, "DM26", "counts")
    assert v.details["differences"]["numerator"]["by"] == 1
    assert v.details["step"] == 2 and "IFCCHBAM_COD" in v.details["rule"]
    probes = {p["patient_id"]: p for p in pq.read_table(population / "neutral/probes.parquet").to_pylist()}
    named = [p["patient_id"] for p in v.details["patients"]]
    assert named and all(probes[i]["subject"] == "DM26" and probes[i]["step"] == 2 for i in named)
    assert all(p["reference_outcome"] == "denominator" for p in v.details["patients"])  # the side that lost one
    r = CliRunner().invoke(app, ["conform", "check", "--population", str(population), "--extracts", str(ex),
                                 "--report", str(tmp_path / "rep")])
    assert r.exit_code == 1 and "DM26" in r.output
    assert "<failure" in (tmp_path / "rep/junit.xml").read_text()


def test_a_tampered_patient_is_named_with_the_reference_verdict(population, good_extracts, tmp_path, catalogue):
    ex = _copy(good_extracts, tmp_path / "ex")
    code = _practice_of(population, "TPP", "DM26")
    flags = pq.read_table(population / "expected/patient_flags.parquet").to_pylist()
    victim = next(f for f in flags if f["practice_code"] == code and f["subject"] == "DM26" and f["outcome"] == "numerator")
    rows = [(f["practice_code"], f["patient_id"], f["subject"],
             "exception" if f is victim else f["outcome"]) for f in flags]
    with open(ex / "patient_flags.csv", "w", newline="") as fh:
        csv.writer(fh).writerows([("practice_code", "patient_id", "subject", "outcome"), *rows])
    doc = json.loads((ex / f"{code}.json").read_bytes())  # the counts follow the flags
    dm26 = next(i for i in doc["indicators"] if i["id"] == "DM26")
    dm26.update(numerator=dm26["numerator"] - 1, denominator=dm26["denominator"] - 1, exceptions=dm26["exceptions"] + 1)
    (ex / f"{code}.json").write_text(json.dumps(doc))
    result = check.check_folder(catalogue, population, ex)
    failed = {(v.practice, v.subject, v.check): v for v in result.failures()}
    assert set(failed) == {(code, "DM26", "counts"), (code, "DM26", "patients")}
    [p] = failed[(code, "DM26", "patients")].details["patients"]
    assert p["patient_id"] == victim["patient_id"] and p["supplier_outcome"] == "exception"
    assert p["reference"].startswith("numerator at step 2: latest IFCCHBAM_COD on ") and "<= 59" in p["reference"]
    counts = failed[(code, "DM26", "counts")]
    assert counts.details["patients_exact"] and counts.details["step"] == 2
    assert [q["patient_id"] for q in counts.details["patients"]] == [victim["patient_id"]]
    passed = [v for v in result.verdicts if v.check == "patients" and v.status == "pass"]
    assert len(passed) > 100  # every other practice × subject compared patient by patient


def test_missing_unreadable_and_off_schema_extracts(population, good_extracts, tmp_path, catalogue):
    ex = _copy(good_extracts, tmp_path / "ex")
    gone = _practice_of(population, "INPS", "DM26")
    (ex / f"{gone}.json").unlink()
    broken = _practice_of(population, "INPS", "DEP06")
    (ex / f"{broken}.json").write_text("{not json")
    odd = _practice_of(population, "Microtest", "DM26")
    doc = json.loads((ex / f"{odd}.json").read_bytes())
    doc["indicators"][1]["id"] = "DM99"
    doc["indicators"][0]["numerator"] = doc["indicators"][0]["denominator"] + 1
    (ex / f"{odd}.json").write_text(json.dumps(doc))
    result = check.check_folder(catalogue, population, ex)
    got = {(v.practice, v.subject, v.check, v.status) for v in result.failures()}
    assert (gone, "extract", "completeness", "fail") in got
    assert (broken, "extract", "schema", "error") in got
    first = doc["indicators"][0]["id"]
    assert (odd, "DM99", "schema", "fail") in got  # not in the spec's enum, named by the id sent
    replaced = next(i for i in ("DM26", "ASTHMA08", "DEP06") if i not in {x["id"] for x in doc["indicators"]})
    assert (odd, replaced, "completeness", "fail") in got  # the indicator DM99 stands in for is missing
    assert (odd, first, "invariants", "fail") in got  # numerator above denominator: what JSON Schema cannot say


def test_a_count_is_its_value_however_written_to_the_kit_as_to_gpes(population, good_extracts, tmp_path, catalogue):
    """5.0 is the integer 5 to the published schema and to GPES, so to the kit; 30.00000000000000001 is
    no count to any of them (read as a float it would round to 30)."""
    ex = _copy(good_extracts, tmp_path / "ex")
    code = _practice_of(population, "EMIS", "DM26")
    raw = (ex / f"{code}.json").read_text()
    spelled, n = re.subn(r'(": ?)([0-9]+)(?=[,}])', r"\1\2.0", raw)  # every count: registers, indicators, list
    assert n == 1 + 3 * len(json.loads(raw)["indicators"]) + len(json.loads(raw)["registers"]) \
        + len(json.loads(raw).get("target_populations", {}))
    (ex / f"{code}.json").write_text(spelled)
    assert check.check_folder(catalogue, population, ex).ok
    doc = json.loads(raw)
    n = next(i for i in doc["indicators"] if i["id"] == "DM26")["numerator"]
    dm26 = re.search(r'\{[^{}]*"id": ?"DM26"[^{}]*\}', raw).group()
    (ex / f"{code}.json").write_text(raw.replace(dm26, re.sub(r'("numerator": ?)[0-9]+', rf"\g<1>{n}.00000000000000001",
                                                              dm26)))
    got = {(v.practice, v.subject, v.check) for v in check.check_folder(catalogue, population, ex).failures()}
    assert {(code, "DM26", "schema"), (code, "DM26", "invariants")} <= got


@pytest.mark.slow
def test_a_live_supplier_is_checked_over_the_wire(population, tmp_path, catalogue):
    from simulator.db import sessions
    from simulator.services import running, serve
    from simulator.supplier import app as supplier_app
    from simulator.supplier.service import Supplier

    practices = manifest(population)["suppliers"]["EMIS"]
    supplier = Supplier("EMIS", catalogue, population / "neutral/patients.parquet", population / "neutral/events.parquet",
                        practices, sessions(f"sqlite:///{tmp_path / 'emis.db'}"))
    from tests.credentials import AUTH, token

    served = serve("supplier-EMIS", supplier_app.create_app(supplier, AUTH))
    with running(served):
        r = CliRunner().invoke(app, ["conform", "check", "--population", str(population), "--url", served.url,
                                     "--timeout", "60", "--report", str(tmp_path / "rep"), "--token", token("gpes")])
    assert r.exit_code == 0, r.output
    verdicts = json.loads((tmp_path / "rep/verdicts.json").read_text())["verdicts"]
    assert {v["practice"] for v in verdicts} == set(practices)


def test_bad_arguments_are_refused_naming_the_option(population, tmp_path):
    run = lambda *a: CliRunner().invoke(app, ["conform", *a])  # noqa: E731
    r = run("check", "--population", str(tmp_path), "--extracts", str(tmp_path))
    assert r.exit_code == 2 and "--population" in r.output and "manifest.json" in r.output
    r = run("check", "--population", str(population))
    assert r.exit_code == 2 and "--extracts DIR or --url URL" in r.output
    r = run("check", "--population", str(population), "--extracts", str(tmp_path / "nowhere"))
    assert r.exit_code == 2 and "no such folder" in r.output
    r = run("export", "--out", str(tmp_path / "p"), "--indicators", "DM26,DM99")
    assert r.exit_code == 2 and "DM99" in r.output
