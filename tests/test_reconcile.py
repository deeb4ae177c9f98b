"""Reconciliation finds what it should: lost, altered or doubled extracts, wrong points or payments."""

import copy
import json
from decimal import Decimal

import pytest

from simulator.contracts import canonical_json, sha256
from simulator.cqrs.achievement import achievement_of, registers_by_id, score_practice
from simulator.cqrs.longformat import extract_to_rows
from simulator.cqrs.payments import PracticeFigures, national_prevalence, national_target_average, practice_payment
from simulator.contracts.errors import parse_extract
from simulator.gpes.spec import build_spec
from simulator.qof.catalogue import default_catalogue
from simulator.qof.engines import IndicatorCounts, PracticeCounts
from simulator.reconcile import nhs_numbers_in, reconcile

CAT = default_catalogue()
SPEC = build_spec(CAT)
PRACTICES = [{"practice_code": "A81001", "supplier": "TPP", "ccg_code": "05X"},
             {"practice_code": "C83001", "supplier": "EMIS", "ccg_code": "06Y"}]


def body(code, supplier, num, reg, list_size, targets=None, yes=True):
    """An extract with the same counts for every indicator; yes/no evidence 0 when not ``yes``."""
    return canonical_json({
        "schema_version": "1", "extract_id": f"x-{code}", "request_id": "r", "spec_id": SPEC.spec_id,
        "supplier": supplier, "practice_code": code, "achievement_date": "2013-03-31", "list_size": list_size,
        "registers": {r.id: reg for r in SPEC.registers},
        "indicators": [{"id": i.id, "numerator": num if yes or i.kind == "ratio" else 0, "denominator": 40,
                        "exceptions": 1} for i in SPEC.indicators],
        **({"target_populations": targets} if targets else {})})


def make_evidence(bodies):
    extracts = [parse_extract(b) for b in bodies.values()]
    reg_ind = {r.id: r.indicator for r in CAT.rules.registers.values()}
    fields = {}
    for x in extracts:
        f = {}
        for ind, name, v in extract_to_rows(x, reg_ind):
            f.setdefault(ind, {})[name] = v
        fields[x.practice_code] = f
    figures = {c: PracticeFigures(c, x.list_size, registers_by_id(CAT, fields[c]), x.target_populations)
               for c, x in zip(fields, extracts)}
    national = national_prevalence(figures.values(), CAT.rules.registers)
    natp = national_target_average(figures.values(), [t.group for t in SPEC.target_populations], CAT.parameters.cpi_divisor)
    achievements = {}
    for x in extracts:
        scored = score_practice(CAT, fields[x.practice_code])
        pay = practice_payment(CAT, figures[x.practice_code], scored, national, natp)
        a = achievement_of(CAT, x.practice_code, x.extract_id, "Payment Instructed", x.list_size, scored, pay)
        achievements[x.practice_code] = a.model_dump(mode="json")
    return {
        "outboxes": [{"extract_id": k, "practice_code": k[2:], "sha256": sha256(b), "status": 201, "body": b.decode()}
                     for k, b in bodies.items()],
        "receipts": [{"extract_id": k, "practice_code": k[2:], "sha256": sha256(b)} for k, b in bodies.items()],
        "extracts": [{"extract_id": k, "practice_code": k[2:], "sha256": sha256(b), "current": True} for k, b in bodies.items()],
        "bodies": dict(bodies),
        "achievements": achievements,
        "instructions": [{"practice_code": c, "amount_gbp": a["payment_gbp"]} for c, a in achievements.items()],
    }


@pytest.fixture
def evidence():
    return make_evidence({"x-A81001": body("A81001", "TPP", 33, 300, 6000),
                          "x-C83001": body("C83001", "EMIS", 21, 180, 4100)})


@pytest.fixture
def with_targets():
    """A81001 sends its target populations and no yes/no evidence; C83001 sends CS only."""
    return make_evidence({"x-A81001": body("A81001", "TPP", 33, 300, 6000, {"CS": 1800, "CHS": 380, "MAT": 1400,
                                                                           "CON": 1400}, yes=False),
                          "x-C83001": body("C83001", "EMIS", 21, 180, 4100, {"CS": 900})})


def run(ev, **kw):
    return reconcile(CAT, PRACTICES, ev["outboxes"], ev["receipts"], ev["extracts"], ev["bodies"],
                     ev["achievements"], ev["instructions"], **kw)


def failed(ev):
    return {d.check for d in run(ev).discrepancies}


def test_a_coherent_run_reconciles(evidence):
    rec = run(evidence)
    assert rec.discrepancies == []
    assert rec.checks["payment re-derives to the penny (QMAS)"] == 2
    assert rec.checks["points re-derive (QMAS)"] == 2 * len(CAT.indicators)
    assert rec.checks["GPES received only what suppliers sent"] == rec.checks["CQRS stored only what GPES received"] == 2


def test_counts_written_with_a_fraction_or_exponent_reconcile_as_the_integers_they_are():
    """GPES and CQRS take 33.0 as 33 (a JSON number is its value); the QMAS side must read it so too."""
    spelled = body("A81001", "TPP", 33, 300, 6000).replace(b'"numerator":33', b'"numerator":33.0') \
        .replace(b'"list_size":6000', b'"list_size":6e3')
    assert b"33.0" in spelled and b"6e3" in spelled
    assert run(make_evidence({"x-A81001": spelled, "x-C83001": body("C83001", "EMIS", 21, 180, 4100)})).discrepancies == []


def test_bytes_altered_after_gpes_are_caught(evidence):
    tampered = json.loads(evidence["bodies"]["x-A81001"])
    tampered["indicators"][0]["numerator"] += 1
    evidence["bodies"]["x-A81001"] = canonical_json(tampered)
    assert {"bytes unchanged end to end", "counts conserved supplier -> CQRS"} <= failed(evidence)


def test_an_extract_lost_between_gpes_and_cqrs_is_caught(evidence):
    evidence["extracts"] = evidence["extracts"][1:]
    del evidence["bodies"]["x-A81001"]
    assert {"CQRS stored what GPES received", "CQRS holds one current extract"} <= failed(evidence)


def test_a_receipt_with_another_checksum_is_caught(evidence):
    evidence["receipts"][0]["sha256"] = "0" * 64
    assert failed(evidence) == {"GPES received what the supplier sent"}


def test_extracts_no_supplier_sent_in_this_collection_are_caught(evidence):
    """A database shared with an earlier run: GPES and CQRS hold that run's extracts too (superseded).
    Counting only from the supplier side, this reconciled with 12 sent and 24 received and stored."""
    evidence["receipts"].append({"extract_id": "old-A81001", "practice_code": "A81001", "sha256": "1" * 64})
    evidence["extracts"].append({"extract_id": "old-A81001", "practice_code": "A81001", "sha256": "1" * 64,
                                 "current": False})
    rec = run(evidence)
    assert {(d.check, d.practice_code) for d in rec.discrepancies} == {
        ("GPES received only what suppliers sent", "A81001")}
    evidence["receipts"].pop()
    assert failed(evidence) == {"CQRS stored only what GPES received"}


def test_a_payment_a_penny_out_is_caught(evidence):
    a = evidence["achievements"]["A81001"]
    a["payment_gbp"] = str(Decimal(a["payment_gbp"]) + Decimal("0.01"))
    evidence["instructions"][0]["amount_gbp"] = a["payment_gbp"]
    assert failed(evidence) == {"payment re-derives to the penny (QMAS)"}


def test_points_a_hundredth_out_are_caught(evidence):
    ind = evidence["achievements"]["C83001"]["indicators"][5]
    ind["points"] = str(Decimal(ind["points"]) + Decimal("0.01"))
    assert "points re-derive (QMAS)" in failed(evidence)


def test_a_second_payment_instruction_is_caught(evidence):
    evidence["instructions"].append(copy.deepcopy(evidence["instructions"][0]))
    assert failed(evidence) == {"one payment instruction per paid practice"}


def test_an_nhs_number_in_an_outgoing_body_is_caught(evidence):
    evidence["outboxes"][0]["body"] = evidence["outboxes"][0]["body"][:-1] + ',"note":"9990001235"}'
    assert "no patient identifier leaves a supplier" in failed(evidence)


def test_nhs_number_detection_needs_a_valid_check_digit():
    assert nhs_numbers_in(b'{"x":"9434765919"}') == ["9434765919"]
    assert nhs_numbers_in(b'{"x":["943 476 5919"]}') == ["9434765919"]
    assert nhs_numbers_in(b'{"x":9434765919}') == ["9434765919"]
    assert nhs_numbers_in(b'{"x":"9434765918", "list_size": 1234567890}') == []


def test_digits_inside_an_identifier_are_not_an_nhs_number():
    assert nhs_numbers_in(b'{"extract_id":"6f1c2d3e-aaaa-4bbb-8ccc-d9434765919e"}') == []


def test_a_body_that_is_not_json_is_scanned_as_text():
    assert nhs_numbers_in(b"patient 9434765919 seen") == ["9434765919"]


def test_manual_entries_are_re_derived_too(evidence):
    """A yes/no entry scores its points in CQRS; QMAS must see the same entry to agree."""
    code = next(c for c, d in CAT.indicators.items() if not d.extracted and d.lower is None)
    entries = {"A81001": [{"ind_code": code, "achieved": True, "numerator": None, "denominator": None}]}
    rec = reconcile(CAT, PRACTICES, evidence["outboxes"], evidence["receipts"], evidence["extracts"],
                    evidence["bodies"], evidence["achievements"], evidence["instructions"], manual=entries)
    assert "points re-derive (QMAS)" in {d.check for d in rec.discrepancies}  # CQRS did not score it: caught


def test_yes_no_evidence_and_target_populations_re_derive(with_targets):
    rec = run(with_targets)
    assert rec.discrepancies == []
    a = with_targets["achievements"]["A81001"]
    assert {i["ind_code"]: i["points"] for i in a["indicators"] if i["ind_code"] in ("PC02", "MAT01")} == {
        "PC02": "0", "MAT01": "0"}  # no evidence in the records: "no"
    assert "Additional services: Cervical screening (target population CS)" in a["components_gbp"]
    assert "Additional services: Maternity (CPI: no target population MAT)" in \
        with_targets["achievements"]["C83001"]["components_gbp"]


def test_an_additional_service_paid_by_cpi_instead_of_its_target_population_is_caught(with_targets):
    """CQRS paying A81001 as if it had sent no target populations differs from QMAS."""
    x = json.loads(with_targets["bodies"]["x-A81001"])
    without = make_evidence({"x-A81001": canonical_json({k: v for k, v in x.items() if k != "target_populations"}),
                             "x-C83001": with_targets["bodies"]["x-C83001"]})
    with_targets["achievements"]["A81001"]["payment_gbp"] = without["achievements"]["A81001"]["payment_gbp"]
    with_targets["instructions"][0]["amount_gbp"] = without["achievements"]["A81001"]["payment_gbp"]
    assert failed(with_targets) == {"payment re-derives to the penny (QMAS)"}


def test_target_populations_are_checked_against_the_reference_count(with_targets):
    oracle = {c: PracticeCounts(c) for c in ("A81001", "C83001")}
    for code, b in with_targets["bodies"].items():
        x = json.loads(b)
        o = oracle[x["practice_code"]]
        o.list_size, o.registers = x["list_size"], x["registers"]
        o.indicators = {i["id"]: IndicatorCounts(i["numerator"], i["denominator"], i["exceptions"]) for i in x["indicators"]}
    right = {"A81001": {"CS": 1800, "CHS": 380, "MAT": 1400, "CON": 1400}, "C83001": {"CS": 900, "CHS": 5}}
    assert run(with_targets, oracle=oracle, oracle_targets=right).discrepancies == []
    wrong = {**right, "C83001": {"CS": 901}}
    assert {(d.check, d.practice_code) for d in run(with_targets, oracle=oracle, oracle_targets=wrong).discrepancies} == {
        ("target populations match the reference count", "C83001")}


def test_a_sampled_oracle_checks_only_the_practices_it_re_counted(with_targets):
    """oracle_practices: the reference engine re-counted A81001 only; C83001 is neither compared
    nor a discrepancy for lacking a re-count, and a wrong count in the sample is still caught."""
    x = json.loads(with_targets["bodies"]["x-A81001"])
    o = PracticeCounts("A81001", x["list_size"], x["registers"],
                       {i["id"]: IndicatorCounts(i["numerator"], i["denominator"], i["exceptions"]) for i in x["indicators"]})
    targets = {"A81001": dict(x["target_populations"])}
    rec = run(with_targets, oracle={"A81001": o}, oracle_targets=targets, oracle_practices={"A81001"})
    assert rec.discrepancies == []
    assert rec.checks["supplier counts match the reference engine"] == 1
    assert rec.checks["target populations match the reference count"] == 1
    unsampled = run(with_targets, oracle={"A81001": o}, oracle_targets=targets)  # no sample named: every practice
    assert {(d.check, d.practice_code) for d in unsampled.discrepancies} >= {
        ("supplier counts match the reference engine", "C83001")}
    o.registers = {**o.registers, next(iter(o.registers)): o.registers[next(iter(o.registers))] + 1}
    wrong = run(with_targets, oracle={"A81001": o}, oracle_targets=targets, oracle_practices={"A81001"})
    assert {(d.check, d.practice_code) for d in wrong.discrepancies} == {
        ("supplier counts match the reference engine", "A81001")}


def test_a_count_that_differs_from_the_reference_is_named_alone():
    """Issue #9: a mismatch printed the whole practice (84 indicators twice) without naming the indicator."""
    from simulator.reconcile import _count_differences

    got = (900, {"DM": 40}, {"DM26": (383, 400, 2), "DM27": (1, 2, 0)})
    want = (900, {"DM": 41}, {"DM26": (382, 400, 2), "DM27": (1, 2, 0)})
    assert _count_differences(got, want) == "register DM: supplier 40, reference 41; DM26 numerator: supplier 383, " \
                                            "reference 382 (+1)"
    assert _count_differences(got, None) == "the reference engine has no counts for this practice"
