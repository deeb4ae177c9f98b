"""The engines' one interface: the same neutral records in (tables or Parquet paths), the same counts and
target populations out; verdicts only from the reference, and only when asked."""

import pyarrow.parquet as pq
import pytest

from simulator.conform import probes
from simulator.qof.catalogue import default_catalogue
from simulator.qof.engines import seam

CAT = default_catalogue()
IDS = ["DM26", "CS01", "SMOKE07"]


@pytest.fixture(scope="module")
def records(tmp_path_factory):
    rules = CAT.rules.subset(IDS)
    t = probes.tables(CAT, probes.design(CAT, rules, IDS))
    folder = tmp_path_factory.mktemp("seam")
    for name in ("patients", "events"):
        pq.write_table(t[name], folder / f"{name}.parquet")
    codes = tuple(t["practices"]["practice_code"].to_pylist()) + ("Z99999",)  # one with no records
    return rules, t, folder, codes


def test_both_engines_agree_on_tables_and_on_files(records):
    rules, t, folder, codes = records
    groups = CAT.parameters.target_populations
    results = [seam.count(e, rules, CAT.clusters, r, groups)
               for e in seam.ENGINES
               for r in (seam.Records(t["patients"], t["events"], codes),
                         seam.Records(folder / "patients.parquet", folder / "events.parquet", codes))]
    first = results[0]
    assert set(first.counts) == set(codes) and first.target_populations["Z99999"] == {g.group: 0 for g in groups}
    assert sum(c.indicators["SMOKE07"].denominator for c in first.counts.values()) > 0
    for r in results[1:]:
        assert {k: v.as_tuple() for k, v in r.counts.items()} == {k: v.as_tuple() for k, v in first.counts.items()}
        assert r.target_populations == first.target_populations


def test_verdicts_come_from_the_reference_with_the_deciding_step(records):
    rules, t, _, codes = records
    fast = seam.count("duckdb", rules, CAT.clusters, seam.Records(t["patients"], t["events"], codes))
    slow = seam.count("reference", rules, CAT.clusters, seam.Records(t["patients"], t["events"], codes))
    assert fast.verdicts is None and len(slow.verdicts) > 100
    steps = {s for v in slow.verdicts.values() for s in [v.indicators["DM26"][1]]}
    assert steps == set(range(1, len(rules.indicators["DM26"].rules) + 1))
    lean = seam.count("reference", rules, CAT.clusters, seam.Records(t["patients"], t["events"], codes), verdicts=False)
    assert lean.verdicts is None


def test_an_unknown_engine_is_refused(records):
    rules, t, _, codes = records
    with pytest.raises(ValueError, match="unknown engine 'spark'"):
        seam.count("spark", rules, CAT.clusters, seam.Records(t["patients"], t["events"], codes))
