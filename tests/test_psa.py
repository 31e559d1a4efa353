"""``hrsim psa``: parameter samples x arms on common seeds, through the sweep store.

A tiny PSA (3 arms x 4 samples x 2 replicates, 300 people, 1 year, no burn-in) is run once
in this process and compared with 2 workers, an interrupted and resumed command, a damaged
store and the command line; the analysis step is checked against ANOVA done by hand.
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hrsim.analysis.calibration import current_value
from hrsim.analysis.psa import (
    BASE_KEY,
    choose_parameters,
    load_psa,
    plan_psa,
    psa_seeds,
    read_distributions,
    run_psa,
    summarise_psa,
)
from hrsim.batch.outcomes import OUTCOMES
from hrsim.batch.store import read_identity
from hrsim.cli import main
from hrsim.errors import ScenarioError
from hrsim.scenario import load_scenario

SRC = str(Path(__file__).resolve().parents[1] / "src")
RUN = '[run]\nname = "{name}"\npeople = 300\nyears = 1.0\nburn_in_years = 0.0\n'
FILES = {
    "base": RUN.format(name="baseline"),
    "naloxone": RUN.format(name="naloxone") + '[[interventions]]\ntype = "naloxone_distribution"\n',
    "moud": RUN.format(name="moud") + '[[interventions]]\ntype = "moud_expansion"\n',
    "naloxone_off": RUN.format(name="naloxone_off")
    + '[[interventions]]\ntype = "naloxone_distribution"\ncoverage_fraction = 0.0\n',
}
SAMPLES, REPLICATES, SEED = 4, 2, 3
TOTAL = 3 * SAMPLES * REPLICATES


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    root = tmp_path_factory.mktemp("scenarios")
    for name, text in FILES.items():
        (root / f"{name}.toml").write_text(text)
    return root


def tiny_plan(files, **kwargs):
    scenarios = [load_scenario(files / f"{n}.toml") for n in ("base", "naloxone", "moud")]
    options = {"samples": SAMPLES, "replicates": REPLICATES, "seed": SEED, **kwargs}
    return plan_psa(scenarios[0], scenarios[1:], **options)


@pytest.fixture(scope="module")
def serial(files, tmp_path_factory):
    out = tmp_path_factory.mktemp("psa") / "store"
    plan = tiny_plan(files)
    data, summary = run_psa(plan, out, workers=1, progress=False)
    return plan, out, data, summary


# -- seeds ---------------------------------------------------------------------------------


def test_run_seeds_come_from_the_sample_and_replicate_alone():
    seeds = psa_seeds(9, 3, 2)
    for s in range(3):
        for r in range(2):
            child = np.random.SeedSequence(9).spawn(3)[s].spawn(2)[r]
            assert seeds[s][r] == int(child.generate_state(1, np.uint64)[0] >> np.uint64(1))
    bigger = psa_seeds(9, 5, 4)
    assert [row[:2] for row in bigger[:3]] == seeds  # more samples or replicates change none
    assert len({x for row in bigger for x in row}) == 20
    assert psa_seeds(10, 3, 2) != seeds


def test_arms_of_a_sample_share_its_seeds_and_samples_differ(serial):
    plan, out, data, _ = serial
    manifest = json.loads((out / "manifest.json").read_text())
    by_sample: dict[int, set[tuple[int, ...]]] = {}
    for arm in manifest["arms"]:
        by_sample.setdefault(arm["sample"], set()).add(tuple(arm["seeds"]))
    assert sorted(by_sample) == list(range(SAMPLES))
    assert all(len(seeds) == 1 for seeds in by_sample.values())  # one set per sample
    sets = [next(iter(by_sample[s])) for s in range(SAMPLES)]
    assert len({x for row in sets for x in row}) == SAMPLES * REPLICATES  # all different
    assert [list(row) for row in sets] == psa_seeds(SEED, SAMPLES, REPLICATES)
    seeds = data.runs.groupby(["sample", "replicate"])["seed"].nunique()
    assert (seeds == 1).all()  # every arm of (sample, replicate) ran on the same seed


# -- parameters reach the runs -------------------------------------------------------------


def test_each_samples_values_reach_its_arms_scenarios(serial):
    plan, *_ = serial
    values = plan.sample_values
    assert values.shape == (SAMPLES, len(plan.parameters))
    names = plan.strategies
    assert names == ["baseline", "naloxone", "moud"]
    own = "interventions.naloxone_distribution.network_share"
    assert plan.parameters[own].arms == ("naloxone",)
    assert plan.parameters["overdose.base_rate_per_year"].arms == tuple(names)
    for s in range(SAMPLES):
        for k, name in enumerate(names):
            arm = plan.plan.arms[s * 3 + k]
            assert arm.labels == {"sample": s} and arm.scenario == name
            spec = arm.spec
            for parameter, sampled in plan.parameters.items():
                if name in sampled.arms:
                    assert current_value(spec, parameter) == values.loc[s, parameter]
            assert (own in arm.parameters) == (name == "naloxone")
            assert [p.type for p in spec.interventions] == [
                p.type for p in plan.scenarios[k].interventions
            ]  # a programme's parameter adds no programme to an arm without it


def test_a_sampled_parameter_really_reaches_the_run(serial):
    plan, out, data, _ = serial
    identities = {}
    for path in (out / "runs").glob("*.parquet"):
        identity, outcomes, _ = read_identity(path)
        identities[identity["run_id"]] = (identity, outcomes)
    assert len(identities) == TOTAL
    for row in data.runs.itertuples(index=False):
        assert identities[row.run_id][0]["seed"] == row.seed
    # Each arm's scenario differs between samples, and each run file names its arm's.
    arm_hashes = {identity["arm_id"]: identity["arm_hash"] for identity, _ in identities.values()}
    manifest = json.loads((out / "manifest.json").read_text())
    for name in plan.strategies:
        rows = [a for a in manifest["arms"] if a["scenario"] == name]
        assert len({a["hash"] for a in rows}) == SAMPLES
        assert all(arm_hashes[a["id"]] == a["hash"] for a in rows)
    # And the results with it: the baseline's outcomes are not the same in every sample.
    baseline = data.runs[data.runs["arm"] == "baseline"]
    assert baseline.groupby("sample")["nonfatal_overdoses"].mean().nunique() > 1


def test_an_arm_with_a_programme_at_zero_coverage_equals_the_baseline_sample_by_sample(
    files, tmp_path
):
    base = load_scenario(files / "base.toml")
    off = load_scenario(files / "naloxone_off.toml")
    plan = plan_psa(base, [off], samples=3, replicates=1, seed=5)
    data, _ = run_psa(plan, tmp_path / "off", workers=1, progress=False, effect="life_years",
                      cost="cost_usd")  # fmt: skip
    runs = data.runs.set_index(["sample", "replicate", "arm"])[list(OUTCOMES)]
    a = runs.xs("baseline", level="arm")
    b = runs.xs("naloxone_off", level="arm")
    pd.testing.assert_frame_equal(a, b, check_exact=True)  # common random numbers
    assert a["nonfatal_overdoses"].nunique() > 1  # but samples differ


# -- identical on 1 and 2 workers; resumable -----------------------------------------------


def test_two_workers_give_identical_runs_and_files(serial, files, tmp_path):
    plan, out, data, summary = serial
    data2, summary2 = run_psa(tiny_plan(files), tmp_path / "two", workers=2, progress=False)
    pd.testing.assert_frame_equal(data2.runs, data.runs, check_exact=True)
    pd.testing.assert_frame_equal(data2.samples, data.samples, check_exact=True)
    for path in (out / "runs").iterdir():
        assert (tmp_path / "two" / "runs" / path.name).read_bytes() == path.read_bytes()
    assert summary2.as_dict() == summary.as_dict()
    for name in ("samples.csv", "psa.csv", "summary.json"):
        assert (tmp_path / "two" / name).read_bytes() == (out / name).read_bytes()


def test_outputs_in_the_store(serial):
    plan, out, data, summary = serial
    samples = pd.read_csv(out / "samples.csv", index_col="sample")
    assert list(samples.columns) == list(plan.parameters)
    np.testing.assert_allclose(samples.to_numpy(), plan.sample_values.to_numpy(), rtol=1e-15)
    runs = pd.read_csv(out / "psa.csv")
    assert list(runs.columns) == ["sample", "replicate", "arm", "seed", "run_id", *OUTCOMES]
    assert len(runs) == TOTAL and runs["sample"].nunique() == SAMPLES
    body = json.loads((out / "summary.json").read_text())
    assert body["summary"]["effect"] == "qalys"
    assert body["summary"]["cost"] == "cost_discounted_usd"
    assert body["plan"]["samples"] == SAMPLES
    assert {d["parameter"] for d in body["plan"]["distributions"]} == set(plan.parameters)
    assert len(summary.plane) == 2 * SAMPLES
    assert set(summary.variance["measure"]) == {
        "incremental cost_discounted_usd",
        "incremental qalys",
    }
    loaded = load_psa(out)
    pd.testing.assert_frame_equal(loaded.runs, data.runs, check_exact=True)


def test_rerun_does_nothing_and_a_different_psa_is_refused(serial, files):
    plan, out, data, _ = serial
    again, _ = run_psa(tiny_plan(files), out, workers=1, progress=False)
    assert (again.run_summary.done_now, again.run_summary.done_before) == (0, TOTAL)
    with pytest.raises(ScenarioError, match="holds the results of a different sweep"):
        run_psa(tiny_plan(files, seed=SEED + 1), out, workers=1, progress=False)
    with pytest.raises(ScenarioError, match="holds the results of a different sweep"):
        run_psa(tiny_plan(files, samples=SAMPLES + 1), out, workers=1, progress=False)


def test_a_damaged_run_file_is_redone(serial, files, tmp_path):
    plan, out, data, _ = serial
    copy = tmp_path / "copy"
    shutil.copytree(out, copy)
    victim = sorted((copy / "runs").glob("*.parquet"))[5]
    raw = bytearray(victim.read_bytes())
    raw[100] ^= 0xFF
    victim.write_bytes(bytes(raw))
    again, _ = run_psa(tiny_plan(files), copy, workers=1, progress=False)
    assert (again.run_summary.done_now, again.run_summary.redone) == (1, 1)
    pd.testing.assert_frame_equal(again.runs, data.runs, check_exact=True)


def _saved(out: Path) -> dict[str, int]:
    return {p.name: p.stat().st_mtime_ns for p in (out / "runs").glob("*.parquet")}


def _command(files: Path, out: Path) -> list[str]:
    return [sys.executable, "-m", "hrsim.cli", "psa", str(files / "base.toml"),
            str(files / "naloxone.toml"), str(files / "moud.toml"), "--samples", str(SAMPLES),
            "--replicates", str(REPLICATES), "--seed", str(SEED), "--workers", "2", "--out",
            str(out)]  # fmt: skip


def test_interrupt_then_rerun_loses_and_repeats_no_run(serial, files, tmp_path):
    _, _, data, _ = serial
    out = tmp_path / "store"
    env = {**os.environ, "PYTHONPATH": SRC}
    with open(tmp_path / "err.txt", "w") as err:
        process = subprocess.Popen(
            _command(files, out),
            stdout=subprocess.DEVNULL,
            stderr=err,
            env=env,
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        )
    deadline = time.monotonic() + 180
    while not (out / "runs").is_dir() or len(_saved(out)) < 3:
        assert process.poll() is None, (tmp_path / "err.txt").read_text()
        assert time.monotonic() < deadline, "no run finished"
        time.sleep(0.02)
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=120) == 130
    stderr = (tmp_path / "err.txt").read_text()
    saved = _saved(out)
    assert 3 <= len(saved) < TOTAL, stderr
    assert f"interrupted: {len(saved)} of {TOTAL} runs are saved" in stderr
    assert "Traceback" not in stderr and not list((out / "runs").glob("*.tmp"))
    partial = pd.read_csv(out / "psa.csv")  # what was done, written on the way out
    assert len(partial) == len(saved)

    result = subprocess.run(_command(files, out), capture_output=True, text=True, env=env,
                            timeout=600, check=False)  # fmt: skip
    assert result.returncode == 0, result.stderr
    now = int(re.search(r"done now\s+(\d+)", result.stdout).group(1))
    before = int(re.search(r"already done before\s+(\d+)", result.stdout).group(1))
    assert (now, before) == (TOTAL - len(saved), len(saved))
    after = _saved(out)
    assert len(after) == TOTAL
    assert f"report: {out / 'report.html'}" in result.stdout  # the finished PSA's report
    assert "CHEERS item 20" in (out / "report.html").read_text()
    assert {name: after[name] for name in saved} == saved  # nothing finished was redone
    pd.testing.assert_frame_equal(load_psa(out).runs, data.runs, check_exact=True)


# -- which parameters are sampled ----------------------------------------------------------


def test_a_parameter_that_differs_between_arms_is_not_sampled(files):
    base = load_scenario(files / "base.toml")
    arm = base.with_overrides({"run.name": "gsl", "response.kit_at_hand_probability": 0.7})
    sampled, excluded = choose_parameters([base, arm], ["baseline", "gsl"])
    assert "response.kit_at_hand_probability" not in sampled
    assert excluded["response.kit_at_hand_probability"] == (
        "its value differs between arms (baseline 0.49, gsl 0.7): it defines them"
    )
    assert "overdose.base_rate_per_year" in sampled


def test_a_changed_value_recentres_its_distribution_or_leaves_it_out(files):
    base = load_scenario(files / "base.toml")
    inside = base.with_overrides({"overdose.base_rate_per_year": 0.025})
    sampled, _ = choose_parameters([inside], ["a"])
    d = sampled["overdose.base_rate_per_year"].distribution
    assert (d.value, d.low, d.high) == (0.025, 0.012, 0.03)
    assert d.frozen().mean() == pytest.approx(0.025)
    outside = base.with_overrides({"overdose.base_rate_per_year": 0.05})
    sampled, excluded = choose_parameters([outside], ["a"])
    assert "overdose.base_rate_per_year" not in sampled
    assert (
        "the scenarios' value 0.05 is outside its interval 0.012-0.03"
        in (excluded["overdose.base_rate_per_year"])
    )


def test_a_distributions_file_adds_overrides_and_restricts(files, tmp_path):
    base = load_scenario(files / "base.toml")
    nal = load_scenario(files / "naloxone.toml")
    path = tmp_path / "d.toml"
    path.write_text(
        '[psa]\nonly = ["overdose.*", "interventions.*"]\nexclude = ["overdose.stimulant_rr"]\n'
        "[psa.distributions]\n"
        '"overdose.base_rate_per_year" = { dist = "gamma", low = 0.015, high = 0.025 }\n'
        "[psa.distributions.interventions.naloxone_distribution]\n"
        'kit_probability_per_week = { dist = "uniform", low = 0.05, high = 0.2 }\n'
    )
    sampled, _ = choose_parameters([base, nal], ["baseline", "naloxone"], read_distributions(path))
    assert all(n.startswith(("overdose.", "interventions.")) for n in sampled)
    assert "overdose.stimulant_rr" not in sampled and "overdose.recent_overdose_rr" in sampled
    rate = sampled["overdose.base_rate_per_year"].distribution
    assert (rate.low, rate.high, rate.where) == (0.015, 0.025, str(path))
    kit = sampled["interventions.naloxone_distribution.kit_probability_per_week"]
    assert kit.arms == ("naloxone",) and kit.distribution.value == 0.1


DIST = "[psa.distributions]\n"
BAD_FILES = {
    DIST + '"overdose.base_rate_per_yer" = { dist = "gamma", low = 0.01, high = 0.03 }':
        "unknown key 'overdose.base_rate_per_yer'; did you mean 'overdose.base_rate_per_year'?",
    DIST + '"overdose.base_rate_per_year" = { dist = "gama", low = 0.01, high = 0.03 }':
        "overdose.base_rate_per_year: psa.dist = 'gama': unknown distribution; did you mean",
    DIST + '"care.detox_programme_weeks" = { dist = "gamma", low = 2, high = 6 }':
        "care.detox_programme_weeks: value 4 is a whole number",
    DIST + '"interventions.prep.efficacy" = { dist = "beta", low = 0.1, high = 0.7 }':
        "interventions.prep.efficacy: no arm has the 'prep' programme",
    DIST + '"interventions.prepp.efficacy" = { dist = "beta", low = 0.1, high = 0.7 }':
        "unknown programme type 'prepp'; did you mean 'prep'?",
    DIST + '"population.male_fraction" = { dist = "uniform", low = 0.5, high = 1.2 }':
        "population.male_fraction = 1.2 is out of range: allowed 0 to 1",
    '[psa]\nonly = ["overdose.base_rate"]': "psa.only: 'overdose.base_rate' names no parameter",
    '[psa]\nexclud = ["x"]': "unknown key 'psa.exclud'; did you mean 'psa.exclude'?",
    "[sweep]\nx = 1": "unknown table 'sweep'",
}  # fmt: skip


@pytest.mark.parametrize("text", list(BAD_FILES), ids=[v[:40] for v in BAD_FILES.values()])
def test_a_bad_distributions_file_is_one_line(files, tmp_path, text):
    path = tmp_path / "d.toml"
    path.write_text(text + "\n")
    base = load_scenario(files / "base.toml")
    with pytest.raises(ScenarioError) as info:
        choose_parameters([base], ["baseline"], read_distributions(path))
    assert BAD_FILES[text] in str(info.value) and "\n" not in str(info.value)
    assert str(info.value).startswith(str(path))


# -- the analysis --------------------------------------------------------------------------


def synthetic(replicates: int) -> pd.DataFrame:
    """Baseline costs 100 and gives 1.0 in every run; arm B adds d_cost and d_effect by hand."""
    d_cost = [[1.0, 3.0], [4.0, 6.0], [10.0, 12.0]]  # sample means 2, 5, 11
    d_effect = [[0.1, 0.1], [0.2, 0.4], [0.0, 0.2]]  # sample means 0.1, 0.3, 0.1
    rows = []
    for s in range(3):
        for r in range(replicates):
            rows.append({"sample": s, "replicate": r, "arm": "A", "c": 100.0, "e": 1.0})
            rows.append({"sample": s, "replicate": r, "arm": "B", "c": 100.0 + d_cost[s][r],
                         "e": 1.0 + d_effect[s][r]})  # fmt: skip
    frame = pd.DataFrame(rows)
    for outcome in OUTCOMES:
        frame[outcome] = 0.0
    frame["cost_usd"], frame["life_years"] = frame.pop("c"), frame.pop("e")
    return frame


def test_summary_against_anova_and_means_by_hand():
    summary = summarise_psa(synthetic(2), [50.0], effect="life_years", cost="cost_usd")
    table = summary.table.set_index("strategy")
    assert table.loc["A", "cost"] == pytest.approx(100.0)
    assert table.loc["B", "cost"] == pytest.approx(106.0)  # mean of 2, 5, 11
    assert table.loc["B", "effect"] == pytest.approx(1.0 + 0.5 / 3)
    assert table.loc["B", "icer"] == pytest.approx(6.0 / (0.5 / 3))
    cost = summary.variance.set_index("measure").loc["incremental cost_usd"]
    # MSB = 2 x ((2-6)^2 + (5-6)^2 + (11-6)^2) / 2 = 42; MSW = 6 x 1 / 3 = 2.
    assert cost["monte_carlo"] == pytest.approx(2.0)
    assert cost["parameter"] == pytest.approx((42.0 - 2.0) / 2)
    assert cost["parameter_share"] == pytest.approx(20.0 / 22.0)
    # NMB at 50 per unit: B's incremental NMB per sample 50 x (0.1, 0.3, 0.1) - (2, 5, 11).
    nmb = summary.nmb.set_index("strategy")
    assert nmb.loc["B", "expected_nmb"] - nmb.loc["A", "expected_nmb"] == pytest.approx(
        np.mean([5 - 2, 15 - 5, 5 - 11])
    )
    assert nmb.loc["B", "probability_cost_effective"] == pytest.approx(2 / 3)
    assert summary.plane["incremental_cost"].tolist() == pytest.approx([2.0, 5.0, 11.0])
    assert summary.notes == []


def test_one_replicate_cannot_separate_the_variance_unless_base_runs_measure_it():
    one = synthetic(1)
    summary = summarise_psa(one, [50.0], effect="life_years", cost="cost_usd")
    row = summary.variance.set_index("measure").loc["incremental cost_usd"]
    assert row["total"] == pytest.approx(np.var([1.0, 4.0, 10.0], ddof=1))
    assert math.isnan(row["parameter"]) and math.isnan(row["monte_carlo"])
    assert "cannot be separated" in summary.notes[0]
    base = pd.DataFrame({"base_run": [0, 0, 1, 1, 2, 2], "arm": ["A", "B"] * 3,
                         "cost_usd": [100.0, 101.0, 100.0, 102.0, 100.0, 103.0],
                         "life_years": [1.0] * 6})  # fmt: skip
    summary = summarise_psa(one, [50.0], effect="life_years", cost="cost_usd", base_case=base)
    row = summary.variance.set_index("measure").loc["incremental cost_usd"]
    assert row["monte_carlo"] == pytest.approx(1.0)  # var(1, 2, 3)
    assert row["parameter"] == pytest.approx(np.var([1.0, 4.0, 10.0], ddof=1) - 1.0)
    assert "base-case runs" in summary.notes[0]


def test_incomplete_samples_are_left_out():
    frame = synthetic(2)
    frame = frame.drop(frame.index[-1])  # sample 2 misses B's second replicate
    summary = summarise_psa(frame, [50.0], effect="life_years", cost="cost_usd")
    assert summary.samples_used == 2 and "1 samples are incomplete" in summary.notes[-1]
    with pytest.raises(ScenarioError, match="--effect 'qaly': not an outcome"):
        summarise_psa(frame, [50.0], effect="qaly", cost="cost_usd")


# -- the command line ----------------------------------------------------------------------


def test_dry_run_prints_the_plan_and_writes_nothing(files, tmp_path, capsys):
    out = tmp_path / "nothing"
    args = ["psa", str(files / "base.toml"), str(files / "naloxone.toml"), "--samples", "7",
            "--out", str(out), "--dry-run"]  # fmt: skip
    assert main(args) == 0
    text = capsys.readouterr().out
    assert text.startswith("psa baseline: 7 samples x 2 arms x 1 replicates = 14 runs")
    assert "overdose.base_rate_per_year" in text and "gamma(shape" in text
    assert "[only naloxone]" in text
    assert not out.exists()


def test_json_of_a_finished_psa(serial, files, capsys):
    _, out, _, summary = serial
    args = ["psa", *(str(files / f"{n}.toml") for n in ("base", "naloxone", "moud")),
            "--samples", str(SAMPLES), "--replicates", str(REPLICATES), "--seed", str(SEED),
            "--workers", "1", "--out", str(out), "--json"]  # fmt: skip
    assert main(args) == 0
    body = json.loads(capsys.readouterr().out)
    assert body["summary"] == json.loads(json.dumps(summary.as_dict()))
    assert (out / "ce_plane.png").is_file() and (out / "ceac.png").is_file()


@pytest.mark.parametrize(
    "extra, expected",
    [
        (["--effect", "qaly"], "--effect 'qaly': unknown outcome; did you mean 'qalys'?"),
        (["--samples", "0"], "--samples 0 is out of range: allowed 1 to 100,000"),
        (["--base-runs", "1"], "--base-runs 1 measures no variance"),
        (["--base-runs", "4", "--replicates", "2"], "--base-runs measures the Monte Carlo"),
        (["--wtp", "-5"], "--wtp -5: values must be 0 or more"),
        (["--workers", "0"], "--workers must be at least 1"),
        (["--distributions", "missing.toml"], "distributions file not found: missing.toml"),
        (["--scheduler", "nope"], "scheduler address 'nope' is not HOST:PORT"),
    ],
)
def test_bad_command_lines_are_one_line_exit_2(files, tmp_path, capsys, extra, expected):
    out = tmp_path / "x"
    args = ["psa", str(files / "base.toml"), str(files / "naloxone.toml"), "--out", str(out)]
    assert main([*args, *extra]) == 2
    err = capsys.readouterr().err
    assert err.startswith("hrsim: error: ") and expected in err and err.count("\n") == 1
    assert not out.exists()


def test_the_sweep_report_refuses_a_psa_store_in_one_line(serial, capsys):
    _, out, _, _ = serial
    assert main(["report", str(out)]) == 2
    err = capsys.readouterr().err
    assert "is a PSA store (hrsim psa)" in err and err.count("\n") == 1
    assert not (out / "report").exists()


def test_an_unknown_arm_file_is_one_line(files, capsys):
    assert main(["psa", str(files / "base.toml"), "nalox.toml", "--dry-run"]) == 2
    err = capsys.readouterr().err
    assert "scenario file not found: nalox.toml" in err and err.count("\n") == 1


def test_base_case_runs_are_planned_on_their_own_seeds(files):
    plan = tiny_plan(files, replicates=1, base_runs=3)
    assert len(plan.plan.arms) == (SAMPLES + 3) * 3 and plan.total_runs == (SAMPLES + 3) * 3
    base = plan.plan.arms[SAMPLES * 3 + 4]  # base run 1, arm naloxone
    assert base.labels == {"base_run": 1} and base.parameters == {} and base.scenario == "naloxone"
    expected = np.random.SeedSequence(SEED, spawn_key=(BASE_KEY, 1)).generate_state(1, np.uint64)
    assert base.seeds == (int(expected[0] >> np.uint64(1)),)
    assert base.spec == plan.scenarios[1]  # the scenario's own values
