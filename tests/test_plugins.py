"""A researcher's own programme, in their own file, found and acting without editing hrsim:
through --plugin (in this process and in the worker processes of a parallel run), through an
installed package's entry point, and the example plug-in of the user guide."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd

from hrsim.cli import main

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "docs" / "examples"

NO_OVERDOSE = textwrap.dedent(
    '''
    """A test programme: from its start week, nobody overdoses."""
    from hrsim.interventions import Intervention, InterventionParams, register


    @register
    class NoOverdose(Intervention):
        type = "no_overdose"
        Params = InterventionParams

        def step(self, model):
            if self.scale(model.week) > 0:
                model.people.overdose_multiplier[:] = 0.0
                self.report(model, "enrolled", model.people.n)
    '''
)

SCENARIO = textwrap.dedent(
    """
    [run]
    name = "no_overdose"

    [[interventions]]
    type = "no_overdose"
    start_week = 10
    """
)


# As SCENARIO, with no new initiates: one arriving in a week, after the programmes ran, is
# not reached until the next week (the programme's promise is for everyone it reaches).
SCENARIO_NO_ENTRIES = SCENARIO + "\n[demography]\ninitiation_per_1000_by_year = [0.0]\n"


def hrsim(*args, cwd, env=None):
    return subprocess.run(
        [sys.executable, "-m", "hrsim.cli", *map(str, args)],
        cwd=cwd, capture_output=True, text=True, timeout=300, check=False, env=env,
    )  # fmt: skip


def _overdoses(out: Path) -> pd.Series:
    ts = pd.read_parquet(out / "timeseries.parquet")
    return (ts["overdoses_fatal"] + ts["overdoses_nonfatal"]).set_axis(ts["week"])


def test_plugin_file_registers_a_programme_that_acts(tmp_path):
    (tmp_path / "my_programme.py").write_text(NO_OVERDOSE)
    (tmp_path / "arm.toml").write_text(SCENARIO)
    size = ["--people", 1200, "--years", 0.6, "--seed", 3, "--quiet"]
    proc = hrsim(
        "run", "arm.toml", "--plugin", "my_programme.py", "--out", "arm", *size, cwd=tmp_path
    )
    assert proc.returncode == 0, proc.stderr
    base = hrsim("run", "--out", "base", *size, cwd=tmp_path)
    assert base.returncode == 0, base.stderr
    arm, baseline = _overdoses(tmp_path / "arm"), _overdoses(tmp_path / "base")
    assert arm.loc[10:].sum() == 0  # the programme acts from its start week
    assert baseline.loc[10:].sum() > 30  # where the baseline has overdoses most weeks
    # Before the start the run is the baseline's (the programme draws nothing).
    pd.testing.assert_series_equal(arm.loc[:9], baseline.loc[:9])


def test_plugin_reaches_the_worker_processes_of_a_parallel_comparison(tmp_path):
    (tmp_path / "my_programme.py").write_text(NO_OVERDOSE)
    (tmp_path / "arm.toml").write_text(SCENARIO)
    proc = hrsim(
        "compare", ROOT / "scenarios" / "baseline.toml", "arm.toml",
        "--plugin", "my_programme.py", "--replicates", 2, "--workers", 2,
        "--people", 500, "--years", 0.5, "--json",
        cwd=tmp_path,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    fatal = json.loads(proc.stdout)["arms"][0]["outcomes"]["nonfatal_overdoses"]
    assert fatal["arm_mean"] < fatal["baseline_mean"]


def test_installed_package_entry_point_registers_a_programme(tmp_path):
    site = tmp_path / "site"
    dist = site / "hrsim_no_overdose-0.1.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: hrsim-no-overdose\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text(
        "[hrsim.interventions]\nno_overdose = hrsim_no_overdose:NoOverdose\n"
    )
    (site / "hrsim_no_overdose.py").write_text(NO_OVERDOSE)
    (tmp_path / "arm.toml").write_text(SCENARIO_NO_ENTRIES)
    env = {**os.environ, "PYTHONPATH": str(site)}
    proc = hrsim(
        "run", "arm.toml", "--people", 1000, "--years", 0.5, "--out", "arm", "--quiet",
        cwd=tmp_path, env=env,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert _overdoses(tmp_path / "arm").loc[10:].sum() == 0


def test_the_user_guide_example_plugin_runs_and_makes_people_use_alone_less(tmp_path):
    size = ["--people", 2000, "--years", 1, "--seed", 5, "--quiet"]
    full = ["--set", "interventions.never_use_alone.coverage_fraction=1.0",
            "--set", "interventions.never_use_alone.call_probability=1.0"]  # fmt: skip
    proc = hrsim(
        "run", EXAMPLE / "never_use_alone.toml", "--plugin", EXAMPLE / "never_use_alone.py",
        "--out", "arm", *full, *size, cwd=tmp_path,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert hrsim("run", "--out", "base", *size, cwd=tmp_path).returncode == 0
    programmes = pd.read_parquet(tmp_path / "arm" / "programmes.parquet")
    calling = programmes[programmes["output"] == "clients_calling"]["value"]
    assert calling.sum() > 0
    cost = programmes[programmes["output"] == "cost_usd"]["value"].sum()
    assert cost == calling.sum() * 2.0  # the default $2 per client-week

    def alone_share(run: str) -> tuple[float, int]:
        ev = pd.read_parquet(tmp_path / run / "events.parquet")
        od = ev[ev["kind"] == "overdose"]
        alone = od["detail"].astype(str).str.endswith("_alone")
        return float(alone.mean()), len(od)

    base_share, n_base = alone_share("base")
    arm_share, n_arm = alone_share("arm")
    # Clients never use alone; only people who relapsed that week, or are on MOUD, still can.
    se = (base_share * (1 - base_share) / n_base + arm_share * (1 - arm_share) / n_arm) ** 0.5
    assert arm_share < base_share - 4 * se


def test_bad_plugin_files_are_one_line_errors(tmp_path, capsys, monkeypatch):
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "broken.py").write_text("def oops(:\n")
    (folder / "json.py").write_text("x = 1\n")
    (tmp_path / "arm.toml").write_text(SCENARIO)
    monkeypatch.chdir(tmp_path)
    for args, message in (
        (["--plugin", "mine/missing.py"], "file not found"),
        (["--plugin", "mine/broken.py"], "SyntaxError"),
        (["--plugin", "mine/json.py"], "rename the plug-in file"),
        (["--plugin", "mine"], "expected a Python file"),
        (["arm.toml"], "load its file with --plugin FILE.py"),
    ):
        assert main(["run", *args, "--people", "100", "--years", "0.1"]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and message in err, err
    assert not (tmp_path / "runs").exists()
