"""The sidebar's settings become exactly the scenario a student would expect."""

from pathlib import Path

import pytest

from hrsim import ScenarioError, load_scenario
from hrsim.dashboard.parameters import (
    CORE_SLIDERS,
    PROGRAMMES,
    Settings,
    describe,
    pick_scenario,
    scenario_files,
    scenario_toml,
    to_scenario,
)
from hrsim.interventions import BUILT_IN, lookup, programme_defaults
from hrsim.scenario import builtin, library, parameter_table

# Where users find the built-in scenarios: the top of the repository.
SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


@pytest.mark.parametrize("file", scenario_files())
def test_settings_from_a_file_give_back_that_file(file):
    settings = Settings.from_file(file, people=300, seed=5)
    expected = load_scenario(SCENARIOS / file, {"run.people": 300, "run.seed": 5})
    assert to_scenario(settings).hash() == expected.hash()
    assert describe(file)  # every file says what it is in its opening comment


def test_scenario_files_are_the_folder_baseline_first():
    files = scenario_files()
    assert files[0] == "baseline.toml"
    assert sorted(files) == sorted(p.name for p in SCENARIOS.glob("*.toml"))


def test_the_package_library_is_the_repository_folder_itself():
    # In a checkout the package reads scenarios/ through its link: one copy of each file.
    assert library().samefile(SCENARIOS)
    assert builtin("prep").samefile(SCENARIOS / "prep.toml")
    assert builtin("prep.toml") == builtin("prep")
    for bad in ("no_such_scenario", "../pyproject", "sub/baseline.toml"):
        with pytest.raises(ScenarioError, match="no built-in scenario .* there are: baseline, "):
            builtin(bad)


def test_core_sliders_set_their_parameters():
    s = Settings().changes(people=700, seed=9, fentanyl_share_by_year=(0.8,), moud_capacity=0.45)
    scenario = to_scenario(s)
    assert (scenario.run.people, scenario.run.seed) == (700, 9)
    assert scenario.supply.fentanyl_share_by_year == [0.8]
    assert scenario.care.moud_capacity_fraction == 0.45
    assert scenario.interventions == ()


def test_a_fentanyl_series_is_kept_until_the_slider_moves():
    s = Settings.from_file("fentanyl_surge.toml")
    assert s.fentanyl_share_by_year == (0.5, 0.6, 0.7, 0.8, 0.9)
    assert to_scenario(s).supply.fentanyl_share_by_year == [0.5, 0.6, 0.7, 0.8, 0.9]


def test_switching_a_programme_on_uses_its_defaults_and_the_slider_value():
    s = Settings().with_programme("prep", 0.4)
    (prep,) = to_scenario(s).interventions
    defaults = {k: v["value"] for k, v in programme_defaults()["prep"].items()}
    assert prep.type == "prep" and prep.coverage_fraction == 0.4
    assert prep.efficacy == defaults["efficacy"]
    assert to_scenario(s.with_programme("prep", None)).interventions == ()


def test_a_programme_from_the_file_keeps_the_files_other_parameters():
    s = Settings.from_file("full_package.toml").with_programme("syringe_services", 0.9)
    syringe = next(p for p in to_scenario(s).interventions if p.type == "syringe_services")
    assert syringe.coverage_fraction == 0.9
    assert syringe.naloxone_kit_probability_per_week == 0.02  # set in full_package.toml
    assert syringe.ramp_up_weeks == 26
    types = [p.type for p in to_scenario(s).interventions]
    # Every programme the file has, none added: the file has twelve (all but ed_buprenorphine,
    # see docs/programmes.md), the file's order being the built-in order.
    in_file = [p.type for p in load_scenario("full_package.toml").interventions]
    assert in_file == [t for t in BUILT_IN if t != "ed_buprenorphine"]
    assert types == in_file


def test_every_slider_cites_the_source_the_model_uses():
    table = parameter_table()
    assert CORE_SLIDERS["seed"].source == table["run"]["seed"]["source"]
    assert CORE_SLIDERS["fentanyl"].source == table["supply"]["fentanyl_share_by_year"]["source"]
    assert CORE_SLIDERS["moud_capacity"].source == table["care"]["moud_capacity_fraction"]["source"]
    assert tuple(PROGRAMMES) == BUILT_IN
    for type_, programme in PROGRAMMES.items():
        key = programme.slider.key
        assert key in lookup(type_).Params.model_fields
        assert programme.slider.source == programme_defaults()[type_][key]["source"]
        assert programme.slider.explanation and programme.does


@pytest.mark.parametrize("type_", BUILT_IN)
def test_each_programme_slider_end_is_a_valid_scenario(type_):
    slider = PROGRAMMES[type_].slider
    for level in (slider.min, slider.max):
        scenario = to_scenario(Settings().with_programme(type_, level))
        assert getattr(scenario.interventions[0], slider.key) == level
    default = programme_defaults()[type_][slider.key]["value"]
    assert slider.min <= default <= slider.max


def test_the_toml_download_loads_as_the_same_scenario(tmp_path):
    s = Settings.from_file("moud_expansion.toml", people=400, seed=2).with_programme(
        "moud_expansion", 2.5
    )
    path = tmp_path / "saved.toml"
    path.write_text(scenario_toml(s), encoding="utf-8")
    assert load_scenario(path).hash() == to_scenario(s).hash()
    assert path.read_text(encoding="utf-8").startswith("# Saved from the hrsim dashboard")


def test_a_bad_value_is_one_line_naming_the_field():
    with pytest.raises(ScenarioError) as err:
        to_scenario(Settings().changes(people=5))
    message = str(err.value)
    assert "run.people" in message and "\n" not in message


# -- the scenario picker accepts only the listed scenarios (issue 18) -----------------------

OUTSIDE = ["../pyproject.toml", "../../etc/passwd", "/etc/passwd", str(SCENARIOS / "prep.toml"),
           "sub/baseline.toml", "baseline", "", "prep.toml\0"]  # fmt: skip


@pytest.mark.parametrize("value", [*OUTSIDE, None, 3, ["prep.toml"]])
def test_pick_scenario_refuses_anything_not_listed_and_keeps_the_current(value):
    current = Settings.from_file("prep.toml", people=400, seed=3)
    picked, note = pick_scenario(current, value)
    assert picked is current
    assert note is not None and "not one of the listed scenarios; kept prep.toml" in note
    picked, note = pick_scenario(current, "syringe_services.toml")
    assert note is None and picked.scenario_file == "syringe_services.toml"
    assert (picked.people, picked.seed) == (400, 3)


@pytest.mark.parametrize("value", OUTSIDE)
def test_settings_never_hold_a_file_outside_the_list(value):
    with pytest.raises(ScenarioError, match="is not a listed scenario; there are: baseline.toml"):
        Settings(scenario_file=value)
    with pytest.raises(ScenarioError, match="is not a listed scenario"):
        Settings().changes(scenario_file=value)


def test_the_picker_widget_refuses_a_value_the_browser_sends(monkeypatch):
    # In-process: render the sidebar's picker and set its widget's value, as a browser would.
    solara = pytest.importorskip("solara")
    v = pytest.importorskip("ipyvuetify")
    from hrsim.dashboard import app

    monkeypatch.setattr(app.settings, "value", Settings.from_file("baseline.toml"))
    _, rc = solara.render(app.ScenarioPicker(), handle_error=False)
    rc.find(v.Select).widget.v_model = "prep.toml"
    assert app.settings.value.scenario_file == "prep.toml"
    for value in ("../pyproject.toml", "/etc/passwd", str(SCENARIOS / "baseline.toml")):
        rc.find(v.Select).widget.v_model = value
        assert app.settings.value.scenario_file == "prep.toml"  # kept
        # and shown again, by its readable name (the picker lists names, not files)
        assert rc.find(v.Select).widget.v_model == "PrEP (HIV prevention pill)"
        notes = [a.widget.children for a in rc.find(v.Alert)]
        assert notes == [[f"{value!r} is not one of the listed scenarios; kept prep.toml"]]
    rc.find(v.Select).widget.v_model = "baseline.toml"
    assert app.settings.value.scenario_file == "baseline.toml"
    assert rc.find(v.Alert).widgets == []  # the note goes once a listed scenario is picked
    rc.close()
