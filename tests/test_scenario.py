"""Scenario loading and validation: defaults, files, hashing, TOML round trip, error messages."""

import tomllib
from pathlib import Path

import pytest

from hrsim.scenario import (
    Scenario,
    ScenarioError,
    build_scenario,
    default_values,
    load_scenario,
    parameter_table,
    parse_set,
)

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
SCENARIO_FILES = sorted(SCENARIOS.glob("*.toml"))


def error_message(excinfo):
    """The message of a raised ScenarioError, checked to be one non-empty line."""
    assert excinfo.type is ScenarioError
    message = str(excinfo.value)
    assert message.strip()
    assert "\n" not in message
    return message


# -- defaults ------------------------------------------------------------------------------


def test_default_scenario_validates_with_the_table_values():
    scenario = Scenario.default()
    assert isinstance(scenario, Scenario)
    assert scenario.model_dump() == {**default_values(), "interventions": ()}
    assert scenario.run.name == "baseline"
    assert scenario.weeks == round(scenario.run.years * 52)


def test_every_default_has_value_unit_and_source():
    table = parameter_table()
    assert table
    for section, params in table.items():
        assert params, f"[{section}] is empty"
        for key, entry in params.items():
            where = f"{section}.{key}"
            assert isinstance(entry, dict), where
            # Optional metadata (issue 15): a cost's price year, a PSA distribution.
            assert {"value", "unit", "source"} <= set(entry), where
            assert set(entry) <= {"value", "unit", "source", "price_year", "psa"}, where
            assert isinstance(entry["unit"], str) and entry["unit"].strip(), where
            assert isinstance(entry["source"], str) and entry["source"].strip(), where


def test_every_cost_in_dollars_has_a_price_year_the_index_holds():
    from hrsim.economics.prices import price_index

    for section, params in parameter_table().items():
        for key, entry in params.items():
            dollars = "usd" in key
            assert dollars == ("price_year" in entry), f"{section}.{key}"
            if dollars:
                assert price_index(entry["price_year"]) > 0


def test_defaults_and_model_fields_do_not_drift():
    table = parameter_table()
    sections = {k: f for k, f in Scenario.model_fields.items() if k != "interventions"}
    assert set(sections) == set(table)
    for section, field in sections.items():
        model_fields = set(field.annotation.model_fields)
        default_keys = set(table[section])
        assert model_fields - default_keys == set(), f"[{section}] fields without a default"
        assert default_keys - model_fields == set(), f"[{section}] defaults without a field"


# -- scenario files ------------------------------------------------------------------------


def test_there_are_scenario_files():
    assert SCENARIO_FILES
    assert SCENARIOS / "baseline.toml" in SCENARIO_FILES


@pytest.mark.parametrize("path", SCENARIO_FILES, ids=lambda p: p.name)
def test_every_scenario_file_loads_and_applies_its_values(path):
    scenario = load_scenario(path)
    assert isinstance(scenario, Scenario)
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    dumped = scenario.model_dump()
    programmes = data.pop("interventions", [])
    for section, params in data.items():
        for key, value in params.items():
            assert dumped[section][key] == value, f"{path.name}: {section}.{key}"
    assert [p["type"] for p in dumped["interventions"]] == [p["type"] for p in programmes]
    for given, resolved in zip(programmes, dumped["interventions"], strict=True):
        assert {k: resolved[k] for k in given} == given, f"{path.name}: {given['type']}"


def test_fentanyl_surge_changes_only_what_it_names():
    surge = load_scenario(SCENARIOS / "fentanyl_surge.toml")
    assert surge.supply.fentanyl_share_by_year == [0.5, 0.6, 0.7, 0.8, 0.9]
    assert surge.run.name == "fentanyl_surge"
    assert surge.care == Scenario.default().care


# -- hash and TOML round trip ------------------------------------------------------------


def test_hash_is_stable_for_equal_scenarios():
    a = Scenario.default()
    b = load_scenario(SCENARIOS / "baseline.toml")  # names the default values only
    assert a == b
    assert a.hash() == b.hash()
    assert a.hash() == Scenario.default().hash()
    assert len(a.hash()) == 16
    int(a.hash(), 16)  # hex digits


def test_hash_changes_when_a_value_changes():
    base = Scenario.default()
    assert base.with_overrides({"care.aftercare_fraction": 0.7}).hash() != base.hash()
    assert base.with_overrides({"run.seed": 2}).hash() != base.hash()
    longer = base.with_overrides({"supply.fentanyl_share_by_year": [0.5, 0.6]})
    assert longer.hash() != base.hash()


@pytest.mark.parametrize(
    "scenario",
    [
        Scenario.default(),
        Scenario.default().with_overrides(
            {"care.aftercare_fraction": 0.7, "run.name": "county", "run.years": 2}
        ),
        load_scenario(SCENARIOS / "fentanyl_surge.toml"),
    ],
    ids=["default", "overridden", "fentanyl_surge"],
)
def test_to_toml_round_trips(tmp_path, scenario):
    path = tmp_path / "resolved.toml"
    path.write_text(scenario.to_toml(), encoding="utf-8")
    loaded = load_scenario(path)
    assert loaded.hash() == scenario.hash()
    assert loaded == scenario


# -- unknown keys --------------------------------------------------------------------------


def test_unknown_key_in_file_suggests_closest(tmp_path):
    path = tmp_path / "typo.toml"
    path.write_text("[care]\nrelapse_firstweek_probability = 0.5\n", encoding="utf-8")
    with pytest.raises(ScenarioError) as excinfo:
        load_scenario(path)
    message = error_message(excinfo)
    assert "care.relapse_firstweek_probability" in message
    assert "did you mean 'care.relapse_first_week_probability'" in message
    assert str(path) in message


def test_unknown_section_suggests_closest():
    with pytest.raises(ScenarioError) as excinfo:
        build_scenario({"carre": {"aftercare_fraction": 0.5}})
    message = error_message(excinfo)
    assert "'carre'" in message
    assert "did you mean 'care'" in message


def test_unknown_section_in_file_suggests_closest(tmp_path):
    path = tmp_path / "typo.toml"
    path.write_text("[carre]\naftercare_fraction = 0.5\n", encoding="utf-8")
    with pytest.raises(ScenarioError) as excinfo:
        load_scenario(path)
    message = error_message(excinfo)
    assert "'carre'" in message
    assert "did you mean 'care'" in message


def test_unknown_override_key_suggests_closest():
    with pytest.raises(ScenarioError) as excinfo:
        Scenario.default().with_overrides({"care.relapse_firstweek_probability": 0.5})
    message = error_message(excinfo)
    assert "care.relapse_firstweek_probability" in message
    assert "did you mean 'care.relapse_first_week_probability'" in message


def test_unknown_override_section_suggests_closest():
    with pytest.raises(ScenarioError) as excinfo:
        Scenario.default().with_overrides({"carre.aftercare_fraction": 0.5})
    message = error_message(excinfo)
    assert "carre.aftercare_fraction" in message
    assert "did you mean 'care.aftercare_fraction'" in message


# -- out-of-range values -------------------------------------------------------------------


def test_out_of_range_override_names_field_value_and_range():
    with pytest.raises(ScenarioError) as excinfo:
        Scenario.default().with_overrides({"care.aftercare_fraction": 1.5})
    message = error_message(excinfo)
    assert "care.aftercare_fraction" in message
    assert "1.5" in message
    assert "0 to 1" in message


def test_out_of_range_in_file_names_field_value_and_range(tmp_path):
    path = tmp_path / "range.toml"
    path.write_text("[care]\naftercare_fraction = 1.5\n", encoding="utf-8")
    with pytest.raises(ScenarioError) as excinfo:
        load_scenario(path)
    message = error_message(excinfo)
    assert "care.aftercare_fraction" in message
    assert "1.5" in message
    assert "0 to 1" in message
    assert str(path) in message


def test_out_of_range_with_other_bounds_names_that_range():
    with pytest.raises(ScenarioError) as excinfo:
        Scenario.default().with_overrides({"run.people": 5})
    message = error_message(excinfo)
    assert "run.people" in message
    assert "5" in message
    assert "10 to 20000000" in message


def test_out_of_range_list_element_names_field_index_value_and_range():
    with pytest.raises(ScenarioError) as excinfo:
        Scenario.default().with_overrides({"supply.fentanyl_share_by_year": [0.5, 1.5]})
    message = error_message(excinfo)
    assert "supply.fentanyl_share_by_year[1]" in message
    assert "1.5" in message
    assert "0 to 1" in message


def test_out_of_range_list_element_in_file(tmp_path):
    path = tmp_path / "surge.toml"
    path.write_text("[supply]\nfentanyl_share_by_year = [0.5, -0.25]\n", encoding="utf-8")
    with pytest.raises(ScenarioError) as excinfo:
        load_scenario(path)
    message = error_message(excinfo)
    assert "supply.fentanyl_share_by_year" in message
    assert "-0.25" in message
    assert "0 to 1" in message


def test_wrong_type_is_a_one_line_error():
    with pytest.raises(ScenarioError) as excinfo:
        Scenario.default().with_overrides({"care.aftercare_fraction": "lots"})
    message = error_message(excinfo)
    assert "care.aftercare_fraction" in message
    assert "lots" in message


# -- malformed and missing files -----------------------------------------------------------


def test_malformed_toml_reports_line_and_column(tmp_path):
    path = tmp_path / "broken.toml"
    path.write_text("[care]\naftercare_fraction = \n", encoding="utf-8")
    with pytest.raises(ScenarioError) as excinfo:
        load_scenario(path)
    message = error_message(excinfo)
    assert str(path) in message
    assert "line 2" in message
    assert "column 22" in message


def test_missing_file_names_the_file(tmp_path):
    path = tmp_path / "no_such_scenario.toml"
    with pytest.raises(ScenarioError) as excinfo:
        load_scenario(path)
    message = error_message(excinfo)
    assert str(path) in message


# -- parse_set -----------------------------------------------------------------------------


def test_parse_set_parses_toml_literals_and_bare_text():
    parsed = parse_set(
        [
            "care.aftercare_fraction=0.7",
            "run.people=500",
            "run.flag=true",
            "supply.fentanyl_share_by_year=[0.5, 0.6]",
            "run.name=county",
            " care.detox_programme_weeks = 4 ",
        ]
    )
    assert parsed == {
        "care.aftercare_fraction": 0.7,
        "run.people": 500,
        "run.flag": True,
        "supply.fentanyl_share_by_year": [0.5, 0.6],
        "run.name": "county",
        "care.detox_programme_weeks": 4,
    }
    assert isinstance(parsed["care.aftercare_fraction"], float)
    assert isinstance(parsed["run.people"], int) and not isinstance(parsed["run.people"], bool)
    assert parsed["run.flag"] is True
    assert parse_set(["run.flag=false"])["run.flag"] is False
    assert parse_set(['run.name="quoted text"'])["run.name"] == "quoted text"


def test_parse_set_of_nothing_is_empty():
    assert parse_set([]) == {}


@pytest.mark.parametrize("item", ["care.x", "care.x=", "=0.5"])
def test_parse_set_rejects_missing_equals_or_parts(item):
    with pytest.raises(ScenarioError) as excinfo:
        parse_set([item])
    message = error_message(excinfo)
    assert repr(item) in message
    assert "section.key=value" in message


@pytest.mark.parametrize("item", ["aftercare_fraction=0.5", "care.sub.key=1"])
def test_parse_set_rejects_keys_without_one_section(item):
    with pytest.raises(ScenarioError) as excinfo:
        parse_set([item])
    message = error_message(excinfo)
    assert repr(item) in message
    assert "section.key" in message


# -- overrides -----------------------------------------------------------------------------


def test_with_overrides_applies_and_leaves_the_original():
    base = Scenario.default()
    changed = base.with_overrides({"care.aftercare_fraction": 0.7})
    assert changed.care.aftercare_fraction == 0.7
    assert base.care.aftercare_fraction == default_values()["care"]["aftercare_fraction"]
    assert changed.care.aftercare_fraction != base.care.aftercare_fraction
    assert changed.overdose == base.overdose


def test_load_scenario_applies_overrides():
    scenario = load_scenario(
        SCENARIOS / "baseline.toml", parse_set(["care.aftercare_fraction=0.7", "run.seed=9"])
    )
    assert scenario.care.aftercare_fraction == 0.7
    assert scenario.run.seed == 9


@pytest.mark.parametrize("key", ["care.no_such_parameter", "nosection.aftercare_fraction", "care"])
def test_with_overrides_rejects_unknown_keys(key):
    with pytest.raises(ScenarioError) as excinfo:
        Scenario.default().with_overrides({key: 0.5})
    message = error_message(excinfo)
    assert key in message
    assert "unknown key" in message


def test_override_out_of_range_is_a_scenario_error():
    with pytest.raises(ScenarioError) as excinfo:
        load_scenario(None, {"care.aftercare_fraction": -0.1})
    message = error_message(excinfo)
    assert "care.aftercare_fraction" in message
    assert "-0.1" in message


def test_initial_shares_must_fit_in_the_population():
    with pytest.raises(ScenarioError) as info:
        Scenario.default().with_overrides(
            {"population.moud_fraction": 0.8, "population.recovery_fraction": 0.3}
        )
    message = str(info.value)
    assert "population" in message and "1.1" in message and "\n" not in message


@pytest.mark.parametrize("path", SCENARIO_FILES, ids=lambda p: p.name)
def test_every_scenario_file_runs(path):
    from hrsim import HarmReductionModel

    model = HarmReductionModel(load_scenario(path, {"run.people": 600, "run.years": 0.1}))
    model.run()
    ts = model.timeseries_frame()
    assert len(ts) == model.weeks + 1 and (ts["population"] > 0).all()


def test_a_bare_name_loads_the_built_in_scenario(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no scenarios/ folder here: only the package's own files
    assert load_scenario("full_package") == load_scenario(SCENARIOS / "full_package.toml")
    assert load_scenario("full_package.toml").hash() == load_scenario("full_package").hash()
    with pytest.raises(ScenarioError, match="did you mean 'full_package'"):
        load_scenario("full_packag")


# -- strict types --------------------------------------------------------------------------

EXPERIMENTS = Path(__file__).resolve().parents[1] / "experiments"


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("run.years", True, "run.years = true is a boolean, not a number"),
        ("run.people", True, "run.people = true is a boolean, not a whole number"),
        ("run.seed", 7.0, "run.seed = 7.0 is a decimal number, not a whole number"),
        ("care.aftercare_fraction", "0.5", "care.aftercare_fraction = '0.5' is text, not a number"),
        ("run.name", 5, "run.name = 5 is a whole number, not text"),
        ("supply.fentanyl_share_by_year", 0.5, "is a decimal number, not a list"),
        ("supply.fentanyl_share_by_year", [0.5, False], "fentanyl_share_by_year[1] = false"),
        ("interventions.naloxone_distribution.coverage_fraction", True, "= true is a boolean"),
        ("interventions.naloxone_distribution.start_week", 1.5, "start_week = 1.5 is a decimal"),
    ],
)
def test_values_of_the_wrong_type_name_field_value_and_type(key, value, expected):
    base = load_scenario(SCENARIOS / "naloxone_distribution.toml")
    with pytest.raises(ScenarioError) as excinfo:
        base.with_overrides({key: value})
    message = error_message(excinfo)
    assert expected in message


def test_a_whole_number_is_a_number():
    scenario = Scenario.default().with_overrides({"run.years": 5, "care.aftercare_fraction": 1})
    assert scenario.run.years == 5.0 and isinstance(scenario.run.years, float)
    assert scenario.care.aftercare_fraction == 1.0
    assert load_scenario(None, {"supply.fentanyl_share_by_year": [0, 1]}).fentanyl_share(60) == 1
    # A tuple from Python is a list too.
    scenario = Scenario.default().with_overrides({"supply.fentanyl_share_by_year": (0.5, 0.6)})
    assert scenario.supply.fentanyl_share_by_year == [0.5, 0.6]


@pytest.mark.parametrize("path", sorted(EXPERIMENTS.glob("*.toml")), ids=lambda p: p.name)
def test_every_shipped_sweep_still_plans(path):
    from hrsim.batch.sweep import plan_sweep

    assert plan_sweep(path).arms


def test_a_resolved_scenario_loads_again_under_strict_types(tmp_path):
    for path in SCENARIO_FILES:
        scenario = load_scenario(path)
        copy = tmp_path / path.name
        copy.write_text(scenario.to_toml(), encoding="utf-8")
        assert load_scenario(copy) == scenario


# -- names, nesting, long numbers ------------------------------------------------------------


@pytest.mark.parametrize("char", ["\x00", "\n", "\t", "\x1b", "\x7f", "\x85"])
def test_a_control_character_in_the_name_is_refused_at_validation(char):
    with pytest.raises(ScenarioError) as excinfo:
        Scenario.default().with_overrides({"run.name": f"county{char}2"})
    message = error_message(excinfo)
    assert "run.name" in message and f"U+{ord(char):04X}" in message and "position 6" in message


def test_names_of_any_script_and_punctuation_are_fine():
    assert Scenario.default().with_overrides({"run.name": "Zürich – 東京 (v2)"}).run.name


def test_parse_set_refuses_long_integers_and_deep_nesting_in_one_line():
    with pytest.raises(ScenarioError) as excinfo:
        parse_set(["run.seed=" + "9" * 5000])
    assert "more than 4300 digits" in error_message(excinfo)
    for depth in (60, 2000):
        with pytest.raises(ScenarioError) as excinfo:
            parse_set(["run.name=" + "[" * depth + "]" * depth])
        assert "nested more than 32 levels deep" in error_message(excinfo)
    assert parse_set(["supply.fentanyl_share_by_year=[[0.5]]"])  # shallow nesting parses


def test_a_huge_python_integer_is_shown_by_its_size():
    with pytest.raises(ScenarioError) as excinfo:
        Scenario.default().with_overrides({"run.seed": 10**10000})
    message = error_message(excinfo)
    assert "<a whole number of about 10,00" in message and "out of range" in message
