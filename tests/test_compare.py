"""Paired comparison: common random numbers, statistics, parallel runs, the command."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from hrsim import HarmReductionModel
from hrsim.analysis.compare import (
    OUTCOMES,
    PRICE_INDEX,
    compare,
    format_comparison,
    paired,
    run_outcomes,
)
from hrsim.scenario import Scenario, build_scenario

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
SMALL = {"people": 1500, "years": 1.0, "name": "small", "seed": 1}


def with_ssp(coverage: float, name: str) -> Scenario:
    return build_scenario(
        {
            "run": {**SMALL, "name": name},
            "interventions": [{"type": "syringe_services", "coverage_fraction": coverage}],
        }
    )


def test_zero_coverage_arm_is_identical_to_the_baseline():
    base = build_scenario({"run": SMALL})
    result = compare(base, [with_ssp(0.0, "zero")], replicates=3, workers=1)
    arm = result.arms[0]
    for name in OUTCOMES:
        o = arm.outcomes[name]
        assert o.difference_mean == 0.0 and o.difference_ci95 == (0.0, 0.0), name
        assert o.pairing.paired_sd == 0.0, name
    assert result.runs["small"] == result.runs["zero"]
    for name in ("fatal_overdoses", "new_hcv", "life_years", "qalys"):  # outcomes that vary
        assert arm.outcomes[name].pairing.correlation == pytest.approx(1.0), name
        assert arm.outcomes[name].pairing.variance_reduction == pytest.approx(1.0), name
    text = format_comparison(result)
    assert "What the pairing buys" in text
    pairing_lines = text.split("What the pairing buys", 1)[1].splitlines()
    row = next(line.split() for line in pairing_lines if line.split()[:1] == ["qalys"])
    assert row[1:] == ["1.00", "0.0", row[3], "0.00"] and float(row[3].replace(",", "")) > 0


def test_parallel_and_serial_give_identical_runs():
    base = build_scenario({"run": SMALL})
    arms = [with_ssp(0.8, "ssp")]
    serial = compare(base, arms, replicates=3, workers=1)
    parallel = compare(base, arms, replicates=3, workers=2)
    assert serial.runs == parallel.runs
    assert serial.as_dict() == parallel.as_dict()


def test_replicates_differ_and_arms_share_seeds():
    base = build_scenario({"run": SMALL})
    result = compare(base, [with_ssp(0.8, "ssp")], replicates=3, workers=1)
    assert len(set(result.seeds)) == 3
    fatal = [r["nonfatal_overdoses"] for r in result.runs["small"]]
    assert len(set(fatal)) > 1  # replicates are different worlds


def test_paired_statistics_match_hand_computation():
    base = np.array([10.0, 12.0, 9.0, 11.0, 13.0])
    arm = np.array([8.0, 11.0, 7.0, 10.0, 10.0])
    o = paired(base, arm)
    diff = arm - base
    half = stats.t.ppf(0.975, 4) * diff.std(ddof=1) / np.sqrt(5)
    assert o.difference_mean == pytest.approx(diff.mean())
    assert o.difference_ci95 == pytest.approx((diff.mean() - half, diff.mean() + half))
    assert o.relative_risk == pytest.approx(arm.mean() / base.mean())
    lo, hi = o.relative_risk_ci95
    assert lo < o.relative_risk < hi
    # Independent check of the delta method by simulation of the sampling distribution.
    rng = np.random.default_rng(0)
    cov = np.cov(arm, base, ddof=1)
    draws = rng.multivariate_normal([arm.mean(), base.mean()], cov / 5, size=200_000)
    ratios = draws[:, 0] / draws[:, 1]
    sd_log = np.log(ratios).std()
    assert np.log(hi / lo) / 2 == pytest.approx(stats.t.ppf(0.975, 4) * sd_log, rel=0.05)


def test_pairing_diagnostics_match_hand_computation():
    base = np.array([10.0, 12.0, 9.0, 11.0, 13.0])
    arm = np.array([8.0, 11.0, 7.0, 10.0, 10.0])
    p = paired(base, arm).pairing
    var_b, var_a = base.var(ddof=1), arm.var(ddof=1)
    cov = np.cov(base, arm, ddof=1)[0, 1]
    assert p.correlation == pytest.approx(np.corrcoef(base, arm)[0, 1])
    assert p.paired_sd == pytest.approx((arm - base).std(ddof=1))
    assert p.unpaired_sd == pytest.approx(np.sqrt(var_b + var_a))
    assert p.variance_reduction == pytest.approx(2 * cov / (var_b + var_a))
    assert p.sd_ratio == pytest.approx(p.paired_sd / p.unpaired_sd)


@pytest.mark.parametrize("rho", [0.0, 0.8, -0.5])
def test_pairing_recovers_a_known_correlation(rho):
    # Equal variances: variance reduction = rho and paired/unpaired SD = sqrt(1 - rho).
    n = 20_000
    draws = np.random.default_rng(7).multivariate_normal([5, 3], [[4, 4 * rho], [4 * rho, 4]], n)
    p = paired(draws[:, 0], draws[:, 1]).pairing
    se_r = (1 - rho**2) / np.sqrt(n)  # the large-sample SE of Pearson's r
    assert p.correlation == pytest.approx(rho, abs=4 * se_r + 1e-12)
    assert p.variance_reduction == pytest.approx(rho, abs=4 * np.sqrt(2 / n) + 4 * se_r)
    assert p.sd_ratio == pytest.approx(np.sqrt(1 - rho), rel=0.01)


def test_pairing_is_undefined_where_it_means_nothing():
    one = paired(np.array([3.0]), np.array([4.0])).pairing
    assert (one.correlation, one.paired_sd, one.unpaired_sd, one.variance_reduction) == (
        None, None, None, None
    )  # fmt: skip
    flat = paired(np.array([2.0, 2.0, 2.0]), np.array([1.0, 3.0, 2.0])).pairing
    assert flat.correlation is None  # the baseline never varies
    assert flat.variance_reduction == pytest.approx(0.0)  # nothing to share
    never = paired(np.zeros(4), np.zeros(4)).pairing
    assert never.variance_reduction is None and never.sd_ratio is None
    assert never.as_dict()["sd_ratio"] is None


def test_costs_count_programme_and_treatment():
    base = build_scenario({"run": SMALL})
    result = compare(base, [with_ssp(0.8, "ssp")], replicates=2, workers=1)
    arm = result.arms[0]
    assert arm.outcomes["cost_programmes_usd"].difference_mean > 0  # syringes cost money
    assert arm.cost_discounted_usd == pytest.approx(arm.outcomes["cost_discounted_usd"].arm_mean)
    assert arm.qalys == pytest.approx(arm.outcomes["qalys"].arm_mean)
    assert result.economics is not None and result.economics.price_year == 2024


def test_compare_command_json(tmp_path):
    arm = tmp_path / "ssp.toml"
    arm.write_text('[run]\nname = "ssp"\n[[interventions]]\ntype = "syringe_services"\n')
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "hrsim.cli",
            "compare",
            str(SCENARIOS / "baseline.toml"),
            str(arm),
            "--replicates",
            "2",
            "--people",
            "800",
            "--years",
            "0.5",
            "--json",
            "--workers",
            "2",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["baseline"] == "baseline" and data["replicates"] == 2
    (only,) = data["arms"]
    assert only["name"] == "ssp"
    assert set(only["outcomes"]) == set(OUTCOMES)
    for values in only["outcomes"].values():
        assert set(values) >= {
            "baseline_mean",
            "arm_mean",
            "difference_mean",
            "difference_ci95",
            "relative_risk",
            "relative_risk_ci95",
            "pairing",
        }
        assert set(values["pairing"]) == {
            "correlation", "paired_sd", "unpaired_sd", "sd_ratio", "variance_reduction"
        }  # fmt: skip
        lo, hi = values["difference_ci95"]
        assert lo <= values["difference_mean"] <= hi
    assert set(only) >= {
        "qalys",
        "cost_discounted_usd",
        "qalys_gained",
        "incremental_cost_usd",
        "icer_usd_per_qaly",
        "net_monetary_benefit",
        "averted",
        "cost_per_outcome_usd",
    }
    assert "cost_per_infection_averted_usd" not in only  # HIV and HCV are never added up
    assert set(only["averted"]) >= {"hiv_infections", "hcv_infections", "deaths"}
    assert [n["wtp"] for n in only["net_monetary_benefit"]] == [50_000, 100_000, 200_000]
    assert set(only["icer_usd_per_qaly"]) == {"value", "ci95", "interval", "quadrant"}
    assert data["economics"] == {
        "perspective": "health_sector",
        "price_year": 2024,
        "currency": "USD",
        "discount_rate": 0.03,
        "horizon": "lifetime",
        "run_years": 0.5,
        "people": 800,
        "price_index": PRICE_INDEX,
    }
    assert [row["strategy"] for row in data["incremental_table"]] != []
    assert {row["strategy"] for row in data["incremental_table"]} == {"baseline", "ssp"}
    assert [b["wtp"] for b in data["best_at_wtp"]] == [50_000, 100_000, 200_000]


@pytest.mark.parametrize(
    "args",
    [["missing.toml", "also_missing.toml"], ["BASE", "ARM", "--replicates", "1"]],
)
def test_compare_bad_input_is_one_line(tmp_path, args):
    args = [str(SCENARIOS / "baseline.toml") if a in ("BASE", "ARM") else a for a in args]
    out = subprocess.run(
        [sys.executable, "-m", "hrsim.cli", "compare", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=tmp_path,
    )
    assert out.returncode == 2
    assert len(out.stderr.strip().splitlines()) == 1 and "Traceback" not in out.stderr


def test_life_years_are_person_time_and_each_death_loses_the_rest_of_the_horizon():
    scenario = build_scenario({"run": SMALL})
    out = run_outcomes(scenario)
    weeks = round(SMALL["years"] * 52)
    model = HarmReductionModel(scenario, record_events=False)
    model.run()
    ts = model.timeseries_frame()
    # Person-time lived: the population at the start of each week of the horizon.
    assert out["life_years"] == pytest.approx(ts["population"].iloc[:-1].sum() / 52)
    lost = sum(
        (row.deaths_overdose + row.deaths_other) * (weeks - row.week) / 52
        for row in ts.itertuples()
    )
    assert out["life_years_lost"] == pytest.approx(lost)
    assert out["deaths_all_causes"] > 0 and out["life_years_lost"] > 0
