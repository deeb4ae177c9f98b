"""Each supplier's own table layout maps the neutral records there and back, and the layouts differ."""

import pytest

from simulator.conform import probes
from simulator.population import schema
from simulator.supplier.backends import backend


@pytest.fixture(scope="module")
def neutral():
    from simulator.qof.catalogue import default_catalogue

    cat = default_catalogue()
    rules = cat.rules.subset(["DM26", "DEP06"])
    return probes.tables(cat, probes.design(cat, rules, ["DM26", "DEP06"]))


@pytest.mark.parametrize("supplier", schema.SUPPLIERS)
def test_round_trip(neutral, supplier):
    b = backend(supplier)
    mine = b.to_supplier(neutral["practices"], neutral["patients"], neutral["events"])
    patients, events = b.to_neutral(mine)
    own = {p["practice_code"] for p in neutral["practices"].to_pylist() if p["supplier"] == supplier}
    key = lambda r: (r["patient_id"], str(r.get("date")), r.get("code") or "")  # noqa: E731
    want_p = sorted((r for r in neutral["patients"].to_pylist() if r["practice_code"] in own), key=key)
    want_e = sorted((r for r in neutral["events"].to_pylist() if r["practice_code"] in own), key=key)
    assert want_p and sorted(patients.to_pylist(), key=key) == want_p
    assert want_e and sorted(events.to_pylist(), key=key) == want_e


def test_layouts_differ_as_the_systems_do():
    tables = {s: set(backend(s).tables) for s in schema.SUPPLIERS}
    assert len({frozenset(t) for t in tables.values()}) == 4
    assert "SRPatientRegistrationHistory" in tables["TPP"]  # registrations in a table of their own
    assert "CTV3Code" in backend("TPP").columns["SRCode"] and "ReadCode" in backend("EMIS").columns["Observation"]
