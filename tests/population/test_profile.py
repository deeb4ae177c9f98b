"""Profiles: the England profile loads, every figure is tagged, impossible profiles are refused by field."""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
from pathlib import Path

import pytest
import yaml

from simulator.population.generate import generate_nation
from simulator.population.profile import (REPO_ROOT, Profile, ProfileError, expected_register, load_profile,
                                          resolve_profile_path)
from simulator.population.schema import SUPPLIERS

ENGLAND = REPO_ROOT / "scenarios" / "profiles" / "england-2012-13.yaml"


def raw() -> dict:
    return yaml.safe_load(ENGLAND.read_text())


def write(tmp_path: Path, data: dict, name: str = "bad.yaml") -> Path:
    p = tmp_path / name
    p.write_text(yaml.safe_dump(data, sort_keys=False))
    return p


def refused(tmp_path: Path, data: dict) -> str:
    with pytest.raises(ProfileError) as e:
        load_profile(write(tmp_path, data))
    return str(e.value)


# ------------------------------------------------------------------ the England profile


def test_england_profile_loads_by_name(profile):
    assert isinstance(profile, Profile)
    assert profile.name == "england-2012-13"
    assert set(profile.conditions) == {"HYP", "DM", "CHD", "AST", "COPD", "CKD", "STIA", "AF", "HF", "MH", "DEM",
                                       "EPIL", "THY", "CAN", "PC", "LD", "OST", "PAD"}
    assert profile.conditions["HYP"].register_prevalence == pytest.approx(0.137)
    assert profile.conditions["DM"].register_prevalence == pytest.approx(0.0483)
    assert profile.conditions["DM"].register_min_age == 17
    assert profile.smoking.current == pytest.approx(0.20)


def test_supplier_shares_sum_to_one_emis_largest_then_tpp_inps_microtest(profile):
    s = profile.supplier_shares
    assert set(s) == set(SUPPLIERS)
    assert sum(s.values()) == pytest.approx(1.0)
    assert s["EMIS"] > s["TPP"] > s["INPS"] > s["Microtest"] > 0


def test_every_figure_carries_a_trust_tag_and_a_source():
    figures = []

    def walk(node, where):
        if isinstance(node, dict):
            if "value" in node or "tag" in node:
                figures.append((where, node))
            for k, v in node.items():
                walk(v, f"{where}.{k}")
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, f"{where}[{i}]")

    walk(raw(), "")
    assert len(figures) > 60
    for where, node in figures:
        assert node.get("tag") in ("S", "C", "R", "I"), where
        assert str(node.get("source", "")).strip(), where
    data = raw()
    # the sourced registers are tagged S, the CHD estimate I (FACTS.md does not source it)
    assert data["conditions"]["HYP"]["register_prevalence"]["tag"] == "S"
    assert data["conditions"]["DM"]["register_prevalence"]["tag"] == "S"
    assert data["conditions"]["CHD"]["register_prevalence"]["tag"] == "I"


def test_intercepts_are_solved_so_the_expected_register_meets_the_target(profile):
    years = (profile.achievement_date - profile.list_size_date).days / 365.2425
    for c in profile.conditions.values():
        got = expected_register(c, c.intercept, profile.register_weights, profile.male_share,
                                profile.variation.risk_sd, years)
        assert got == pytest.approx(c.register_prevalence, rel=1e-6)


def test_reference_dates_come_from_the_qof_catalogue(profile):
    assert str(profile.achievement_date) == "2013-03-31"
    assert str(profile.list_size_date) == "2013-01-01"
    assert str(profile.reference_period_start) == "2012-04-01"


def test_age_structure_and_mobility_are_normalised(profile):
    assert profile.age_weights.sum() == pytest.approx(1.0)
    assert (profile.age_weights * profile.mobility).sum() == pytest.approx(1.0)
    # England c.2011: about 16-17 % aged 65+ [I]
    assert 0.14 < profile.age_weights[65:].sum() < 0.20


# ------------------------------------------------------------------ lookup


def test_a_name_is_looked_up_in_the_current_dir_first_then_the_repo(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert resolve_profile_path("england-2012-13") == ENGLAND
    local = tmp_path / "scenarios" / "profiles"
    local.mkdir(parents=True)
    data = raw()
    data["name"] = "local-copy"
    write(local, data, "england-2012-13.yaml")
    assert load_profile("england-2012-13").name == "local-copy"


def test_an_unknown_name_is_refused_saying_where_it_looked():
    with pytest.raises(ProfileError, match="no-such-profile"):
        load_profile("no-such-profile")


def test_a_profile_can_extend_another_and_override_one_figure(tmp_path):
    p = write(tmp_path, {"extends": str(ENGLAND), "name": "demo",
                         "list_size": {"clamp": [2000, 12000]},
                         "conditions": {"HYP": {"register_prevalence": {"value": 0.15, "tag": "I", "source": "test"}}}},
              "demo.yaml")
    prof = load_profile(p)
    assert prof.name == "demo"
    assert prof.list_size_range == (2000, 12000)
    assert prof.conditions["HYP"].register_prevalence == 0.15
    assert prof.conditions["DM"].register_prevalence == pytest.approx(0.0483)


def test_profiles_extending_each_other_in_a_loop_are_refused(tmp_path):
    write(tmp_path, {"extends": "b.yaml", "name": "a"}, "a.yaml")
    write(tmp_path, {"extends": "a.yaml", "name": "b"}, "b.yaml")
    with pytest.raises(ProfileError, match="loop"):
        load_profile(tmp_path / "a.yaml")


# ------------------------------------------------------------------ impossible profiles, refused by field


def _set(data: dict, dotted: str, value):
    node = data
    *path, last = dotted.split(".")
    for k in path:
        node = node[k]
    node[last] = value
    return data


@pytest.mark.parametrize("dotted,value,field", [
    ("conditions.HYP.register_prevalence.value", 1.2, "conditions.HYP.register_prevalence"),
    ("conditions.DM.register_prevalence.value", -0.01, "conditions.DM.register_prevalence"),
    ("conditions.DM.register_prevalence.value", 0.9, "conditions.DM.register_prevalence"),  # unreachable
    ("list_size.min.value", -5, "list_size.min"),
    ("list_size.median.value", -7000, "list_size.median"),
    ("list_size.clamp", [12000, 2000], "list_size.clamp"),
    ("list_size.clamp", [-1, 2000], "list_size.clamp"),
    ("suppliers.EMIS.value", 0.6, "suppliers"),
    ("suppliers.TPP.value", "a lot", "suppliers.TPP"),
    ("smoking.ex.value", 0.9, "smoking.ex"),
    ("smoking.current.value", 1.5, "smoking.current"),
    ("conditions.HYP.care.bp_recorded_15m.value", 0.5, "conditions.HYP.care.bp_recorded_15m"),
    ("conditions.DM.clusters.diagnosis", "NO_SUCH_COD", "conditions.DM.clusters.diagnosis"),
    ("conditions.DM.care.tests", [{"cluster": "IFCCHBAM_COD"}], "conditions.DM.care.tests[0]"),
    ("conditions.CHD.register_prevalence.tag", "X", "conditions.CHD.register_prevalence.tag"),
    ("conditions.CHD.register_prevalence.source", "", "conditions.CHD.register_prevalence.source"),
    ("mortality.gompertz_b.value", True, "mortality.gompertz_b"),
    ("blood_pressure.priority", ["DM", "HYP"], "blood_pressure.priority"),
    ("year", "2099_00", "year"),
    ("conditions.AST.active.value", 0, "conditions.AST.active"),
    ("conditions.STIA.diagnosis_shares.value", [0.5, 0.5, 0.5], "conditions.STIA.diagnosis_shares"),
    ("conditions.STIA.diagnosis_shares.value", [0.5, 0.5], "conditions.STIA.diagnosis_shares"),
    ("conditions.CKD.clusters.resolved", ["CKD12_COD", "NO_SUCH_COD"], "conditions.CKD.clusters.resolved"),
    ("smoking.registers", ["DM", "ASTHMA"], "smoking.registers"),
    ("conditions.CAN.register_since.value", "2003-13-01", "conditions.CAN.register_since.value"),
    ("conditions.CAN.register_since.value", "2013-04-01", "conditions.CAN.register_since"),  # after 31 March 2013
    ("conditions.CAN.register_since.tag", "X", "conditions.CAN.register_since.tag"),
    ("conditions.OST.register_share.value", 0, "conditions.OST.register_share"),
    ("conditions.OST.register_share.value", 1.2, "conditions.OST.register_share"),
])
def test_an_impossible_value_is_refused_naming_its_field(tmp_path, dotted, value, field):
    msg = refused(tmp_path, _set(raw(), dotted, value))
    assert f"bad.yaml: {field}" in msg, msg


def test_an_unknown_condition_is_refused(tmp_path):
    data = raw()
    data["conditions"]["ASTHMA"] = copy.deepcopy(data["conditions"]["CHD"])
    assert "conditions.ASTHMA" in refused(tmp_path, data)


def test_an_unknown_supplier_is_refused(tmp_path):
    data = raw()
    data["suppliers"]["iSoft"] = {"value": 0.0, "tag": "I", "source": "test"}
    assert "suppliers.iSoft" in refused(tmp_path, data)


def test_a_misspelt_field_is_refused(tmp_path):
    data = raw()
    data["smoking"]["curent"] = data["smoking"].pop("current")
    msg = refused(tmp_path, data)
    assert "smoking.curent" in msg or "smoking.current" in msg


def test_age_bands_with_a_gap_are_refused(tmp_path):
    data = raw()
    data["age_structure"]["bands"][3][0] = 16
    assert "age_structure.bands[3]" in refused(tmp_path, data)


def test_a_refused_profile_writes_nothing(tmp_path):
    out = tmp_path / "nation"
    with pytest.raises(ProfileError):
        generate_nation(load_profile(write(tmp_path, _set(raw(), "list_size.min.value", -1))), 4, 1, out)
    assert not out.exists()


def test_a_bad_list_size_range_argument_is_refused_before_writing(profile, tmp_path):
    out = tmp_path / "nation"
    with pytest.raises(ProfileError, match="list_size_range"):
        generate_nation(profile, 4, 1, out, list_size_range=(5000, 100))
    with pytest.raises(ValueError, match="n_practices"):
        generate_nation(profile, 0, 1, out)
    assert not out.exists()


# ------------------------------------------------------------------ care processes (data, not code)


def _first_process(data: dict, cid: str = "DM") -> dict:
    return data["conditions"][cid]["care"]["processes"][0]


@pytest.mark.parametrize("change, field", [
    (lambda p: p.update(cluster="NO_SUCH_COD"), "conditions.DM.care.processes[0].cluster"),
    (lambda p: p.update(clusters=["FLU_COD"]), "conditions.DM.care.processes[0]"),              # cluster and clusters
    (lambda p: p.update(when={"within_months": 15, "since": "2012-09-01"}), "conditions.DM.care.processes[0].when"),
    (lambda p: p.update(when={"since": "1 September"}), "conditions.DM.care.processes[0].when.since"),
    (lambda p: p.update(when={"relative_to": "flu", "days": [0, 10]}), "conditions.DM.care.processes[0].when.relative_to"),
    (lambda p: p.update(when={"relative_to": "diagnosis", "days": [10, 0]}), "conditions.DM.care.processes[0].when.days"),
    (lambda p: p.update(among="proteinuria"), "conditions.DM.care.processes[0].among"),       # named later, not before
    (lambda p: p.update(unless="proteinuria"), "conditions.DM.care.processes[0].unless"),     # named later, not before
    (lambda p: p.update(unless={"a": 1}), "conditions.DM.care.processes[0].unless"),
    (lambda p: p.update(shift="luck"), "conditions.DM.care.processes[0].shift"),
    (lambda p: p["probability"].update(value=1.5), "conditions.DM.care.processes[0].probability"),
    (lambda p: p["probability"].pop("source"), "conditions.DM.care.processes[0].probability"),
    (lambda p: p["reading"].pop("tag"), "conditions.DM.care.processes[0].reading"),
    (lambda p: p.update(who={"diagnosed_since": "2011-13-01"}), "conditions.DM.care.processes[0].who.diagnosed_since"),
    (lambda p: p.update(when_months=15), "conditions.DM.care.processes[0].when_months"),
])
def test_a_bad_care_process_is_refused_naming_its_field(tmp_path, change, field):
    data = raw()
    change(_first_process(data))
    msg = refused(tmp_path, data)
    assert f"bad.yaml: {field}" in msg, msg


def test_population_processes_cannot_be_relative_to_a_diagnosis(tmp_path):
    data = raw()
    data["care"][0]["when"] = {"relative_to": "diagnosis", "days": [0, 30]}
    assert "bad.yaml: care[0].when.relative_to" in refused(tmp_path, data)


def test_processes_are_parsed_in_order_with_their_timing(profile):
    dm = {p.clusters: p for p in profile.conditions["DM"].care.processes}
    assert dm[("FLU_COD",)].when == ("since", dt.date(2012, 9, 1))
    assert dm[("BMI_COD",)].when == ("months", 15) and dm[("BMI_COD",)].value.median == 30
    assert dm[("ACEARB_DRUG",)].among == ("proteinuria", "microalbuminuria")
    assert dm[("PRT_COD",)].when == ("relative", "diagnosis", 0, None) and dm[("PRT_COD",)].shift == "none"
    names = [p.name for p in profile.care]
    assert names.index("newdep") < names.index("assessed")


def test_a_condition_without_blood_pressure_care_is_not_in_the_priority(profile):
    assert profile.conditions["AST"].care.bp is None
    assert "AST" not in profile.blood_pressure.priority
    assert profile.conditions["STIA"].diagnosis_clusters == ("STRK_COD", "TIA_COD", "STRKH_COD")
    assert profile.conditions["CKD"].resolved_clusters == ("CKD12_COD", "CKDRES_COD")


def test_the_active_share_scales_the_calibrated_register(profile):
    c = profile.conditions["AST"]
    assert c.active < 1
    kw = dict(age_weights=profile.age_weights, male_share=profile.male_share, risk_sd=profile.variation.risk_sd)
    full = expected_register(dataclasses.replace(c, active=1.0), c.intercept, **kw)
    assert expected_register(c, c.intercept, **kw) == pytest.approx(full * c.active)


# ------------------------------------------------------------------ what the register counts, solved for


def test_registers_are_solved_among_those_still_registered_on_the_achievement_date(profile):
    """QOF divides the register at 31 March by the list at 1 January: deaths and leavers since
    1 January are off the register, joiners on it. Deaths fall on the old, joiners are young."""
    w = profile.register_weights / profile.age_weights
    assert w[85] < w[70] < w[50] < 1.0 < w[25]  # the oldest lose most to deaths; young adults gain joiners
    assert w[90] == pytest.approx(1 - 0.25 * profile.mortality(90) - 0.25 * profile.leavers_per_year
                                  * profile.mobility[90] * (1 - 0.25 * profile.mortality(90))
                                  + 0.25 * profile.joiners_per_year * profile.mobility[90], rel=1e-9)
    years = (profile.achievement_date - profile.list_size_date).days / 365.2425
    dem = profile.conditions["DEM"]
    on_jan_list = expected_register(dem, dem.intercept, profile.age_weights, profile.male_share,
                                    profile.variation.risk_sd, years)
    assert on_jan_list > dem.register_prevalence * 1.015  # dementia would come out >1.5 % short without it


def test_a_register_of_recent_diagnoses_is_solved_for_its_window(profile):
    """CAN counts cancers diagnosed since April 2003, OST fractures since April 2012: the loader
    solves the diagnosis rate for the register, not for every diagnosis ever made."""
    can, ost = profile.conditions["CAN"], profile.conditions["OST"]
    assert can.register_since == dt.date(2003, 4, 1) and ost.register_since == dt.date(2012, 4, 1)
    assert can.register_window_years == pytest.approx(10.0, abs=0.01)
    kw = {"age_weights": profile.register_weights, "male_share": profile.male_share,
          "risk_sd": profile.variation.risk_sd, "years_to_achievement": 0.25}
    for c, at_least in ((can, 1.05), (ost, 1.15)):
        every = expected_register(dataclasses.replace(c, register_window_years=None, register_share=1.0), c.intercept,
                                  **kw)
        assert every > c.register_prevalence * at_least, c.id  # what the old calibration hit instead of the register
    assert ost.register_share == pytest.approx(0.9)
    full = expected_register(dataclasses.replace(ost, register_share=1.0), ost.intercept, **kw)
    assert expected_register(ost, ost.intercept, **kw) == pytest.approx(full * 0.9)


def test_exception_codes_for_a_treatment_go_to_patients_not_on_it(profile):
    chd = {p.clusters: p for p in profile.conditions["CHD"].care.processes}
    assert chd[("BBEX_COD",)].unless == ("betablocker", "bbhf")
    assert chd[("FLUEX_COD",)].unless == ("flu",)
    assert {p.name for p in profile.conditions["CHD"].care.processes} >= {"betablocker", "bbhf", "flu"}
