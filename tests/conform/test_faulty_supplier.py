"""examples/faulty_supplier: the kit names each of its three classic mistakes' indicator and rule step."""

import importlib.util
from pathlib import Path

import pytest

from simulator.conform import check

HERE = Path(__file__).resolve().parents[2] / "examples" / "faulty_supplier" / "faulty_supplier.py"


@pytest.fixture(scope="module")
def faulty():
    spec = importlib.util.spec_from_file_location("faulty_supplier", HERE)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _named(result, subject, check_name="counts"):
    return [v for v in result.failures() if v.subject == subject and v.check == check_name]


@pytest.mark.parametrize("flags", [False, True], ids=["counts only", "with patient flags"])
def test_each_mistake_is_named(faulty, population, catalogue, tmp_path, flags):
    faulty.run(catalogue, population, tmp_path / "ex", flags=flags)
    result = check.check_folder(catalogue, population, tmp_path / "ex")
    assert not result.ok
    # 1. the DMEX exception applied before the HbA1c numerator test: step 2 (the numerator rule) is where the
    #    reference decided; the patient it names meets both step 2 and step 3
    [dm26] = _named(result, "DM26")[:1]
    assert dm26.details["step"] == 2
    p = dm26.details["patients"][0]
    assert p["reference_outcome"] == "numerator" and "DMEX_COD" in p["record"] and "IFCCHBAM_COD" in p["record"]
    assert any(s["step"] == 2 and s["decided_at"] == 3 for s in p["steps"])
    # 2. age on the list size date, not the achievement date: DEP06's step 1 (under 18), on its 18th birthday
    [dep06] = _named(result, "DEP06")[:1]
    assert dep06.details["step"] == 1 and "age_at_least" in dep06.details["rule"]
    assert any("18th birthday on the achievement date" in q["record"] for q in dep06.details["patients"])
    # 3. an asthma code still counted after its resolved code: the AST register's step 1
    [ast] = _named(result, "AST")[:1]
    assert ast.details["step"] == 1 and "unresolved" in ast.details["rule"]
    assert any("resolved the day after" in q["record"] for q in ast.details["patients"])
    if flags:
        assert ast.details["patients_exact"] and len(ast.details["patients"]) == 1
        asthma08 = [v for v in _named(result, "ASTHMA08") if v.details.get("step") == 2]
        assert len(asthma08) == 4 and all("age_at_least" in v.details["rule"] for v in asthma08)  # the same age
        # mistake, in ASTHMA08's step 2 (under 8), in each supplier's ASTHMA08 practice
