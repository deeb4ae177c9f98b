"""Additional services target populations: who is counted, and the two counts agree.

Each group is data (parameters_2012_13.yaml): patients on the list on the list size date
(1 January 2013) of a sex, aged min_age..max_age in whole years on that date.
"""

import datetime as dt

import numpy as np
import pyarrow as pa
import pytest

from simulator.population.schema import PATIENTS
from simulator.qof import targets
from simulator.qof.catalogue import default_catalogue
from simulator.qof.targets import TargetError, TargetPopulation, count_duckdb, count_reference

LSD = dt.date(2013, 1, 1)
GROUPS = default_catalogue().parameters.target_populations


def test_the_shipped_groups_are_the_four_services():
    assert {(g.group, g.area, g.sex, g.min_age, g.max_age) for g in GROUPS} == {
        ("CS", "Cervical screening", "F", 25, 64), ("CHS", "Child health surveillance", None, 0, 4),
        ("MAT", "Maternity", "F", 16, 45), ("CON", "Contraception", "F", 16, 45)}


def row(pid, dob, sex="F", start="2000-01-01", end=None, practice="A81001"):
    return {"patient_id": pid, "practice_code": practice, "nhs_number": None, "sex": sex,
            "date_of_birth": dt.date.fromisoformat(dob), "registered_from": dt.date.fromisoformat(start),
            "registered_to": dt.date.fromisoformat(end) if end else None, "died_on": None}


def both(rows, groups=GROUPS):
    ref = count_reference(groups, rows, LSD)
    fast = count_duckdb(groups, pa.Table.from_pylist(rows, schema=PATIENTS), LSD)
    assert ref == fast
    return ref


def test_ages_are_whole_years_on_the_list_size_date_both_ends_inclusive():
    rows = [row(1, "1988-01-01"),   # 25 on 1 Jan 2013: counted
            row(2, "1988-01-02"),   # 24: not yet
            row(3, "1948-01-02"),   # 64: counted
            row(4, "1948-01-01")]   # 65 on the day: not counted
    assert both(rows)["A81001"]["CS"] == 2


def test_sex_and_registration_on_the_day_decide():
    rows = [row(1, "1980-06-01", sex="M"),                   # a man: not in CS
            row(2, "1980-06-01", start="2013-01-01"),       # joined that day: counted
            row(3, "1980-06-01", start="2013-01-02"),       # joined the day after: not
            row(4, "1980-06-01", end="2013-01-01"),         # left that day: not on the list
            row(5, "1980-06-01", end="2013-01-02")]         # left the day after: counted
    assert both(rows)["A81001"]["CS"] == 2


def test_children_under_5_of_either_sex():
    rows = [row(1, "2008-01-02", sex="M"), row(2, "2012-12-31"), row(3, "2008-01-01")]
    assert both(rows)["A81001"]["CHS"] == 2


def test_reference_and_sql_counts_agree_on_a_random_list():
    rng = np.random.default_rng(7)
    base = dt.date(1920, 1, 1)
    rows = []
    for pid in range(3000):
        dob = base + dt.timedelta(days=int(rng.integers(0, 34000)))
        start = dob + dt.timedelta(days=int(rng.integers(0, 20000)))
        end = start + dt.timedelta(days=int(rng.integers(1, 9000))) if rng.random() < 0.3 else None
        rows.append(row(pid, dob.isoformat(), sex="FM"[int(rng.integers(0, 2))], start=start.isoformat(),
                        end=end.isoformat() if end else None, practice=("A81001", "B82005", "C83001")[pid % 3]))
    counts = both(rows)
    assert set(counts) == {"A81001", "B82005", "C83001"}
    assert all(counts[p]["CS"] > 0 for p in counts)


def test_sql_counts_only_the_practices_asked_for():
    rows = [row(1, "1980-06-01"), row(2, "1980-06-01", practice="B82005")]
    table = pa.Table.from_pylist(rows, schema=PATIENTS)
    assert count_duckdb(GROUPS, table, LSD, practices=["B82005"]) == {"B82005": {"CS": 1, "CHS": 0, "MAT": 1, "CON": 1}}


@pytest.mark.parametrize("entry, field", [
    ({"population": "x"}, "Cervical screening: needs a 'group'"),
    ({"group": "CS", "sex": "W"}, "Cervical screening.sex"),
    ({"group": "CS", "min_age": -1}, "Cervical screening.min_age"),
    ({"group": "CS", "max_age": 2.5}, "Cervical screening.max_age"),
    ({"group": "CS", "min_age": 30, "max_age": 25}, "Cervical screening.max_age"),
])
def test_a_bad_definition_is_refused_naming_the_field(entry, field):
    with pytest.raises(TargetError, match=f"parameters.yaml: additional_services_target_populations.{field}"):
        targets.parse({"Cervical screening": entry}, "parameters.yaml")


def test_a_group_used_twice_is_refused():
    with pytest.raises(TargetError, match=r"Maternity\.group: 'CS' is used twice"):
        targets.parse({"Cervical screening": {"group": "CS"}, "Maternity": {"group": "CS"}}, "p.yaml")


def test_a_group_with_no_upper_age_counts_everyone_from_min_age():
    g = TargetPopulation("X", "OLD", "people aged 75 and over", None, 75, None)
    assert both([row(1, "1938-01-01"), row(2, "1938-01-02"), row(3, "1900-01-01", sex="M")], [g]) == {
        "A81001": {"OLD": 2}}
