"""The model description cannot drift from the code: its parameter tables are the defaults."""

from __future__ import annotations

from pathlib import Path

import pytest

from hrsim.cli import main
from hrsim.interventions import programme_defaults
from hrsim.scenario import parameter_table
from hrsim.scenario.paramdocs import BEGIN, END, parameter_markdown, with_tables

ROOT = Path(__file__).resolve().parents[1]
ODD = ROOT / "docs" / "ODD.md"


def test_committed_parameter_tables_equal_the_generated_ones():
    text = ODD.read_text(encoding="utf-8")
    assert with_tables(text) == text, "run: python -m hrsim.scenario.paramdocs docs/ODD.md"


def test_every_default_is_in_the_tables_with_its_unit_and_source():
    tables = ODD.read_text(encoding="utf-8").split(BEGIN)[1].split(END)[0]
    for section, params in parameter_table().items():
        for key, entry in params.items():
            row = next(line for line in tables.splitlines() if f"`{section}.{key}`" in line)
            assert entry["unit"].replace("|", "\\|") in row
            assert entry["source"].replace("|", "\\|") in row
    for programme, params in programme_defaults().items():
        for key in params:
            assert f"`interventions.{programme}.{key}`" in tables


def test_odd_has_every_section_of_the_protocol():
    text = ODD.read_text(encoding="utf-8")
    for heading in (
        "## 1. Purpose and patterns",
        "## 2. Entities, state variables and scales",
        "## 3. Process overview and scheduling",
        "## 4. Design concepts",
        "## 5. Initialisation",
        "## 6. Input data",
        "## 7. Submodels",
    ):
        assert heading in text


def test_missing_markers_are_refused():
    with pytest.raises(ValueError, match="markers are missing"):
        with_tables("no markers here")


def test_params_command_prints_the_same_tables(capsys):
    assert main(["params", "--markdown"]) == 0
    assert capsys.readouterr().out == parameter_markdown() + "\n"
    assert main(["params"]) == 0
    assert "overdose.base_rate_per_year = 0.0196" in capsys.readouterr().out


GUIDE = ROOT / "docs" / "user-guide.md"


def test_user_guide_links_and_example_files_exist():
    import re

    text = GUIDE.read_text(encoding="utf-8")
    for link in re.findall(
        r"\]\(((?:examples/|\.\./)?[\w./-]+\.(?:md|py|toml))(?:#[\w-]+)?\)", text
    ):
        assert (GUIDE.parent / link).is_file(), link


def test_example_sweep_and_calibration_targets_are_valid():
    from hrsim.analysis.calibration import load_targets
    from hrsim.batch.sweep import plan_sweep
    from hrsim.scenario import Scenario

    plan = plan_sweep(ROOT / "docs" / "examples" / "county_sweep.toml")
    assert len(plan.run_ids) == 4 * 20
    spec = load_targets(ROOT / "docs" / "examples" / "calibration_targets.toml", Scenario.default())
    assert len(spec.parameters) == 3 and len(spec.targets) == 2
