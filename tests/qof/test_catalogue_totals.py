"""The whole 2012/13 catalogue adds up: 148 indicators, 104 extracted, 1,000 points, clinical 666,
diabetes 88, AF 27 and every other total in catalogue_totals_2012_13.csv; a catalogue that does not
add up is refused with a message naming the file, the field or area and the actual and expected
figures; and every adjustment of a seed value is recorded, on a placeholder [I] value only."""

from __future__ import annotations

import csv
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from simulator.qof.catalogue import (CatalogueError, check_totals, is_placeholder, load_catalogue, load_indicators,
                                     load_totals)

INDICATORS = "indicators_2012_13.csv"
TOTALS = "catalogue_totals_2012_13.csv"
ADJUSTMENTS = "catalogue_adjustments_2012_13.csv"


def _points(catalogue, **where) -> Decimal:
    return sum((d.points for d in catalogue.indicators.values()
                if all(getattr(d, k) == v for k, v in where.items())), Decimal(0))


# ------------------------------------------------------------------ the shipped catalogue adds up

def test_148_indicators_104_extracted_1000_points(catalogue):
    assert len(catalogue.indicators) == 148
    assert sum(d.extracted for d in catalogue.indicators.values()) == 104
    assert _points(catalogue) == 1000


def test_sourced_totals_clinical_666_diabetes_88_af_27(catalogue):
    assert _points(catalogue, domain="Clinical") == 666
    assert _points(catalogue, area="Diabetes") == 88
    assert _points(catalogue, area="Atrial fibrillation") == 27


def test_domains_reconcile_england_clinical_with_the_ni_proxy_split(catalogue):
    """1000 = clinical 666 [S] + organisational 257 [C] + patient experience 33 + additional services 44 [NI proxy]."""
    got = {dom: _points(catalogue, domain=dom) for dom in ("Clinical", "Organisational", "Patient experience",
                                                          "Additional services")}
    assert got == {"Clinical": 666, "Organisational": 257, "Patient experience": 33, "Additional services": 44}
    assert 1000 - 666 - 33 - 44 == got["Organisational"]


def test_every_total_in_the_expected_file_holds(catalogue, catalogue_dir):
    totals = load_totals(catalogue_dir / TOTALS)
    assert totals == catalogue.totals
    checked = 0
    for t in totals:
        if t.expected is None:
            continue
        chosen = [d for d in catalogue.indicators.values()
                  if t.level == "all" or (d.domain == t.domain and (t.level == "domain" or d.area == t.name))]
        actual = {"rows": len(chosen), "extracted": sum(d.extracted for d in chosen),
                  "points": sum((d.points for d in chosen), Decimal(0))}[t.measure]
        assert actual == t.expected, (t.where, t.level, t.domain, t.name, t.measure)
        checked += 1
    assert checked >= 30


def test_every_area_of_the_catalogue_is_listed_in_the_totals_file(catalogue):
    listed = {(t.domain, t.name) for t in catalogue.totals if t.level == "area"}
    assert {(d.domain, d.area) for d in catalogue.indicators.values()} == listed


def test_every_checked_total_says_where_it_comes_from(catalogue):
    for t in catalogue.totals:
        assert t.source, t.where
        if t.expected is not None:
            assert t.tag in {"S", "C", "R", "I"}, t.where


def test_calibrated_smoking_examples_are_untouched(catalogue):
    """SMOKE07/08 are [C] (BMJ Open worked examples): never adjusted."""
    s7, s8 = catalogue.indicators["SMOKE07"], catalogue.indicators["SMOKE08"]
    assert (s7.points, s7.lower, s7.upper, s7.tag) == (11, 50, 90, "C")
    assert (s8.points, s8.lower, s8.upper, s8.tag) == (12, 40, 90, "C")


def test_the_70_point_diabetes_example_still_adds_up(catalogue):
    """tests/cqrs/test_calcfile.py scores these at 100 %: DM26 17 + DM27 8 + DM28 10 + DM30 8 + DM31 10
    + DM21 5 + DM17 6 + register DM32 6 = 70 (FACTS.md worked example)."""
    codes = ("DM26", "DM27", "DM28", "DM30", "DM31", "DM21", "DM17", "DM32")
    assert sum(catalogue.indicators[c].points for c in codes) == 70


def test_every_row_has_wording_and_a_source(catalogue):
    for d in catalogue.indicators.values():
        assert d.wording.strip() and d.source.strip(), d.code
        assert "wording" in d.source, d.code  # where the wording comes from ([I] recalled or paraphrased)


def test_the_eight_indicators_retired_in_2013_14_released_34_points(catalogue):
    """NHS Employers, 'Changes to QOF 2013/14' [S]: retiring CHD10, BP4, DM2, DM10, DM22, DEP1, CKD2
    and EP6 released 34 points (catalogue_adjustments_2012_13.csv, DM02/DM22/CKD02)."""
    retired = ("CHD10", "BP04", "DM02", "DM10", "DM22", "DEP01", "CKD02", "EPILEP06")
    assert sum(catalogue.indicators[c].points for c in retired) == 34
    assert (catalogue.indicators["BP04"].points, catalogue.indicators["CKD02"].points) == (8, 4)  # Pulse [S]


def test_one_additional_services_indicator_is_entered_by_the_practice(catalogue):
    manual = [d.code for d in catalogue.indicators.values() if d.domain == "Additional services" and not d.extracted]
    assert manual == ["CS05"]
    cs05 = catalogue.indicators["CS05"]
    assert "extracted=no [I]" in cs05.source and is_placeholder(cs05.tag)


def test_unsourced_lists_every_row_with_a_placeholder_points_or_threshold(catalogue):
    unsourced = {d.code for d in catalogue.unsourced()}
    assert unsourced == {d.code for d in catalogue.indicators.values() if "I" in d.tag.replace("+", "/").split("/")}
    assert {"DM22", "DM26", "CHD06", "QP14"} <= unsourced  # "I/R", "I/S", "I/S", "I"
    assert not {"SMOKE07", "RECORDS15", "PAD04", "HF01", "AF05", "AF06"} & unsourced  # "C", "S/S", "S/S", "S", "S/S+R", "S/S"


def test_cli_lists_the_unsourced_rows(catalogue):
    from simulator.cli import app

    r = CliRunner().invoke(app, ["catalogue", "--unsourced"])
    assert r.exit_code == 0, r.output
    assert f"{len(catalogue.unsourced())} of 148 indicators" in r.output


# ------------------------------------------------------------------ the adjustments are recorded

def _adjustments(catalogue_dir: Path) -> list[dict]:
    with open(catalogue_dir / ADJUSTMENTS, newline="") as f:
        return list(csv.DictReader(f))


def _tag_part(tag: str, field: str) -> str:
    parts = tag.split("/")
    return parts[1] if field in ("lower", "upper") and len(parts) > 1 else (tag if field in ("kind", "tag") else parts[0])


def test_every_adjusted_value_is_the_catalogue_value_now(catalogue, catalogue_dir):
    rows = _adjustments(catalogue_dir)
    assert rows
    for a in rows:
        d = catalogue.indicators[a["code"]]
        now = {"points": d.points, "lower": d.lower, "upper": d.upper}.get(a["field"])
        if now is not None and a["old"] == a["new"]:  # a value reviewed and kept: the row gives the reasoning
            assert now == Decimal(a["new"]) and a["why"].startswith("Kept after review"), a
        elif now is not None:
            assert now == Decimal(a["new"]) != Decimal(a["old"]), a
        elif a["field"] == "wording":  # a corrected meaning: the new words are in the wording, the old are not
            assert a["new"].lower() in d.wording.lower() and a["old"].lower() not in d.wording.lower(), a
        else:
            assert a["field"] in ("kind", "tag", "extracted"), a
            assert str({"kind": d.kind, "tag": d.tag, "extracted": "yes" if d.extracted else "no"}[a["field"]]) == a["new"], a
        assert d.tag == a["new_tag"], a
        assert a["why"].strip() and a["source"].strip(), a


def test_only_placeholder_values_were_adjusted(catalogue_dir):
    for a in _adjustments(catalogue_dir):
        if a["field"] == "wording" or a["old"] == a["new"]:  # a wording correction, or a value kept: nothing adjusted
            continue
        assert "I" in _tag_part(a["old_tag"], a["field"]).replace("+", "/").split("/"), a


def test_no_value_changed_without_an_adjustment_row(catalogue, catalogue_dir):
    """Each adjustment's old value is the seed's: undoing them all gives the seed's totals back
    (points 996.5, clinical 675, diabetes 92; FACTS.md)."""
    points = {c: d.points for c, d in catalogue.indicators.items()}
    for a in _adjustments(catalogue_dir):
        if a["field"] == "points":
            points[a["code"]] = Decimal(a["old"])
    clinical = sum(points[c] for c, d in catalogue.indicators.items() if d.domain == "Clinical")
    diabetes = sum(points[c] for c, d in catalogue.indicators.items() if d.area == "Diabetes")
    assert (sum(points.values()), clinical, diabetes) == (Decimal("996.5"), 675, 92)


# ------------------------------------------------------------------ a catalogue that does not add up is refused

def _copy(tmp_path: Path, catalogue_dir: Path) -> Path:
    folder = tmp_path / "qof"
    shutil.copytree(catalogue_dir, folder, ignore=shutil.ignore_patterns("*.py", "__pycache__", "engines"))
    return folder


def _edit(path: Path, edit) -> None:
    with open(path, newline="") as f:
        reader = csv.DictReader(f)
        fields, rows = list(reader.fieldnames), list(reader)
    rows = edit(rows) or rows
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=fields, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


def _set(code: str, **values):
    def edit(rows):
        for r in rows:
            if r["code"] == code:
                r.update(values)
    return edit


def _refused(folder: Path) -> str:
    with pytest.raises(CatalogueError) as info:
        load_catalogue(folder)
    return str(info.value)


def test_a_copy_of_the_real_catalogue_loads(tmp_path, catalogue_dir):
    assert len(load_catalogue(_copy(tmp_path, catalogue_dir)).indicators) == 148


def test_refuses_points_that_do_not_sum_naming_area_domain_and_total(tmp_path, catalogue_dir):
    folder = _copy(tmp_path, catalogue_dir)
    _edit(folder / INDICATORS, _set("DM26", points="18"))
    msg = _refused(folder)
    lines = msg.splitlines()
    assert all(line.startswith(f"{INDICATORS}: field 'points': ") for line in lines), msg
    assert any("area 'Diabetes' (Clinical) has points summing to 89, expected 88" in line for line in lines), msg
    assert any("domain 'Clinical' has points summing to 667, expected 666" in line for line in lines), msg
    assert any("the catalogue has points summing to 1001, expected 1000" in line for line in lines), msg
    assert f"({TOTALS} row " in msg


def test_refuses_points_moved_between_areas_even_when_the_domain_still_sums(tmp_path, catalogue_dir):
    folder = _copy(tmp_path, catalogue_dir)
    _edit(folder / INDICATORS, _set("DM26", points="16"))
    _edit(folder / INDICATORS, _set("AF05", points="11"))
    msg = _refused(folder)
    assert "area 'Diabetes' (Clinical) has points summing to 87, expected 88" in msg
    assert "area 'Atrial fibrillation' (Clinical) has points summing to 28, expected 27" in msg
    assert "domain 'Clinical'" not in msg and "the catalogue has points" not in msg


def test_refuses_a_missing_row(tmp_path, catalogue_dir):
    folder = _copy(tmp_path, catalogue_dir)
    _edit(folder / INDICATORS, lambda rows: [r for r in rows if r["code"] != "INFO05"])
    msg = _refused(folder)
    assert f"{INDICATORS}: field 'code': the catalogue has 147 indicators, expected 148" in msg
    assert "domain 'Organisational' has 41 indicators, expected 42" in msg
    assert "area 'Information for patients' (Organisational) has no indicators" in msg


def test_refuses_an_extracted_count_other_than_104(tmp_path, catalogue_dir):
    folder = _copy(tmp_path, catalogue_dir)
    _edit(folder / INDICATORS, _set("PE01", extracted="yes"))
    msg = _refused(folder)
    assert f"{INDICATORS}: field 'extracted': the catalogue has 105 indicators with extracted=yes, expected 104" in msg


def test_refuses_an_area_the_totals_file_does_not_list(tmp_path, catalogue_dir):
    folder = _copy(tmp_path, catalogue_dir)
    _edit(folder / INDICATORS, _set("DM26", area="Diabetis"))
    msg = _refused(folder)
    row = 2 + list(load_indicators(catalogue_dir / INDICATORS)).index("DM26")
    assert f"{INDICATORS}: row {row}: field 'area': 'Diabetis' (Clinical) is not listed in {TOTALS}" in msg


def test_refuses_when_the_expected_total_itself_is_changed(tmp_path, catalogue_dir):
    folder = _copy(tmp_path, catalogue_dir)

    def edit(rows):
        for r in rows:
            if r["name"] == "Diabetes":
                r["expected"] = "92"
    _edit(folder / TOTALS, edit)
    assert "area 'Diabetes' (Clinical) has points summing to 88, expected 92" in _refused(folder)


def test_refuses_a_catalogue_without_its_totals_file(tmp_path, catalogue_dir):
    folder = _copy(tmp_path, catalogue_dir)
    (folder / TOTALS).unlink()
    assert _refused(folder).startswith(f"{TOTALS}: no such file")


def test_refuses_a_bad_totals_file_naming_row_and_field(tmp_path, catalogue_dir):
    folder = _copy(tmp_path, catalogue_dir)
    _edit(folder / TOTALS, lambda rows: [{**rows[0], "level": "everything"}] + rows[1:])
    assert _refused(folder).startswith(f"{TOTALS}: row 2: field 'level': 'everything'")


def test_refuses_a_duplicated_expected_total(tmp_path, catalogue_dir):
    folder = _copy(tmp_path, catalogue_dir)
    _edit(folder / TOTALS, lambda rows: rows + [dict(rows[0])])
    assert "duplicates row 2" in _refused(folder)


def test_check_totals_accepts_a_small_catalogue_with_its_own_expectations(tmp_path, catalogue_dir):
    """check_totals works on any indicator set: the expected figures are data, not code."""
    indicators = {c: d for c, d in load_indicators(catalogue_dir / INDICATORS).items() if c.startswith("AF")}
    path = tmp_path / "totals.csv"
    path.write_text("level,domain,name,measure,expected,tag,source\n"
                    "all,,,rows,4,S,test\nall,,,points,27,S,test\n"
                    "area,Clinical,Atrial fibrillation,points,27,S,test\n")
    check_totals(indicators, load_totals(path), "af.csv")
    path.write_text("level,domain,name,measure,expected,tag,source\nall,,,points,28,S,test\n")
    with pytest.raises(CatalogueError, match=r"^af\.csv: field 'points': the catalogue has points summing to 27, expected 28"):
        check_totals(indicators, load_totals(path), "af.csv")


# ------------------------------------------------------------------ row checks of the single-file loader

def _one_row_file(tmp_path: Path, catalogue_dir: Path, code: str, **values) -> Path:
    with open(catalogue_dir / INDICATORS, newline="") as f:
        reader = csv.DictReader(f)
        fields, rows = list(reader.fieldnames), [r for r in reader if r["code"] == code]
    rows[0].update(values)
    path = tmp_path / "one.csv"
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=fields)
        w.writeheader()
        w.writerows(rows)
    return path


def test_refuses_a_register_with_thresholds(tmp_path, catalogue_dir):
    path = _one_row_file(tmp_path, catalogue_dir, "DM32", lower="40", upper="90")
    with pytest.raises(CatalogueError, match=r"^one\.csv: row 2: field 'lower': a register indicator takes no thresholds"):
        load_indicators(path)


def test_refuses_a_yes_no_indicator_with_thresholds(tmp_path, catalogue_dir):
    path = _one_row_file(tmp_path, catalogue_dir, "PE01", lower="40", upper="90")
    with pytest.raises(CatalogueError, match=r"^one\.csv: row 2: field 'lower': a yesno indicator"):
        load_indicators(path)


def test_refuses_a_tag_that_is_not_a_trust_tag(tmp_path, catalogue_dir):
    path = _one_row_file(tmp_path, catalogue_dir, "DM26", tag="I/sourced")
    with pytest.raises(CatalogueError, match=r"^one\.csv: row 2: field 'tag': 'I/sourced' is not a trust tag"):
        load_indicators(path)


def test_a_single_file_still_loads_without_any_totals(tmp_path, catalogue_dir):
    """load_indicators checks rows only; the whole-catalogue totals belong to load_catalogue."""
    assert list(load_indicators(_one_row_file(tmp_path, catalogue_dir, "SMOKE07"))) == ["SMOKE07"]
