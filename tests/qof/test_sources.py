"""The catalogue against the public sources of ../shared/qof/sources/: every clinical wording is the
2012/13 source's (a row cut off at source keeps the recalled rest and says so), and
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
    differ = [p.name for p, text in sources.expected_files(catalogue_dir).items()
              if p.name.startswith("indicators") and p.read_text() != text]
    assert differ == [], "run: python -m simulator.qof.sources --write"
