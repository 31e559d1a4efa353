"""Timing each phase of the week (``hrsim run --profile``) changes nothing it times."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd

from hrsim import HarmReductionModel, load_scenario


def test_profiling_leaves_results_identical_and_times_every_phase() -> None:
    scenario = load_scenario("scenarios/full_package.toml").with_overrides(
        {"run.people": 1500, "run.years": 1.0, "run.seed": 5}
    )
    plain = HarmReductionModel(scenario)
    plain.run()
    timed = HarmReductionModel(scenario, profile=True)
    timed.run()
    pd.testing.assert_frame_equal(plain.timeseries_frame(), timed.timeseries_frame())
    pd.testing.assert_frame_equal(plain.events_frame(), timed.events_frame())
    pd.testing.assert_frame_equal(plain.programme_frame(), timed.programme_frame())
    assert plain.phase_seconds is None
    phases = timed.phase_seconds
    assert phases is not None
    expected = {f"process {p.name}" for p in timed.processes}
    expected |= {f"programme {p.type}" for p in timed.interventions}
    expected |= {"week setup", "record"}
    assert expected <= set(phases)
    assert all(seconds >= 0 for seconds in phases.values())


def test_run_profile_prints_the_table_and_keeps_it_in_the_metadata(tmp_path) -> None:
    out = tmp_path / "run"
    proc = subprocess.run(
        [sys.executable, "-m", "hrsim.cli", "run", "--people", "800", "--years", "0.5"]
        + ["--profile", "--quiet", "--out", str(out)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].split() == ["phase", "total", "s", "ms/week", "share"]
    assert any(line.startswith("process overdose") for line in lines)
    assert lines[-1].startswith("all phases")
    meta = json.loads((out / "metadata.json").read_text())
    assert "process ties" in meta["phase_seconds"]
