"""The catalogue as data: the shipped files load, and a bad file is refused with a message that
names the file, the row and the field."""

from __future__ import annotations

import csv
import shutil
from decimal import Decimal
from pathlib import Path

import pytest

from simulator.qof.catalogue import (DOMAINS, CatalogueError, load_catalogue, load_clusters, load_indicators)

INDICATORS = "indicators_2012_13.csv"


# ------------------------------------------------------------------ the shipped catalogue

def test_148_indicators_load(catalogue):
    assert len(catalogue.indicators) == 148


def test_104_are_extracted_and_44_entered_by_the_practice(catalogue):
    extracted = [d for d in catalogue.indicators.values() if d.extracted]
    assert (len(extracted), len(catalogue.indicators) - len(extracted)) == (104, 44)


def test_every_domain_is_known_and_every_row_has_a_trust_tag(catalogue):
    assert {d.domain for d in catalogue.indicators.values()} <= set(DOMAINS)
    assert all(d.tag for d in catalogue.indicators.values())


def test_pad_indicators_are_numbered_as_in_2012_13(catalogue):
    """2012/13 (HSCIC code map): PAD02 anti-platelet, PAD03 last BP 150/90 or less, PAD04 last total
    cholesterol. The catalogue, the rules and the spec GPES publishes agree."""
    from simulator.gpes.spec import build_spec

    meaning = {"PAD02": ("anti-platelet", "ANTIPLT_DRUG"), "PAD03": ("150/90", "BP_COD"),
               "PAD04": ("total cholesterol", "CHOL_COD")}
    spec = {i.id: i.wording for i in build_spec(catalogue).indicators}
    for code, (words, cluster) in meaning.items():
        assert words in catalogue.indicators[code].wording, code
        assert words in spec[code], code
        assert cluster in catalogue.rules.subset([code]).clusters_used(), code
    assert "ANTIPLT_DRUG" not in catalogue.rules.subset(["PAD03", "PAD04"]).clusters_used()


def test_thresholds_are_ordered_and_ratio_indicators_have_them(catalogue):
    for d in catalogue.indicators.values():
        if d.kind == "ratio":
            assert d.lower is not None and d.lower <= d.upper <= 100, d.code
        if d.lower is None:
            assert d.upper is None, d.code


def test_every_extracted_indicator_has_rules(catalogue):
    # every extracted ratio and yes/no indicator of 2012/13 has business rules, in catalogue order;
    # with the registers, that is all 104 extracted indicators
    assert catalogue.extracted_ids() == [c for c, d in catalogue.indicators.items()
                                         if d.kind in ("ratio", "yesno") and d.extracted]
    register_codes = {r.indicator for r in catalogue.rules.registers.values()}
    assert len(catalogue.extracted_ids()) + len(register_codes) == 104
    assert {c for c, d in catalogue.indicators.items() if d.extracted} == set(catalogue.extracted_ids()) | register_codes
    for reg in catalogue.rules.registers.values():
        assert catalogue.indicators[reg.indicator].kind == "register"


def test_every_cluster_referenced_by_the_rules_has_a_file(catalogue, catalogue_dir):
    for name in catalogue.rules.clusters_used() | set(catalogue.rules.clusters):
        assert (catalogue_dir / "clusters" / f"{name}.csv").is_file(), name
        assert catalogue.clusters[name], f"{name} has no codes"


def test_every_cluster_has_read_v2_and_ctv3_codes(catalogue):
    # TPP practices record CTV3; the others Read v2: a cluster missing a system counts nobody there
    for name in catalogue.rules.clusters:
        assert {system for system, _ in catalogue.clusters[name]} == {"readv2", "ctv3"}, name


def test_parameters_carry_the_2012_13_dates(catalogue):
    p = catalogue.parameters
    assert (str(p.achievement_date), str(p.list_size_date), str(p.reference_period_start)) == \
        ("2013-03-31", "2013-01-01", "2012-04-01")
    assert p.pounds_per_point == Decimal("133.76")
    assert catalogue.rules.achievement_date == p.achievement_date


# ------------------------------------------------------------------ refusals

def _rows(catalogue_dir: Path) -> tuple[list[str], list[dict]]:
    with open(catalogue_dir / INDICATORS, newline="") as f:
        reader = csv.DictReader(f)
        return list(reader.fieldnames), list(reader)


def _write(path: Path, fields: list[str], rows: list[dict]) -> Path:
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=fields)
        w.writeheader()
        w.writerows(rows)
    return path


def _refused(path: Path, row: int, field: str) -> str:
    with pytest.raises(CatalogueError) as info:
        load_indicators(path)
    msg = str(info.value)
    assert msg.startswith(f"{path.name}: row {row}: "), msg
    assert f"'{field}'" in msg, msg
    return msg


def test_refuses_duplicate_code(tmp_path, catalogue_dir):
    fields, rows = _rows(catalogue_dir)
    rows.insert(10, dict(rows[3]))  # becomes data row 11, i.e. line 12 counting the header
    msg = _refused(_write(tmp_path / "dup.csv", fields, rows), 12, "code")
    assert rows[3]["code"] in msg


def test_refuses_thresholds_out_of_order(tmp_path, catalogue_dir):
    fields, rows = _rows(catalogue_dir)
    rows[1]["lower"], rows[1]["upper"] = "80", "40"
    _refused(_write(tmp_path / "thresholds.csv", fields, rows), 3, "lower")


def test_refuses_upper_threshold_above_100(tmp_path, catalogue_dir):
    fields, rows = _rows(catalogue_dir)
    rows[2]["upper"] = "101"
    _refused(_write(tmp_path / "above.csv", fields, rows), 4, "upper")


def test_refuses_only_one_threshold(tmp_path, catalogue_dir):
    fields, rows = _rows(catalogue_dir)
    rows[2]["upper"] = ""
    _refused(_write(tmp_path / "half.csv", fields, rows), 4, "upper")


def test_refuses_missing_tag(tmp_path, catalogue_dir):
    fields, rows = _rows(catalogue_dir)
    rows[-1]["tag"] = " "
    _refused(_write(tmp_path / "untagged.csv", fields, rows), len(rows) + 1, "tag")


def test_refuses_unknown_domain(tmp_path, catalogue_dir):
    fields, rows = _rows(catalogue_dir)
    rows[20]["domain"] = "Clinical domain"
    msg = _refused(_write(tmp_path / "domain.csv", fields, rows), 22, "domain")
    assert "'Clinical domain'" in msg


def test_refuses_points_that_are_not_a_number(tmp_path, catalogue_dir):
    fields, rows = _rows(catalogue_dir)
    rows[0]["points"] = "four"
    _refused(_write(tmp_path / "points.csv", fields, rows), 2, "points")


def test_refuses_a_missing_column(tmp_path, catalogue_dir):
    fields, rows = _rows(catalogue_dir)
    fields.remove("tag")
    for r in rows:
        del r["tag"]
    path = _write(tmp_path / "nocol.csv", fields, rows)
    with pytest.raises(CatalogueError, match=r"^nocol\.csv: header lacks column 'tag'"):
        load_indicators(path)


def test_refuses_a_cluster_row_with_an_unknown_system(tmp_path):
    folder = tmp_path / "clusters"
    folder.mkdir()
    (folder / "DM_COD.csv").write_text("system,code,term\nreadv2,C10..,Diabetes\nread3,X40J5,Type 2\n")
    with pytest.raises(CatalogueError, match=r"^DM_COD\.csv: row 3: field 'system'"):
        load_clusters(folder)


def _catalogue_copy(tmp_path: Path, catalogue_dir: Path) -> Path:
    folder = tmp_path / "qof"
    shutil.copytree(catalogue_dir, folder, ignore=shutil.ignore_patterns("*.py", "__pycache__", "engines"))
    return folder


def test_a_copy_of_the_catalogue_folder_loads(tmp_path, catalogue_dir):
    cat = load_catalogue(_catalogue_copy(tmp_path, catalogue_dir))
    assert len(cat.indicators) == 148 and set(cat.rules.indicators) == set(cat.extracted_ids())


def test_refuses_a_rules_cluster_without_a_file(tmp_path, catalogue_dir):
    folder = _catalogue_copy(tmp_path, catalogue_dir)
    (folder / "clusters" / "MAXBP_COD.csv").unlink()
    with pytest.raises(CatalogueError, match=r"^rules_2012_13\.yaml: clusters\.MAXBP_COD: no file clusters/MAXBP_COD\.csv"):
        load_catalogue(folder)


def _set_parameter(folder: Path, line_start: str, line: str) -> None:
    path = folder / "parameters_2012_13.yaml"
    lines = path.read_text().splitlines(keepends=True)
    hits = [n for n, text in enumerate(lines) if text.startswith(line_start)]
    assert len(hits) == 1, line_start
    lines[hits[0]] = line + "\n"
    path.write_text("".join(lines))


def test_national_average_target_population_is_computed_over_the_run_unless_fixed(tmp_path, catalogue_dir):
    """'run' in the shipped file; figures there (read by CQRS and the reconciliation alike) override it."""
    assert load_catalogue(catalogue_dir).parameters.national_average_target_population is None
    folder = _catalogue_copy(tmp_path, catalogue_dir)
    _set_parameter(folder, "national_average_target_population:",
                   'national_average_target_population: {value: {CS: "1500", MAT: 820.5}, tag: I}')
    assert load_catalogue(folder).parameters.national_average_target_population == \
        {"CS": Decimal("1500"), "MAT": Decimal("820.5")}


def test_refuses_a_national_average_target_population_that_is_not_a_number(tmp_path, catalogue_dir):
    folder = _catalogue_copy(tmp_path, catalogue_dir)
    _set_parameter(folder, "national_average_target_population:",
                   "national_average_target_population: {value: {CS: lots}, tag: I}")
    with pytest.raises(CatalogueError, match=r"^parameters_2012_13\.yaml: parameter "
                                             r"'national_average_target_population\.CS' is not a number: 'lots'"):
        load_catalogue(folder)


def test_refuses_rules_for_an_indicator_the_catalogue_does_not_extract(tmp_path, catalogue_dir):
    folder = _catalogue_copy(tmp_path, catalogue_dir)
    fields, rows = _rows(folder)
    for r in rows:
        if r["code"] == "DM26":
            r["extracted"] = "no"
    _write(folder / INDICATORS, fields, rows)
    with pytest.raises(CatalogueError, match=r"^rules_2012_13\.yaml: indicators\.DM26: "):
        load_catalogue(folder)
