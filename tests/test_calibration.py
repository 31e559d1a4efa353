"""hrsim calibrate: recovering a parameter from targets the model made, reproducibility on one
core, two, and a Dask cluster, the outputs, and one-line errors for bad targets files."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest

from hrsim.analysis.calibration import CalibrationSpec, Parameter, Target, calibrate
from hrsim.analysis.measures import run_statistics
from hrsim.cli import main
from hrsim.core.rng import replicate_seeds
from hrsim.scenario import Scenario, load_scenario

_PANDAS = tuple(int(part) for part in pd.__version__.split(".")[:2])
TRUTH = 0.045  # overdose.base_rate_per_year the targets are made with (the default is 0.029)


def test_recovers_a_known_overdose_rate_from_targets_the_model_made():
    base = Scenario.default().with_overrides({"run.people": 1000, "run.years": 1.0})
    # Targets from six runs at the true value, on seeds the calibration never uses.
    made = np.array(
        [
            run_statistics(
                base.with_overrides({"overdose.base_rate_per_year": TRUTH, "run.seed": s})
            )["overdoses_per_1000_py"]
            for s in replicate_seeds(999, 6)
        ]
    )
    target_se = made.std(ddof=1) / np.sqrt(made.size)
    spec = CalibrationSpec(
        [Parameter("overdose.base_rate_per_year", 0.01, 0.08)],
        [Target("overdoses_per_1000_py", float(made.mean()), float(target_se))],
        {"trials": 12, "batch": 4, "replicates": 3, "seed": 1},
    )
    result = calibrate(base, spec, workers=1)
    best = result.best
    recovered = best.params["overdose.base_rate_per_year"]
    mean = made.mean()
    calib_se = best.ses["overdoses_per_1000_py"]
    # How far the recovered value may be from the truth, from the noise alone: the target mean
    # and the calibration runs' mean at the truth differ by noise (3 combined SEs), and the best
    # trial is sqrt(loss) target SEs from the target. In log terms, divided by the elasticity of
    # the statistic to the parameter, estimated here from the trials themselves.
    frame = result.frame()
    near = frame[frame["overdose.base_rate_per_year"].between(TRUTH / 2, TRUTH * 2)]
    elasticity = np.polyfit(
        np.log(near["overdose.base_rate_per_year"]), np.log(near["overdoses_per_1000_py_mean"]), 1
    )[0]
    assert elasticity > 0.8  # overdoses rise with the base rate (about in proportion)
    noise = 3 * np.hypot(target_se, calib_se) + np.sqrt(best.loss) * target_se
    tolerance = noise / mean / min(elasticity, 1.0)
    assert abs(np.log(recovered / TRUTH)) <= tolerance, (recovered, tolerance)
    # And the calibration really moved away from the scenario's own value (0.029).
    assert abs(np.log(0.029 / TRUTH)) > tolerance


TARGETS = textwrap.dedent(
    """
    [calibration]
    trials = 4
    batch = 2
    replicates = 2
    seed = 7

    [[parameters]]
    name = "overdose.base_rate_per_year"
    low = 0.01
    high = 0.08

    [[parameters]]
    name = "care.arrest_rate_per_year"
    low = 0.03
    high = 0.25
    log = true

    [[targets]]
    statistic = "overdoses_per_1000_py"
    value = 140.0
    se = 5.0

    [[targets]]
    statistic = "arrests_per_1000_py"
    value = 130.0
    se = 5.0
    weight = 2.0
    """
)
SCENARIO = "scenarios/baseline.toml"


def _calibrate(tmp_path, out, *extra):
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    return subprocess.run(
        [sys.executable, "-m", "hrsim.cli", "calibrate", str(root / SCENARIO),
         "--targets", "targets.toml", "--people", "300", "--years", "0.5", "--out", out, *extra],
        cwd=tmp_path, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip


@pytest.fixture(scope="module")
def dask_scheduler():
    from distributed import LocalCluster

    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
    ) as cluster:
        yield cluster.scheduler_address


def test_same_command_same_trials_on_one_core_two_and_a_dask_cluster(tmp_path, dask_scheduler):
    (tmp_path / "targets.toml").write_text(TARGETS)
    runs = {
        "one": _calibrate(tmp_path, "one", "--workers", "1"),
        "two": _calibrate(tmp_path, "two", "--workers", "2"),
        "dask": _calibrate(tmp_path, "dask", "--scheduler", dask_scheduler),
    }
    for name, proc in runs.items():
        assert proc.returncode == 0, (name, proc.stderr)
    # pandas >= 3.1 always parses floats exactly (and deprecates float_precision).
    exact = {} if _PANDAS >= (3, 1) else {"float_precision": "round_trip"}
    trials = {name: pd.read_csv(tmp_path / name / "trials.csv", **exact) for name in runs}
    assert len(trials["one"]) == 4
    pd.testing.assert_frame_equal(trials["one"], trials["two"])
    pd.testing.assert_frame_equal(trials["one"], trials["dask"])

    out = tmp_path / "one"
    assert {p.name for p in out.iterdir()} == {
        "calibrated.toml", "trials.csv", "loss.png", "fit.png", "calibration.json", ".hrsim-output",
    }  # fmt: skip
    for png in ("loss.png", "fit.png"):
        assert (out / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    summary = json.loads((out / "calibration.json").read_text())
    best = trials["one"].loc[trials["one"]["loss"].idxmin()]
    assert summary["best_trial"] == int(best["trial"])
    assert summary["best_params"] == {
        "overdose.base_rate_per_year": best["overdose.base_rate_per_year"],
        "care.arrest_rate_per_year": best["care.arrest_rate_per_year"],
    }
    # The loss is the weighted sum of squared standardised distances.
    expected = ((best["overdoses_per_1000_py_mean"] - 140) / 5) ** 2 + 2 * (
        (best["arrests_per_1000_py_mean"] - 130) / 5
    ) ** 2
    assert best["loss"] == pytest.approx(expected)
    # The calibrated scenario loads and carries the best values (at the user's run size).
    fitted = load_scenario(out / "calibrated.toml")
    assert fitted.overdose.base_rate_per_year == best["overdose.base_rate_per_year"]
    assert fitted.care.arrest_rate_per_year == best["care.arrest_rate_per_year"]
    assert fitted.run.people == 10_000
    assert "\n" in runs["one"].stdout and "best trial" in runs["one"].stdout
    # Every parameter value stayed in its bounds.
    assert trials["one"]["overdose.base_rate_per_year"].between(0.01, 0.08).all()
    assert trials["one"]["care.arrest_rate_per_year"].between(0.03, 0.25).all()


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (('"overdose.base_rate_per_year"', '"overdose.base_rate_per_yer"'),
         "did you mean 'overdose.base_rate_per_year'"),
        (('statistic = "arrests_per_1000_py"', 'statistic = "arests_per_1000_py"'),
         "did you mean 'arrests_per_1000_py'"),
        (("high = 0.08", "high = 2000.0"), "out of range: allowed 0 to 1000"),
        (("low = 0.01", "low = 0.09"), "must be below high"),
        (('"overdose.base_rate_per_year"', '"supply.fentanyl_share_by_year"'),
         "not a single number"),
        (('"overdose.base_rate_per_year"', '"interventions.prep.efficacy"'),
         "has no 'prep' programme"),
        (("se = 5.0\nweight", "sd = 5.0\nweight"), "unknown key 'sd'; did you mean 'se'"),
        (("value = 130.0\nse = 5.0", "value = 130.0\nse = 0.0"), "se = 0 must be above 0"),
        (("trials = 4", "trials = 0"), "trials = 0 must be a whole number >= 1"),
        (("[calibration]", "[calibraton]"), "did you mean 'calibration'"),
        (("low = 0.01", "low = 0.01 ="), "malformed TOML"),
    ],
)  # fmt: skip
def test_bad_targets_files_are_one_line_errors_and_write_nothing(
    tmp_path, capsys, monkeypatch, edit, message
):
    old, new = edit
    assert old in TARGETS
    (tmp_path / "targets.toml").write_text(TARGETS.replace(old, new, 1))
    monkeypatch.chdir(tmp_path)
    from pathlib import Path

    scenario = str(Path(__file__).resolve().parents[1] / SCENARIO)
    code = main(["calibrate", scenario, "--targets", "targets.toml", "--out", "out"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and message in err, err
    assert not (tmp_path / "out").exists()


def test_missing_targets_file_and_bad_options(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "targets.toml").write_text(TARGETS)
    from pathlib import Path

    scenario = str(Path(__file__).resolve().parents[1] / SCENARIO)
    for args, message in (
        (["--targets", "nope.toml"], "targets file not found"),
        (["--targets", "targets.toml", "--trials", "0"], "--trials must be at least 1"),
        (["--targets", "targets.toml", "--workers", "0"], "--workers must be at least 1"),
    ):
        assert main(["calibrate", scenario, *args, "--out", "out"]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and message in err, err
    assert not (tmp_path / "out").exists()


def test_a_rerun_replaces_only_the_same_calibration(tmp_path, capsys, monkeypatch):
    """As ``hrsim run --out``: the same command replaces its results; other targets, a
    targets file's other values or other settings into that --out are refused in one line."""
    from pathlib import Path

    monkeypatch.chdir(tmp_path)
    tiny = TARGETS.replace("trials = 4", "trials = 2").replace("replicates = 2", "replicates = 1")
    (tmp_path / "targets.toml").write_text(tiny)
    (tmp_path / "same.toml").write_text(tiny)  # the same targets under another name
    (tmp_path / "other.toml").write_text(tiny.replace("value = 140.0", "value = 150.0"))
    scenario = str(Path(__file__).resolve().parents[1] / SCENARIO)
    command = ["calibrate", scenario, "--people", "100", "--years", "0.1", "--workers", "1",
               "--quiet", "--out", "cal"]  # fmt: skip
    out = tmp_path / "cal"
    assert main([*command, "--targets", "targets.toml"]) == 0
    first = json.loads((out / "calibration.json").read_text())
    assert first["inputs"]["targets_file"] == "targets.toml"
    assert main([*command, "--targets", "targets.toml"]) == 0  # the same command: replaced
    assert json.loads((out / "calibration.json").read_text()) == first
    files = {p.name: p.read_bytes() for p in out.iterdir()}
    for change in (
        ["--targets", "other.toml"],
        ["--targets", "targets.toml", "--trials", "3"],
        ["--targets", "targets.toml", "--seed", "8"],
        ["--targets", "targets.toml", "--people", "120"],
    ):
        capsys.readouterr()
        assert main([*command, *change]) == 2, change
        err = capsys.readouterr().err
        assert err.count("\n") == 1, err
        assert err.startswith(
            "hrsim: error: --out cal holds a calibration of baseline to targets.toml, 2 trials"
        ), err
        assert "with other settings; give another --out, or --force to replace it" in err
        assert {p.name: p.read_bytes() for p in out.iterdir()} == files  # untouched
    assert main([*command, "--targets", "same.toml"]) == 0  # same trials from another file
    assert json.loads((out / "calibration.json").read_text())["best_params"] == first["best_params"]
    assert main([*command, "--targets", "other.toml", "--trials", "3", "--force"]) == 0
    assert len(pd.read_csv(out / "trials.csv")) == 3
