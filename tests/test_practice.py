"""A practice's hand-entered indicators: every non-extracted one, valid for CQRS, repeatable."""

from simulator.cqrs.manual import check_entries, manual_indicators
from simulator.practice import manual_entries
from simulator.qof.catalogue import default_catalogue

CAT = default_catalogue()


def test_every_non_extracted_indicator_is_entered_in_its_own_form():
    e = manual_entries(CAT, "A81001", 1)
    assert sorted(x.ind_code for x in e.entries) == sorted(manual_indicators(CAT)) and len(e.entries) == 44
    check_entries(CAT, e.entries)  # raises on a wrong form


def test_entries_are_repeatable_per_seed_and_practice():
    assert manual_entries(CAT, "A81001", 1) == manual_entries(CAT, "A81001", 1)
    assert manual_entries(CAT, "A81001", 1) != manual_entries(CAT, "A81001", 2)
    assert manual_entries(CAT, "A81001", 1) != manual_entries(CAT, "B82005", 1)
