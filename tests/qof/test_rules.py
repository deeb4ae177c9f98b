"""The rule model: the shipped rules parse, windows and ages resolve to the right dates, and a
bad rules file is refused with a message that names the file, the place and the field."""

from __future__ import annotations

import copy
import datetime as dt
import re

import pytest
import yaml

from simulator.qof.catalogue import HERE
from simulator.qof.rules import (AgeAtLeast, Around, FirstWithin, Has, LatestIs, LatestValue, Not, OnRegister,
                                 RegisteredWithin, RuleError, Sex, Unresolved, Window, load_rules, parse_rules)

ACH, LSD = dt.date(2013, 3, 31), dt.date(2013, 1, 1)
SOURCE = "rules_2012_13.yaml"
with open(HERE / SOURCE) as _f:
    SHIPPED = yaml.safe_load(_f)


def shipped() -> dict:
    """A fresh, mutable copy of the shipped rules as YAML data."""
    return copy.deepcopy(SHIPPED)


def parse(data: dict, achievement_date: dt.date = ACH):
    return parse_rules(data, achievement_date, LSD, source=SOURCE)


def refused(data: dict, *fragments: str) -> str:
    """Parsing fails, and the message names the file and every fragment given."""
    with pytest.raises(RuleError) as info:
        parse(data)
    msg = str(info.value)
    assert msg.startswith(SOURCE + ": "), msg
    for fragment in fragments:
        assert fragment in msg, f"{fragment!r} not in {msg!r}"
    return msg


# ------------------------------------------------------------------ the shipped rules

REGISTERS = {"DM": "DM32", "HYP": "BP01", "CHD": "CHD01", "AST": "ASTHMA01", "COPD": "COPD14", "CKD": "CKD01",
             "STIA": "STROKE01", "AF": "AF01", "HF": "HF01", "MH": "MH08", "DEM": "DEM01", "EPIL": "EPILEP05",
             "THY": "THYROI01", "CAN": "CANCER01", "PC": "PC03", "OB": "OBESIT01", "LD": "LD01", "OST": "OST01",
             "SH": "SH01", "PAD": "PAD01"}
POPULATION = {  # indicator -> the register whose members form its population (None: no single register)
    **{i: "DM" for i in ("DM02", "DM10", "DM13", "DM15", "DM17", "DM18", "DM21", "DM22", "DM26", "DM27", "DM28",
                         "DM29", "DM30", "DM31")},
    **{i: "CHD" for i in ("CHD06", "CHD08", "CHD09", "CHD10", "CHD12", "CHD14")},
    "BP04": "HYP", "BP05": "HYP",
    **{i: "AST" for i in ("ASTHMA08", "ASTHMA09", "ASTHMA10")},
    **{i: "COPD" for i in ("COPD08", "COPD10", "COPD13", "COPD15")},
    **{i: "CKD" for i in ("CKD02", "CKD03", "CKD05", "CKD06")},
    **{i: "STIA" for i in ("STROKE06", "STROKE07", "STROKE08", "STROKE10", "STROKE12", "STROKE13")},
    **{i: "AF" for i in ("AF05", "AF06", "AF07")},
    **{i: "HF" for i in ("HF02", "HF03", "HF04")},
    **{i: "MH" for i in ("MH10", "MH11", "MH12", "MH13", "MH16", "MH17", "MH18", "MH19", "MH20")},
    "DEM02": "DEM", "DEM04": "DEM", "EPILEP06": "EPIL", "EPILEP08": "EPIL", "EPILEP09": "EPIL",
    "THYROI02": "THY", "CANCER03": "CAN", "LD02": "LD", "OST02": "OST", "OST03": "OST",
    "PAD02": "PAD", "PAD03": "PAD", "PAD04": "PAD", "SH02": "SH", "SH03": "SH",
    "PP02": "HYP",
    "PC02": "PC",
    **{i: None for i in ("CS06", "CS07", "CHS01", "MAT01")},
    **{i: None for i in ("SMOKE05", "SMOKE06", "SMOKE07", "SMOKE08", "DEP01", "DEP06", "DEP07", "PP01", "CS01")},
}


def test_shipped_rules_parse():
    rules = load_rules(HERE / SOURCE, ACH, LSD)
    assert rules.spec_id == "QOF-2012-13"
    assert {r: reg.indicator for r, reg in rules.registers.items()} == REGISTERS
    assert set(rules.indicators) == set(POPULATION)
    assert rules.clusters_used() == set(rules.clusters)


def test_each_indicator_knows_its_population_register():
    rules = parse(shipped())
    assert {i: ind.register for i, ind in rules.indicators.items()} == POPULATION


def test_every_rule_list_ends_with_an_unconditional_rule():
    rules = parse(shipped())
    for r in [*rules.registers.values(), *rules.indicators.values()]:
        assert r.rules[-1].condition is None
        assert all(rule.condition is not None for rule in r.rules[:-1])


# ------------------------------------------------------------------ dates resolve once

@pytest.mark.parametrize("months, first_day", [
    (15, dt.date(2012, 1, 1)),
    (9, dt.date(2012, 7, 1)),
    (27, dt.date(2011, 1, 1)),
    (3, dt.date(2013, 1, 1)),
    (12, dt.date(2012, 4, 1)),
    (1, dt.date(2013, 3, 1)),
])
def test_window_of_n_months_starts_the_day_after_achievement_date_minus_n_months(months, first_day):
    data = shipped()
    data["indicators"]["DM26"]["rules"][2] = {"if": {"has": {"cluster": "DMEX_COD", "within_months": months}},
                                              "then": "exception"}
    window = parse(data).indicators["DM26"].rules[2].condition.window
    assert (window.start, window.end) == (first_day, ACH)
    assert window.contains(first_day) and window.contains(ACH)
    assert not window.contains(first_day - dt.timedelta(days=1))
    assert not window.contains(ACH + dt.timedelta(days=1))


def test_shipped_windows_resolve_to_the_expected_dates():
    rules = parse(shipped())
    dm26 = rules.indicators["DM26"].rules
    assert isinstance(dm26[1].condition, LatestValue) and dm26[1].condition.window.start == dt.date(2012, 1, 1)
    assert isinstance(dm26[3].condition, RegisteredWithin) and dm26[3].condition.window.start == dt.date(2012, 7, 1)
    assert isinstance(dm26[4].condition, FirstWithin) and dm26[4].condition.window.start == dt.date(2012, 7, 1)
    bp04 = rules.indicators["BP04"].rules
    assert isinstance(bp04[1].condition, Has) and bp04[1].condition.window.start == dt.date(2012, 7, 1)
    assert bp04[4].condition.window.start == dt.date(2013, 1, 1)
    smoke07 = rules.indicators["SMOKE07"].rules
    assert smoke07[1].condition.window.start == dt.date(2011, 1, 1)
    smoke08 = rules.indicators["SMOKE08"].rules
    assert isinstance(smoke08[1].condition.part, LatestIs)
    assert smoke08[1].condition.part.window.start == dt.date(2011, 1, 1)


def test_has_without_months_means_ever():
    chd = parse(shipped()).registers["CHD"].rules[0].condition
    assert isinstance(chd, Has) and chd.window.start is None and chd.window.end == ACH
    assert chd.window.contains(dt.date(1900, 1, 1))


def test_age_17_cut_off_is_born_on_or_before_1996_03_31():
    first = parse(shipped()).registers["DM"].rules[0].condition
    assert first == Not(AgeAtLeast(17, dt.date(1996, 3, 31)))


def test_age_15_cut_off_is_born_on_or_before_1998_03_31():
    first = parse(shipped()).indicators["SMOKE07"].rules[0].condition
    assert first == Not(AgeAtLeast(15, dt.date(1998, 3, 31)))


def test_age_at_least_is_not_negated():
    data = shipped()
    data["registers"]["DM"]["rules"][0] = {"if": {"age_at_least": 80}, "then": "reject"}
    assert parse(data).registers["DM"].rules[0].condition == AgeAtLeast(80, dt.date(1933, 3, 31))


def test_dates_follow_the_achievement_date():
    rules = parse(shipped(), achievement_date=dt.date(2012, 3, 31))
    assert rules.indicators["DM26"].rules[1].condition.window.start == dt.date(2011, 1, 1)
    assert rules.registers["DM"].rules[0].condition.part.born_by == dt.date(1995, 3, 31)
    unresolved = rules.registers["DM"].rules[1].condition
    assert isinstance(unresolved, Unresolved) and unresolved.end == dt.date(2012, 3, 31)


def test_a_leap_day_achievement_date_resolves_to_real_dates():
    rules = parse(shipped(), achievement_date=dt.date(2012, 2, 29))
    assert rules.indicators["BP04"].rules[4].condition.window.start == dt.date(2011, 11, 30)  # 3 months
    assert rules.registers["DM"].rules[0].condition.part.born_by == dt.date(1995, 2, 28)


# ------------------------------------------------------------------ refusals

def test_refuses_unknown_condition():
    data = shipped()
    data["indicators"]["DM26"]["rules"][1] = {"if": {"latest_reading": {"cluster": "IFCCHBAM_COD"}},
                                              "then": "numerator"}
    refused(data, "indicators.DM26.rules[1].if", "unknown condition 'latest_reading'")


def test_refuses_unknown_cluster():
    data = shipped()
    data["indicators"]["DM26"]["rules"][1]["if"]["latest_value"]["cluster"] = "HBA1C_COD"
    refused(data, "indicators.DM26.rules[1].if.latest_value.cluster", "unknown cluster 'HBA1C_COD'")


def test_refuses_unknown_cluster_inside_a_list_and_a_not():
    data = shipped()
    data["indicators"]["SMOKE08"]["rules"][1]["if"]["not"]["latest_is"]["among"].append("VAPE_COD")
    refused(data, "indicators.SMOKE08.rules[1].if.not.latest_is.among", "'VAPE_COD'")


def test_refuses_missing_final_unconditional_rule():
    data = shipped()
    data["indicators"]["DM26"]["rules"].pop()
    refused(data, "indicators.DM26.rules", "the last rule must have no 'if'")


def test_refuses_an_unconditional_rule_before_the_last():
    data = shipped()
    data["registers"]["HYP"]["rules"].insert(0, {"then": "reject"})
    refused(data, "registers.HYP.rules", "only the last rule may be unconditional")


def test_refuses_bad_indicator_outcome():
    data = shipped()
    data["indicators"]["DM26"]["rules"][2]["then"] = "excepted"
    refused(data, "indicators.DM26.rules[2].then", "'excepted'", "numerator, exception, denominator, reject")


def test_refuses_indicator_outcome_in_a_register():
    data = shipped()
    data["registers"]["DM"]["rules"][1]["then"] = "numerator"
    refused(data, "registers.DM.rules[1].then", "select, reject")


@pytest.mark.parametrize("months", [1.5, "15", 0, -3, True])
def test_refuses_non_integer_months(months):
    data = shipped()
    data["indicators"]["DM26"]["rules"][1]["if"]["latest_value"]["within_months"] = months
    refused(data, "indicators.DM26.rules[1].if.latest_value", "within_months", repr(months))


def test_refuses_non_integer_months_in_first():
    data = shipped()
    data["indicators"]["DM26"]["rules"][4]["if"]["first"]["within_months"] = 9.5
    refused(data, "indicators.DM26.rules[4].if.first", "'within_months'", "9.5")


def test_refuses_non_integer_months_in_registered_within_months():
    data = shipped()
    data["indicators"]["DM26"]["rules"][3]["if"]["registered_within_months"] = "9"
    refused(data, "indicators.DM26.rules[3].if.registered_within_months", "'9'")


def test_refuses_is_not_within_among():
    data = shipped()
    data["indicators"]["SMOKE08"]["rules"][1]["if"]["not"]["latest_is"]["is"] = ["CSSUP_COD"]
    refused(data, "indicators.SMOKE08.rules[1].if.not.latest_is.is", "'among'")


def test_refuses_unknown_register():
    data = shipped()
    data["indicators"]["DM26"]["rules"][0]["if"]["not"]["on_register"] = "DIABETES"
    refused(data, "indicators.DM26.rules[0].if.not.on_register", "unknown register 'DIABETES'")


def test_refuses_a_register_that_depends_on_a_register():
    data = shipped()
    data["registers"]["CHD"]["rules"].insert(0, {"if": {"on_register": "DM"}, "then": "select"})
    refused(data, "registers.CHD.rules[0].if", "may not depend on another register")


def test_refuses_unknown_field_in_a_condition():
    data = shipped()
    data["indicators"]["BP04"]["rules"][1]["if"]["has"]["within"] = 9
    refused(data, "indicators.BP04.rules[1].if.has", "unknown field 'within'")


def test_refuses_missing_field_in_a_condition():
    data = shipped()
    del data["registers"]["DM"]["rules"][1]["if"]["unresolved"]["resolved"]
    refused(data, "registers.DM.rules[1].if.unresolved", "missing field 'resolved'")


def test_refuses_latest_value_without_a_threshold():
    data = shipped()
    del data["indicators"]["CHD08"]["rules"][1]["if"]["latest_value"]["max"]
    refused(data, "indicators.CHD08.rules[1].if.latest_value", "max")


def test_refuses_a_threshold_that_is_not_a_number():
    data = shipped()
    data["indicators"]["DM26"]["rules"][1]["if"]["latest_value"]["max"] = "59"
    refused(data, "indicators.DM26.rules[1].if.latest_value.max", "'59'")


def test_refuses_non_integer_age():
    data = shipped()
    data["registers"]["DM"]["rules"][0]["if"]["age_under"] = 16.5
    refused(data, "registers.DM.rules[0].if.age_under", "16.5")


def test_refuses_a_rule_that_is_not_if_then():
    data = shipped()
    data["indicators"]["DM27"]["rules"][2] = {"when": {"has": {"cluster": "DMEX_COD"}}, "then": "exception"}
    refused(data, "indicators.DM27.rules[2]", "{if: CONDITION, then: OUTCOME}")


def test_refuses_a_condition_with_two_keys():
    data = shipped()
    data["indicators"]["DM27"]["rules"][2]["if"]["registered_within_months"] = 9
    refused(data, "indicators.DM27.rules[2].if", "exactly one key")


def test_refuses_missing_top_level_field():
    data = shipped()
    del data["clusters"]
    refused(data, "missing top-level field 'clusters'")


def test_load_rules_names_the_file(tmp_path):
    data = shipped()
    data["indicators"]["DM26"]["rules"].pop()
    path = tmp_path / "rules_broken.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(RuleError, match=re.escape("rules_broken.yaml: indicators.DM26.rules: ")):
        load_rules(path, ACH, LSD)


def test_parsed_rules_are_frozen():
    rules = parse(shipped())
    with pytest.raises(Exception):
        rules.indicators["DM26"].rules[1].condition.max = 100  # type: ignore[misc]
    assert isinstance(rules.indicators["DM26"].rules[0].condition, Not)
    assert rules.indicators["DM26"].rules[0].condition.part == OnRegister("DM")


@pytest.mark.parametrize("rule, place", [
    (3, "indicators.DM26.rules[3].if.registered_within_months"),
    (4, "indicators.DM26.rules[4].if.first"),
])
def test_refuses_an_empty_month_count_where_months_are_required(rule, place):
    # `registered_within_months:` left empty must not silently become "registered ever"
    data = shipped()
    cond = data["indicators"]["DM26"]["rules"][rule]["if"]
    if "first" in cond:
        cond["first"]["within_months"] = None
    else:
        cond["registered_within_months"] = None
    refused(data, place, "None")


# ------------------------------------------------------------------ the vocabulary added for 2012/13's other areas

def _leaf(node: dict, data: dict | None = None):
    """Parse one condition placed as the numerator rule of DM02."""
    data = data or shipped()
    data["indicators"]["DM02"]["rules"][1] = {"if": node, "then": "numerator"}
    return parse(data).indicators["DM02"].rules[1].condition


def test_since_opens_a_window_on_a_fixed_day():
    has = _leaf({"has": {"cluster": "FLU_COD", "since": "2012-09-01"}})
    assert has == Has(("FLU_COD",), Window(dt.date(2012, 9, 1), ACH))


def test_since_may_be_a_yaml_date():
    assert _leaf({"has": {"cluster": "FLU_COD", "since": dt.date(2012, 9, 1)}}).window.start == dt.date(2012, 9, 1)


def test_since_after_the_achievement_date_is_an_empty_window():
    w = _leaf({"has": {"cluster": "FLU_COD", "since": "2013-09-01"}}).window
    assert not w.contains(ACH) and not w.contains(dt.date(2013, 9, 1))


def test_refuses_since_and_within_months_together():
    data = shipped()
    data["indicators"]["DM18"]["rules"][1]["if"]["has"]["within_months"] = 6
    refused(data, "indicators.DM18.rules[1].if.has", "not both")


@pytest.mark.parametrize("bad", ["1 September 2012", "2012-02-30", 20120901])
def test_refuses_a_since_that_is_not_a_date(bad):
    data = shipped()
    data["indicators"]["DM18"]["rules"][1]["if"]["has"]["since"] = bad
    refused(data, "indicators.DM18.rules[1].if.has.since", "YYYY-MM-DD", repr(bad))


def test_first_reads_within_months_or_since():
    assert _leaf({"first": {"cluster": "MI_COD", "since": "2011-04-01"}}) == FirstWithin(
        ("MI_COD",), Window(dt.date(2011, 4, 1), ACH))
    assert _leaf({"first": {"cluster": "MI_COD", "within_months": 3}}).window.start == dt.date(2013, 1, 1)


def test_refuses_first_without_a_window():
    data = shipped()
    data["indicators"]["DM02"]["rules"][4]["if"]["first"] = {"cluster": "DM_COD"}
    refused(data, "indicators.DM02.rules[4].if.first", "within_months")


def test_latest_value_without_a_window_reads_the_whole_record():
    lv = _leaf({"latest_value": {"cluster": "CHADS2_COD", "min": 2}})
    assert lv.window.start is None and lv.min == 2 and lv.max is None


def test_around_keeps_its_day_offsets_and_anchor():
    a = _leaf({"around": {"cluster": "VARREV_COD", "first_of": "AST_COD", "from_days": -91, "to_days": 365}})
    assert a == Around(("VARREV_COD",), ("AST_COD",), -91, 365, False)
    b = _leaf({"around": {"cluster": "LARC_COD", "latest_of": ["EHC_DRUG"], "from_days": 0}})
    assert b == Around(("LARC_COD",), ("EHC_DRUG",), 0, None, True)


@pytest.mark.parametrize("body, fragment", [
    ({"cluster": "VARREV_COD", "first_of": "AST_COD"}, "from_days, to_days or both"),
    ({"cluster": "VARREV_COD", "first_of": "AST_COD", "from_days": 10, "to_days": -10}, "after to_days"),
    ({"cluster": "VARREV_COD", "from_days": 0}, "first_of or latest_of"),
    ({"cluster": "VARREV_COD", "first_of": "AST_COD", "latest_of": "AST_COD", "from_days": 0}, "not both"),
    ({"cluster": "VARREV_COD", "first_of": "AST_COD", "from_days": 1.5}, "whole number of days"),
    ({"cluster": "VARREV_COD", "first_of": "ASTHMA_COD", "from_days": 0}, "unknown cluster 'ASTHMA_COD'"),
])
def test_refuses_a_bad_around(body, fragment):
    data = shipped()
    data["indicators"]["DM02"]["rules"][1] = {"if": {"around": body}, "then": "numerator"}
    refused(data, "indicators.DM02.rules[1].if.around", fragment)


def test_sex_is_f_or_m():
    assert _leaf({"sex": "F"}) == Sex("F")
    data = shipped()
    data["indicators"]["CS01"]["rules"][0]["if"]["not"]["sex"] = "female"
    refused(data, "indicators.CS01.rules[0].if.not.sex", "F or M", "'female'")


def test_subset_keeps_the_registers_an_indicator_reads():
    rules = parse(shipped())
    sub = rules.subset(["PP01"])
    assert set(sub.indicators) == {"PP01"}
    assert set(sub.registers) == {"HYP", "CHD", "STIA", "DM"}
    assert set(rules.subset(["DM32"]).registers) == {"DM"} and not rules.subset(["DM32"]).indicators
