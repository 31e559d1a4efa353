"""The research scripts in experiments/ run end to end at a tiny size."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

EXPERIMENTS = Path(__file__).resolve().parents[1] / "experiments"
TINY = ["--people", "300", "--years", "0.5", "--replicates", "2"]


@pytest.mark.parametrize(
    ("script", "expected", "workers"),
    [
        # One on a local pool (the script's main guard matters there), the others in-process.
        ("moud_capacity_x_naloxone.py", "both at their highest", "2"),
        ("fentanyl_surge_stress_test.py", "excess deaths from the surge", "1"),
        ("syringe_services_uncertainty.py", "over 20 sampled parameter sets", "1"),
    ],
)
def test_experiment_script_runs(tmp_path, script, expected, workers):
    out = tmp_path / "store"
    result = subprocess.run(
        [sys.executable, str(EXPERIMENTS / script), *TINY, "--workers", workers, "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert expected in result.stdout
    assert (out / "report" / "report.html").stat().st_size > 10_000
    assert (out / "manifest.json").exists()


def test_every_sweep_file_in_experiments_is_valid():
    from hrsim.batch.sweep import plan_sweep

    specs = sorted(EXPERIMENTS.glob("*.toml"))
    assert len(specs) >= 3
    for spec in specs:
        plan = plan_sweep(spec)
        assert len(plan.arms) >= 2 and plan.baseline == plan.arms[0].name


def test_pairing_table_script_marks_the_targets_by_its_own_columns(tmp_path):
    result = subprocess.run(
        [sys.executable, str(EXPERIMENTS / "pairing_table.py"), *TINY, "--workers", "1",
         "--out", str(tmp_path)],
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    import pandas as pd

    table = pd.read_csv(tmp_path / "pairing.csv")
    assert len(table) == 3 * 4  # three programmes x four outcomes
    assert set(table["arm"]) == {"naloxone_distribution", "full_package", "syringe_services"}
    expected = (table["correlation"] >= 0.8) & (table["sd_ratio"] <= 0.5)  # NaN: not met
    assert table["meets_targets"].tolist() == expected.tolist()
    assert f"{int(expected.sum())} of 12 arm-outcome pairs meet both targets" in result.stdout
