"""The catalogue against the public sources of ../shared/qof/sources/: every clinical wording is the
2012/13 source's (a row cut off at source keeps the recalled rest and says so), the clinical
clusters hold the Read v2 codes of the later rulesets' groups [R], and
``python -m simulator.qof.sources --check`` finds nothing to rewrite.

The tests that read the sources skip when ../shared is not beside the project (every CI run and
developer has it); the catalogue files themselves carry every value taken from the sources."""

from __future__ import annotations

import pytest

from simulator.qof import sources

HAVE_SOURCES = sources.shared_sources().is_dir()
needs_sources = pytest.mark.skipif(not HAVE_SOURCES, reason=f"no {sources.shared_sources()} (../shared)")


def _clinical(catalogue):
    return {c: d for c, d in catalogue.indicators.items() if d.domain == "Clinical"}


def test_every_clinical_wording_says_where_it_comes_from(catalogue):
    for code, d in _clinical(catalogue).items():
        assert "wording [S]" in d.source, code
    assert "cut off" in catalogue.indicators["PAD04"].source and "recalled [I]" in catalogue.indicators["PAD04"].source


@needs_sources
def test_the_96_clinical_codes_are_the_sources(catalogue):
    assert set(sources.read_wording()) == set(_clinical(catalogue))


@needs_sources
def test_every_clinical_wording_is_the_2012_13_wording(catalogue):
    words = sources.read_wording()
    for code, d in _clinical(catalogue).items():
        expected, how = sources.official_wording(code, words)
        assert d.wording == expected, code
        assert d.source.endswith(how), code
        if code not in sources.TRUNCATED and code not in sources.CORRECTIONS:
            assert d.wording == words[code], code


@needs_sources
def test_a_truncated_source_row_keeps_the_source_up_to_the_cut(catalogue):
    words = sources.read_wording()
    for code in sources.TRUNCATED:
        assert catalogue.indicators[code].wording.startswith(words[code].rstrip()), code


@needs_sources
def test_nothing_to_rewrite(catalogue_dir):
    differ = [p.name for p, text in sources.expected_files(catalogue_dir).items() if p.read_text() != text]
    assert differ == [], "run: python -m simulator.qof.sources --write"


# ------------------------------------------------------------------ clusters

def _readv2(catalogue, name):
    return [c for s, c in catalogue.clusters[name] if s == "readv2"]


def test_rebuilt_clusters_are_fuller_and_say_where_their_codes_come_from(catalogue, catalogue_dir):
    at_least = {"HYP_COD": 25, "DM_COD": 74, "CKD35_COD": 29, "CHD_COD": 92, "COPD_COD": 47, "AST_COD": 20,
                "STRK_COD": 31, "STRKH_COD": 16, "TIA_COD": 16, "HF_COD": 18, "AF_COD": 10, "PAD_COD": 7}
    for name, n in at_least.items():
        assert len(_readv2(catalogue, name)) >= n, name
    for name in sources.CLUSTERS:
        for row in sources.read_cluster_file(catalogue_dir / "clusters" / f"{name}.csv"):
            if row["system"] == "readv2":
                assert row["tag"] == "R" and "later QOF ruleset [R]" in row["source"] and row["term"], (name, row)


def test_af_leaves_out_atrial_flutter_and_the_dropped_codes_are_gone(catalogue):
    assert "G5731" not in {c for _, c in catalogue.clusters["AF_COD"]}
    for (name, code) in sources.DROPPED:
        assert code not in {c for _, c in catalogue.clusters[name]}, (name, code)


def test_tpp_keeps_its_ctv3_codes(catalogue):
    """No Read v2 -> CTV3 mapping of the added codes is known with confidence: CTV3 rows stay few."""
    for name in sources.UNMAPPED_CTV3:
        ctv3 = [c for s, c in catalogue.clusters[name] if s == "ctv3"]
        assert 1 <= len(ctv3) <= 5, name


def test_stroke_register_codes_split_into_ischaemic_and_haemorrhagic(catalogue):
    strk, strkh = set(_readv2(catalogue, "STRK_COD")), set(_readv2(catalogue, "STRKH_COD"))
    assert not strk & strkh
    assert {"G61..", "G610."} <= strkh and {"G66..", "G64.."} <= strk


@needs_sources
def test_every_code_of_a_mapped_group_is_in_its_cluster(catalogue):
    groups = sources.read_groups()
    assert len(_readv2(catalogue, "STRK_COD")) + len(_readv2(catalogue, "STRKH_COD")) == len(groups["strokeQof"])
    for name, spec in sources.CLUSTERS.items():
        listed = set(_readv2(catalogue, name))
        assert {c.code for c in sources.cluster_codes(name, groups)} == listed, name
