"""``hrsim compare``'s health economics on made-up runs: ICER, Fieller, NMB, frontier, header.

Every number is checked against a value worked by hand from the runs given to ``summarise``
(no model runs), so the arithmetic is exact; the command-line checks refuse bad input before
any run starts.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from scipy import stats

from hrsim.analysis.compare import (
    DEFAULT_WTP,
    DOMINANT,
    DOMINATED,
    LESS_COSTLY_LESS_EFFECTIVE,
    MORE_COSTLY_MORE_EFFECTIVE,
    OUTCOMES,
    EconomicsMismatchError,
    EconomicsSettings,
    compare,
    economics_of_manifest,
    format_comparison,
    summarise,
)
from hrsim.analysis.stats import fieller
from hrsim.cli import main, parse_wtp
from hrsim.reporting import economics_figures
from hrsim.scenario import Scenario, build_scenario

SEEDS = [11, 12, 13, 14]
T3 = stats.t.ppf(0.975, 3)  # four replicates


def runs_of(**columns: list[float]) -> list[dict[str, float]]:
    """One outcome dict per replicate; outcomes not given are 0."""
    n = len(next(iter(columns.values())))
    return [{o: float(columns[o][r]) if o in columns else 0.0 for o in OUTCOMES} for r in range(n)]


BASE = runs_of(
    cost_discounted_usd=[1000.0, 1100.0, 900.0, 1000.0],
    qalys=[10.0, 10.2, 9.8, 10.0],
    cost_usd=[500.0, 520.0, 480.0, 500.0],
    new_hiv=[5, 6, 4, 5],
    new_hcv=[20, 22, 18, 20],
    deaths_all_causes=[8, 9, 7, 8],
)
# Paired differences (arm - baseline): cost +300, +320, +280, +340 (mean 310); QALYs +0.10,
# +0.12, +0.08, +0.14 (mean 0.11); run cost +40 each; HIV -1, -1, -1, -1; HCV -2, 0, -2, 0;
# deaths -1, -1, 0, -2.
ARM = runs_of(
    cost_discounted_usd=[1300.0, 1420.0, 1180.0, 1340.0],
    qalys=[10.10, 10.32, 9.88, 10.14],
    cost_usd=[540.0, 560.0, 520.0, 540.0],
    new_hiv=[4, 5, 3, 4],
    new_hcv=[18, 22, 16, 20],
    deaths_all_causes=[7, 8, 7, 6],
)
D_COST = np.array([300.0, 320.0, 280.0, 340.0])
D_QALY = np.array([0.10, 0.12, 0.08, 0.14])


def t_interval(values: np.ndarray) -> tuple[float, float]:
    half = T3 * values.std(ddof=1) / math.sqrt(values.size)
    return values.mean() - half, values.mean() + half


def test_icer_is_the_ratio_of_the_mean_paired_differences_with_fieller_bounds():
    result = summarise("base", ["arm"], {"base": BASE, "arm": ARM}, SEEDS)
    (arm,) = result.arms
    assert arm.incremental_cost_usd.value == pytest.approx(310.0)
    assert arm.qalys_gained.value == pytest.approx(0.11)
    assert arm.icer.value == pytest.approx(310.0 / 0.11)  # 2,818.18 per QALY gained
    assert arm.icer.quadrant == MORE_COSTLY_MORE_EFFECTIVE and arm.icer.bounded
    assert arm.qalys_gained.ci95 == pytest.approx(t_interval(D_QALY))
    assert arm.incremental_cost_usd.ci95 == pytest.approx(t_interval(D_COST))
    # Fieller's bounds are the ratios q at which the paired t statistic of
    # (cost difference - q x QALY difference) is exactly the t quantile: check that definition.
    lo, hi = arm.icer.ci95
    assert lo < arm.icer.value < hi
    for q in (lo, hi):
        z = D_COST - q * D_QALY
        t = z.mean() / (z.std(ddof=1) / math.sqrt(z.size))
        assert abs(t) == pytest.approx(T3, rel=1e-9)
    # Just inside the bounds the statistic is smaller: the interval is the inside.
    z = D_COST - (lo + 1.0) * D_QALY
    assert abs(z.mean() / (z.std(ddof=1) / 2)) < T3


def test_net_monetary_benefit_at_each_threshold_is_a_paired_difference():
    result = summarise("base", ["arm"], {"base": BASE, "arm": ARM}, SEEDS, wtp=[0, 5000])
    (arm,) = result.arms
    assert [n.wtp for n in arm.net_benefit] == [0.0, 5000.0]
    for n in arm.net_benefit:
        gain = n.wtp * D_QALY - D_COST
        assert n.incremental.value == pytest.approx(gain.mean())
        assert n.incremental.ci95 == pytest.approx(t_interval(gain))
        base_nmb = np.mean([n.wtp * r["qalys"] - r["cost_discounted_usd"] for r in BASE])
        assert n.baseline_mean == pytest.approx(base_nmb)
    # 5,000 per QALY is above the ICER (2,818): the arm's net benefit is the higher.
    assert arm.net_benefit[1].incremental.value == pytest.approx(5000 * 0.11 - 310)
    assert result.best == {0.0: "base", 5000.0: "arm"}


def test_infections_and_deaths_are_averted_separately_and_ratios_charge_one_outcome():
    (arm,) = summarise("base", ["arm"], {"base": BASE, "arm": ARM}, SEEDS).arms
    assert arm.averted["hiv_infections"].value == pytest.approx(1.0)
    assert arm.averted["hiv_infections"].ci95 == pytest.approx((1.0, 1.0))
    assert arm.averted["hcv_infections"].value == pytest.approx(1.0)
    hcv = np.array([2.0, 0.0, 2.0, 0.0])
    assert arm.averted["hcv_infections"].ci95 == pytest.approx(t_interval(hcv))
    assert arm.averted["deaths"].value == pytest.approx(1.0)
    # Each secondary ratio puts the whole run cost (+40) on one outcome.
    assert arm.cost_per_outcome_usd == pytest.approx(
        {"death_averted": 40.0, "hiv_infection_averted": 40.0, "hcv_infection_averted": 40.0}
    )
    assert "cost_per_infection_averted_usd" not in arm.as_dict()


def test_icer_without_a_bounded_interval_and_the_quadrants():
    # QALYs gained straddle 0: Fieller's set is unbounded, no interval is given.
    flat = runs_of(cost_discounted_usd=[100.0] * 4, qalys=[1.0] * 4)
    noisy = runs_of(cost_discounted_usd=[150.0] * 4, qalys=[1.2, 0.9, 1.1, 0.9])
    (arm,) = summarise("a", ["b"], {"a": flat, "b": noisy}, SEEDS).arms
    assert arm.icer.value == pytest.approx(50.0 / 0.025)
    assert not arm.icer.bounded and arm.icer.ci95 is None
    assert arm.icer.as_dict()["interval"] == "unbounded"
    assert "no 95% interval" in arm.icer.text()
    cases = {
        DOMINANT: (-10.0, 0.1),
        DOMINATED: (10.0, -0.1),
        LESS_COSTLY_LESS_EFFECTIVE: (-10.0, -0.1),
        MORE_COSTLY_MORE_EFFECTIVE: (10.0, 0.1),
    }
    texts = {}
    for name, (d_cost, d_qaly) in cases.items():
        other = runs_of(cost_discounted_usd=[100.0 + d_cost] * 4, qalys=[1.0 + d_qaly] * 4)
        (arm,) = summarise("a", ["b"], {"a": flat, "b": other}, SEEDS).arms
        assert arm.icer.quadrant == name
        # No spread at all: Fieller's interval is the point itself.
        assert arm.icer.ci95 == pytest.approx((d_cost / d_qaly, d_cost / d_qaly))
        texts[name] = arm.icer.text()
    assert texts[DOMINANT].startswith("dominant: costs less")
    assert texts[DOMINATED].startswith("dominated: costs more")
    assert texts[LESS_COSTLY_LESS_EFFECTIVE].startswith("saves 100 USD per QALY lost")
    assert texts[MORE_COSTLY_MORE_EFFECTIVE].startswith("100 USD per QALY gained (95% CI 100 to")


def test_fieller_with_a_denominator_far_from_zero_approaches_the_delta_method():
    rng = np.random.default_rng(3)
    d_qaly = rng.normal(10.0, 0.1, 200)
    d_cost = rng.normal(1000.0, 50.0, 200)
    ratio = fieller(d_cost, d_qaly)
    # Delta method: var(C/E) ~ (var C + R^2 var E - 2 R cov) / E^2, over n.
    r = d_cost.mean() / d_qaly.mean()
    cov = np.cov(d_cost, d_qaly, ddof=1) / 200
    se = math.sqrt(cov[0, 0] + r * r * cov[1, 1] - 2 * r * cov[0, 1]) / d_qaly.mean()
    t = stats.t.ppf(0.975, 199)
    assert ratio.ci95 == pytest.approx((r - t * se, r + t * se), rel=1e-3)


def test_incremental_table_across_arms_marks_dominated_and_extendedly_dominated():
    # docs/economics.md's worked example: C is dominated by B, D extendedly dominated.
    means = {"A": (1000, 10.0), "B": (3000, 10.5), "C": (4000, 10.4), "D": (6000, 10.6)}
    means["E"] = (9000, 11.0)
    spread = np.array([-1.0, 1.0, -0.5, 0.5])  # the same noise in every arm (paired)
    runs = {
        name: runs_of(cost_discounted_usd=list(cost + 10 * spread), qalys=list(q + 0.01 * spread))
        for name, (cost, q) in means.items()
    }
    result = summarise("A", ["B", "C", "D", "E"], runs, SEEDS, wtp=[1000, 5000, 50_000])
    table = result.table.set_index("strategy")
    assert table["status"].to_dict() == {
        "A": "reference",
        "B": "frontier",
        "C": "dominated",
        "D": "extendedly dominated",
        "E": "frontier",
    }
    assert table.loc["B", "icer"] == pytest.approx(4000.0)
    assert table.loc["E", "icer"] == pytest.approx(12_000.0)  # against B, not the baseline
    assert table.loc["E", "incremental_cost"] == pytest.approx(6000.0)
    assert result.best == {1000.0: "A", 5000.0: "B", 50_000.0: "E"}
    text = format_comparison(result)
    assert "extendedly dominated" in text
    assert "A at 1,000 per QALY; B at 5,000 per QALY; E at 50,000 per QALY" in text
    out = result.as_dict()
    json.dumps(out, allow_nan=False)  # NaNs (the reference's ICER) are null, not NaN
    rows = {r["strategy"]: r for r in out["incremental_table"]}
    assert rows["A"]["icer"] is None and rows["E"]["icer"] == pytest.approx(12_000.0)


def test_json_keys_and_the_header_state_the_economics():
    econ = EconomicsSettings("health_sector", 2024, "USD", 0.03, "lifetime", 2.0, 1000)
    result = summarise("base", ["arm"], {"base": BASE, "arm": ARM}, SEEDS, economics=econ)
    out = result.as_dict()
    assert set(out) == {
        "baseline",
        "replicates",
        "seeds",
        "economics",
        "wtp",
        "arms",
        "incremental_table",
        "best_at_wtp",
        "posterior",
        "people_per_simulated_person",
    }
    assert out["posterior"] is None and out["people_per_simulated_person"] is None
    assert out["wtp"] == list(DEFAULT_WTP)
    icer = out["arms"][0]["icer_usd_per_qaly"]
    assert icer["value"] == pytest.approx(310 / 0.11) and icer["interval"] == "fieller"
    assert out["arms"][0]["cost_per_outcome_usd"]["basis"].startswith("incremental cost within")
    json.dumps(out, allow_nan=False)
    text = format_comparison(result)
    for part in (
        "Perspective: health sector",
        "2024 US dollars (USD)",
        "CPI-U Medical Care",
        "Discounting: 0.03 (3%) a year for costs and QALYs",
        "Horizon: lifetime: the 2-year run",
        "totals for 1,000 people",
        "QALYs gained (discounted, lifetime)",
        "2,818 USD per QALY gained (95% CI",
        "net monetary benefit at 50,000 per QALY",
        "HIV infections averted (in the run)",
        "HCV infections averted (in the run)",
        "deaths averted (all causes, in the run)",
        "per death averted 40; per HIV infection averted 40; per HCV infection averted 40",
    ):
        assert part in text, part
    assert "per infection averted" not in text.replace("HIV infection", "").replace(
        "HCV infection", ""
    )


def test_the_default_thresholds_are_the_figures_defaults():
    assert DEFAULT_WTP == economics_figures.DEFAULT_WTP
    assert parse_wtp(None) == DEFAULT_WTP
    assert parse_wtp("0, 25000,1e5") == (0.0, 25_000.0, 100_000.0)


def _scenario(name: str, **economics: object) -> Scenario:
    return build_scenario(
        {"run": {"name": name, "people": 200, "years": 0.1}, "economics": economics}
    )


def test_arms_that_disagree_on_the_economics_are_refused_before_running():
    with pytest.raises(EconomicsMismatchError) as info:
        compare(_scenario("a"), [_scenario("b", discount_rate=0.0)], replicates=2, workers=1)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith("economics.discount_rate: the baseline 'a' has 0.03 but arm 'b'")
    with pytest.raises(EconomicsMismatchError, match="economics.perspective"):
        compare(_scenario("a"), [_scenario("b", perspective="societal")], replicates=2)


def test_economics_of_a_manifest_take_swept_parameters():
    scenario = {"economics": {**_scenario("a").economics.model_dump()}}
    manifest = {
        "scenarios": {"a": {"scenario": scenario}},
        "arms": [
            {"scenario": "a", "parameters": {}, "years": 1.0, "people": 300},
            {"scenario": "a", "parameters": {"economics.discount_rate": 0.05}, "years": 1.0},
        ],
    }
    first, second = economics_of_manifest(manifest)
    assert first.discount_rate == 0.03 and second.discount_rate == 0.05
    assert first.people == 300 and first.years == 1.0


@pytest.mark.parametrize("value", ["abc", "-5", "50000,,100000", "inf", "nan", ""])
def test_compare_bad_wtp_is_one_line_and_runs_nothing(tmp_path, capsys, value):
    base = tmp_path / "base.toml"
    base.write_text('[run]\nname = "base"\n')
    code = main(["compare", str(base), str(base), "--wtp", value])
    err = capsys.readouterr().err
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and err.startswith("hrsim: error: --wtp: ")
    assert "number 0 or more" in err


def test_compare_command_refuses_arms_with_other_economics_in_one_line(tmp_path, capsys):
    base = tmp_path / "base.toml"
    base.write_text('[run]\nname = "base"\n')
    arm = tmp_path / "arm.toml"
    arm.write_text('[run]\nname = "arm"\n[economics]\nprice_year = 2020\n')
    assert main(["compare", str(base), str(arm), "--replicates", "2"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert err.startswith("hrsim: error: economics.price_year: the baseline 'base' has 2024")
