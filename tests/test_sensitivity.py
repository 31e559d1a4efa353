"""hrsim sensitivity: a parameter the outcome cannot depend on gets an index of zero within its
confidence interval (common random numbers make it exactly zero, not noise), one it depends on
gets a clearly positive one, programme parameters reach only the scenario with the programme,
the command's outputs, and one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hrsim.analysis.sensitivity import parse_parameters, run_sensitivity
from hrsim.cli import main
from hrsim.scenario import Scenario, load_scenario

ROOT = Path(__file__).resolve().parents[1]
BASELINE = str(ROOT / "scenarios" / "baseline.toml")
FULL = str(ROOT / "scenarios" / "full_package.toml")


def test_sobol_gives_zero_to_parameters_the_outcome_cannot_depend_on():
    scenario = Scenario.default().with_overrides({"run.people": 800, "run.years": 1.0})
    params = parse_parameters(
        [
            "overdose.base_rate_per_year=0.015:0.045",
            # HCV cure changes the run (who has HCV) but not overdoses; a unit cost changes
            # nothing but costs.
            "infection.hcv_cure_probability=0.5:0.95",
            "costs.methadone_usd_per_person_year",
        ],
        scenario,
    )
    result = run_sensitivity(
        scenario,
        params,
        method="sobol",
        # 16 base samples: at 8 the bootstrap interval of an index is about +-0.7, too wide
        # to tell a parameter that matters from zero (measured over six seeds).
        samples=16,
        outcome="nonfatal_overdoses",
        workers=1,
    )
    ind = result.indices.set_index("parameter")
    assert len(result.samples) == 16 * (3 + 2)
    for null in ("infection.hcv_cure_probability", "costs.methadone_usd_per_person_year"):
        for index in ("S1", "ST"):
            value, conf = ind.loc[null, index], ind.loc[null, f"{index}_conf"]
            assert abs(value) <= conf + 1e-12 and abs(value) < 1e-9, (null, index, value, conf)
    rate = ind.loc["overdose.base_rate_per_year"]
    assert rate["ST"] - rate["ST_conf"] > 0  # its 95% interval excludes zero
    # The outcome really varied with the base rate, and only with it.
    frame = result.samples_frame()
    same_rate = frame.groupby("overdose.base_rate_per_year")["outcome"].nunique()
    assert (same_rate == 1).all()
    assert frame["outcome"].nunique() > 1


def test_averted_by_an_arm_and_programme_parameters_reach_only_the_arm():
    baseline = load_scenario(BASELINE, {"run.people": 300, "run.years": 0.5})
    arm = load_scenario(FULL, {"run.people": 300, "run.years": 0.5})
    params = parse_parameters(
        [
            "interventions.prep.cost_usd_per_person_week=1:20",
            "costs.buprenorphine_usd_per_person_year",
        ],
        baseline,
        arm,
    )
    result = run_sensitivity(
        baseline, params, method="morris", samples=3, outcome="cost_usd", arm=arm, workers=1
    )
    ind = result.indices.set_index("parameter")
    # Baseline minus arm cost falls as the arm's PrEP gets dearer (mu < 0, |mu| = mu*); the
    # buprenorphine price moves both arms' costs.
    prep = ind.loc["interventions.prep.cost_usd_per_person_week"]
    assert prep["mu"] < 0 and prep["mu_star"] == pytest.approx(-prep["mu"])
    assert "averted by full_package" in result.outcome_label


def test_command_writes_indices_samples_chart_and_page(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "hrsim.cli", "sensitivity", BASELINE,
         "--params", "overdose.base_rate_per_year=0.015:0.045",
         "costs.methadone_usd_per_person_year",
         "--method", "morris", "--samples", "3", "--people", "300", "--years", "0.5",
         "--outcome", "nonfatal_overdoses", "--workers", "2", "--out", str(tmp_path / "out")],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    out = tmp_path / "out"
    assert {p.name for p in out.iterdir()} == {
        "indices.csv", "samples.csv", "indices.png", "sensitivity.html", "sensitivity.json",
        ".hrsim-output",
    }  # fmt: skip
    indices = pd.read_csv(out / "indices.csv").set_index("parameter")
    assert list(indices.columns) == ["mu_star", "mu_star_conf", "mu", "sigma"]
    assert indices.loc["costs.methadone_usd_per_person_year", "mu_star"] == 0
    assert indices.loc["overdose.base_rate_per_year", "mu_star"] > 0
    samples = pd.read_csv(out / "samples.csv")
    assert len(samples) == 3 * (2 + 1)
    assert np.allclose(samples["outcome"], samples["outcome_replicate_1"])
    assert "mu*" in proc.stdout and "overdose.base_rate_per_year" in proc.stdout
    assert 'src="data:image/png;base64,' in (out / "sensitivity.html").read_text()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--params", "overdose.base_rate_per_yer"], "did you mean 'overdose.base_rate_per_year'"),
        (["--params", "overdose.base_rate_per_year=0.1"], "expected name=LOW:HIGH"),
        (["--params", "overdose.base_rate_per_year=0.2:0.1"], "must be below high"),
        (["--params", "care.aftercare_fraction=0.5:1.5"], "out of range: allowed 0 to 1"),
        (["--params", "interventions.prep.efficacy=0.1:0.5"], "has no 'prep' programme"),
        (["--params", "care.post_release_moud_fraction"], "its value is 0"),
        (["--params", "supply.fentanyl_share_by_year=0:1"], "not a single number"),
        (["--params", "care.aftercare_fraction", "--method", "fast"], "choose sobol or morris"),
        (["--params", "care.aftercare_fraction", "--samples", "100"], "power of 2"),
        (["--params", "care.aftercare_fraction", "--outcome", "fatal_overdose"],
         "did you mean 'fatal_overdoses'"),
        (["--params", "care.aftercare_fraction", "--versus", "nope.toml"], "not found"),
    ],
)  # fmt: skip
def test_bad_input_is_one_line_and_writes_nothing(tmp_path, capsys, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    assert main(["sensitivity", BASELINE, *args, "--out", "out"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err, err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("method", ["sobol", "morris"])
def test_an_outcome_the_same_in_every_sample_gives_undefined_indices_not_a_warning(method):
    # A run too small for any event: y is constant, its variance 0. SALib would divide by it
    # (a RuntimeWarning, an error under this suite's warnings-as-errors); hrsim says NaN.
    from hrsim.analysis.sensitivity import ParameterRange, analyse, sample

    params = [ParameterRange("care.aftercare_fraction", 0.1, 0.5), ParameterRange("x.y", 1, 2)]
    x = sample(method, params, 4, seed=1)
    indices = analyse(method, params, x, np.zeros(len(x)), seed=1)
    assert list(indices["parameter"]) == ["care.aftercare_fraction", "x.y"]
    assert indices.drop(columns="parameter").isna().all().all()
    assert indices.shape[1] == 5


def test_a_rerun_replaces_only_the_same_analysis(tmp_path, capsys, monkeypatch):
    """As ``hrsim run --out``: the same command replaces its results; another outcome, range,
    method, seed or arm into that --out is refused in one line naming it and --force."""
    monkeypatch.chdir(tmp_path)
    command = ["sensitivity", BASELINE, "--params", "overdose.base_rate_per_year=0.01:0.03",
               "--method", "morris", "--samples", "2", "--people", "100", "--years", "0.1",
               "--workers", "1", "--out", "s"]  # fmt: skip
    out = tmp_path / "s"
    assert main([*command, "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    saved = json.loads((out / "sensitivity.json").read_text())
    # sensitivity.json is what --json prints (but where it went), with what it was made from.
    assert {k: v for k, v in printed.items() if k != "out"} == {
        k: v for k, v in saved.items() if k != "inputs"
    }
    assert saved["inputs"]["method"] == "morris" and saved["inputs"]["samples"] == 2
    assert main(command) == 0  # the same command: replaced
    assert json.loads((out / "sensitivity.json").read_text()) == saved
    files = {p.name: p.read_bytes() for p in out.iterdir()}
    for change in (
        ["--outcome", "new_hiv"],
        ["--seed", "2"],
        ["--samples", "3"],
        ["--people", "120"],
        ["--versus", FULL],
    ):
        capsys.readouterr()
        assert main([*command, *change]) == 2, change
        err = capsys.readouterr().err
        assert err.count("\n") == 1, err
        assert err.startswith(
            "hrsim: error: --out s holds a sensitivity analysis of fatal_overdoses in baseline,"
            " morris with 2 samples"
        ), err
        assert "with other settings; give another --out, or --force to replace it" in err
        assert {p.name: p.read_bytes() for p in out.iterdir()} == files  # untouched
    argv = command[:3] + ["overdose.base_rate_per_year=0.01:0.04"] + command[4:]
    assert main(argv) == 2  # another range
    assert main([*command, "--outcome", "new_hiv", "--force"]) == 0
    assert json.loads((out / "sensitivity.json").read_text())["outcome"] == "new_hiv"
