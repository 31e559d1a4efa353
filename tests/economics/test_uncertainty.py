"""CEAC, CEAF, EVPI and variance components against hand-worked cases and closed forms."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from hrsim.economics.decision import DecisionInputError
from hrsim.economics.uncertainty import (
    ceac,
    evpi,
    expected_loss,
    variance_components,
    wtp_grid,
)

# Four PSA samples of three strategies. At wtp 1000, NMB = 1000 x effect - cost:
#   s1: A 1000, B 1200-100 = 1100, C 1300-400 = 900   best B
#   s2: A 1000, B 1100-200 =  900, C 1500-300 = 1200  best C
#   s3: A 1000, B 1300-100 = 1200, C 1200-100 = 1100  best B
#   s4: A 1000, B 1000-0   = 1000, C 1100-200 = 900   A and B tie: half each
# CEAC: A 0.5/4 = 0.125, B 2.5/4 = 0.625, C 1/4 = 0.25.
# Mean NMB: A 1000, B 4200/4 = 1050, C 4100/4 = 1025, so the CEAF is B.
# Mean of the best: (1100 + 1200 + 1200 + 1000)/4 = 1125; EVPI = 1125 - 1050 = 75.
# Losses (best - own): A 100, 200, 200, 0 (mean 125); B 0, 300, 0, 0 (75); C 200, 0, 100, 100
# (100). At wtp 0, NMB = -cost: A is best in s1-s3 and ties B in s4: A 0.875, B 0.125, C 0;
# every sample's best is 0, so EVPI is 0.
EFFECTS = np.array([[1.0, 1.2, 1.3], [1.0, 1.1, 1.5], [1.0, 1.3, 1.2], [1.0, 1.0, 1.1]])
COSTS = np.array([[0.0, 100, 400], [0, 200, 300], [0, 100, 100], [0, 0, 200]])
NAMES = ["A", "B", "C"]


def test_ceac_tiny_case_by_hand():
    frame = ceac(COSTS, EFFECTS, [0, 1000], NAMES)
    assert list(frame.columns) == ["wtp", "strategy", "probability", "optimal"]
    assert frame["wtp"].tolist() == [0, 0, 0, 1000, 1000, 1000]
    assert frame["strategy"].tolist() == NAMES * 2
    np.testing.assert_allclose(frame["probability"], [0.875, 0.125, 0, 0.125, 0.625, 0.25])
    assert frame["optimal"].tolist() == [True, False, False, False, True, False]


def test_evpi_and_expected_loss_tiny_case_by_hand():
    frame = evpi(COSTS, EFFECTS, [0, 1000])
    assert list(frame.columns) == ["wtp", "evpi"]
    np.testing.assert_allclose(frame["evpi"], [0, 75], atol=1e-9)
    np.testing.assert_allclose(evpi(COSTS, EFFECTS, 1000, population=200)["evpi"], [15000])
    loss = expected_loss(COSTS, EFFECTS, 1000, NAMES)
    np.testing.assert_allclose(loss["expected_loss"], [125, 75, 100], atol=1e-9)
    assert loss["optimal"].tolist() == [False, True, False]


def test_the_frontier_is_the_best_bet_not_the_likeliest():
    # Nine samples where B beats A by 1, one where it loses by 100 (wtp 0, costs only):
    # B is cost-effective with probability 0.9 but its expected NMB is (9 - 100)/10 = -9.1
    # below A's, so A is on the frontier. EVPI = mean loss of choosing A = 9 x 1 / 10 = 0.9.
    costs = np.zeros((10, 2))
    costs[:9, 1] = -1.0
    costs[9, 1] = 100.0
    effects = np.zeros((10, 2))
    frame = ceac(costs, effects, 0, ["A", "B"])
    assert frame["probability"].tolist() == pytest.approx([0.1, 0.9])
    assert frame["optimal"].tolist() == [True, False]
    assert evpi(costs, effects, 0)["evpi"].item() == pytest.approx(0.9)


def test_probabilities_add_up_to_one_and_ties_are_shared():
    rng = np.random.default_rng(3)
    costs = rng.integers(0, 3, (50, 4)).astype(float)  # many exact ties
    effects = np.zeros((50, 4))
    frame = ceac(costs, effects, [0, 10], list("abcd"))
    sums = frame.groupby("wtp")["probability"].sum()
    np.testing.assert_allclose(sums, 1.0)
    assert frame.groupby("wtp")["optimal"].sum().tolist() == [1, 1]
    identical = ceac(np.ones((5, 2)), np.ones((5, 2)), 7, ["x", "y"])
    assert identical["probability"].tolist() == [0.5, 0.5]
    assert identical["optimal"].tolist() == [True, False]  # an exact tie: the first


def test_evpi_is_zero_when_one_strategy_wins_every_sample_and_for_one_strategy():
    rng = np.random.default_rng(4)
    base = rng.normal(1000, 100, 200)
    costs = np.column_stack([base, base + 50 + rng.uniform(0, 10, 200)])
    effects = np.column_stack([np.ones(200), np.ones(200)])  # B costs more for nothing
    assert evpi(costs, effects, [0, 1e5])["evpi"].tolist() == [0.0, 0.0]
    assert evpi(costs[:, :1], effects[:, :1], 5)["evpi"].tolist() == [0.0]


# Two strategies, B minus A: effect dE ~ N(0.05, 0.02), cost dC ~ N(2000, 500), independent,
# on top of noise both arms share (as common random numbers do), which must cancel. At wtp l,
# INB = l dE - dC ~ N(mu, sigma^2) with mu = 0.05 l - 2000 and sigma^2 = 0.02^2 l^2 + 500^2.
# Then P(B optimal) = Phi(mu / sigma) and EVPI = E[max(0, INB)] - max(0, mu)
# = sigma phi(mu / sigma) - |mu| Phi(-|mu| / sigma).
N_NORMAL = 200_000
WTP_NORMAL = np.array([0.0, 20_000, 40_000, 60_000, 100_000])


@pytest.fixture(scope="module")
def normal_psa():
    rng = np.random.default_rng(20150)
    shared_cost = rng.normal(10_000, 2_000, N_NORMAL)
    shared_effect = rng.normal(10, 1, N_NORMAL)
    d_cost = rng.normal(2000, 500, N_NORMAL)
    d_effect = rng.normal(0.05, 0.02, N_NORMAL)
    costs = np.column_stack([shared_cost, shared_cost + d_cost])
    effects = np.column_stack([shared_effect, shared_effect + d_effect])
    return costs, effects, d_cost, d_effect


def _normal_moments(wtp):
    return 0.05 * wtp - 2000, np.sqrt((0.02 * wtp) ** 2 + 500**2)


def test_ceac_of_normal_incremental_net_benefit_is_phi_of_mu_over_sigma(normal_psa):
    costs, effects, _, _ = normal_psa
    frame = ceac(costs, effects, WTP_NORMAL, ["A", "B"])
    b = frame[frame["strategy"] == "B"]
    mu, sigma = _normal_moments(WTP_NORMAL)
    expected = stats.norm.cdf(mu / sigma)
    se = np.sqrt(expected * (1 - expected) / N_NORMAL)
    assert np.all(np.abs(b["probability"].to_numpy() - expected) <= 4 * se + 1e-12)
    # CEAF: B where mu > 0 (|mu| >= 1000 is far from 0 but at 40,000, where mu = 0).
    clear = WTP_NORMAL != 40_000
    assert b["optimal"].to_numpy()[clear].tolist() == (mu[clear] > 0).tolist()


def test_evpi_of_normal_incremental_net_benefit_matches_its_closed_form(normal_psa):
    costs, effects, d_cost, d_effect = normal_psa
    # Not wtp 0: there EVPI is 0.0036, decided by the ~6 samples in 200,000 where B wins (z =
    # 4), too few for a normal standard error.
    grid = WTP_NORMAL[1:]
    frame = evpi(costs, effects, grid)
    mu, sigma = _normal_moments(grid)
    z = np.abs(mu) / sigma
    expected = sigma * stats.norm.pdf(z) - np.abs(mu) * stats.norm.cdf(-z)
    # The estimate is the mean loss of the strategy with the higher mean NMB: where |mu| is
    # large beside sigma/sqrt(N) that is the true best's, max(0, -INB) for B or max(0, INB)
    # for A, with standard error sd/sqrt(N). Where mu = 0 either may be chosen: bound the
    # error of mean(max(0, INB)) - max(0, mean(INB)) by the sum of both parts' errors, as
    # max(0, .) moves no more than its argument.
    for k, wtp in enumerate(grid):
        inb = wtp * d_effect - d_cost
        if mu[k] == 0:
            se = (np.maximum(inb, 0).std() + inb.std()) / math.sqrt(N_NORMAL)
        else:
            se = np.maximum(0, -inb if mu[k] > 0 else inb).std() / math.sqrt(N_NORMAL)
        assert abs(frame["evpi"].iloc[k] - expected[k]) <= 4 * se
    # On this grid the largest is at 40,000, where the arms are even: sigma / sqrt(2 pi).
    assert grid[frame["evpi"].idxmax()] == 40_000
    assert expected[1] == pytest.approx(sigma[1] / math.sqrt(2 * math.pi))


def test_variance_components_exact_small_case():
    # Samples (1, 3) and (5, 7): means 2 and 6, grand mean 4. MSW = (1+1+1+1)/(2 x 1) = 2;
    # MSB = 2 x ((2-4)^2 + (6-4)^2)/1 = 16; parameter = (16 - 2)/2 = 7; total 9.
    result = variance_components([[1, 3], [5, 7]])
    assert result == pytest.approx(
        {"total": 9.0, "parameter": 7.0, "monte_carlo": 2.0, "parameter_share": 7 / 9}
    )


def test_variance_components_floors_parameter_variance_at_zero():
    # Means 5 and 5: MSB = 0; MSW = (25 + 25 + 0 + 0)/2 = 25; (0 - 25)/2 < 0, floored.
    result = variance_components([[0, 10], [5, 5]])
    assert result == pytest.approx(
        {"total": 25.0, "parameter": 0.0, "monte_carlo": 25.0, "parameter_share": 0.0}
    )


def test_variance_components_one_replicate_cannot_separate_the_parts():
    # Sample variance of 1, 3, 5, 7 (ddof 1): 20/3.
    result = variance_components([[1], [3], [5], [7]])
    assert result["total"] == pytest.approx(20 / 3)
    assert all(math.isnan(result[k]) for k in ("parameter", "monte_carlo", "parameter_share"))
    assert variance_components([1, 3, 5, 7])["total"] == pytest.approx(20 / 3)
    given = variance_components([1, 3, 5, 7], monte_carlo_variance=2.0)
    assert given == pytest.approx(
        {"total": 20 / 3, "parameter": 14 / 3, "monte_carlo": 2.0, "parameter_share": 0.7}
    )
    capped = variance_components([1, 3, 5, 7], monte_carlo_variance=10.0)
    assert capped["parameter"] == 0.0 and capped["monte_carlo"] == pytest.approx(20 / 3)


def test_variance_components_recover_a_simulated_random_effects_design():
    # y[s, r] = 50 + a[s] + e[s, r], a ~ N(0, 4), e ~ N(0, 9), 400 samples x 5 replicates.
    # Sampling distributions: MSW ~ 9 chi2(n(r-1))/(n(r-1)), sd 9 sqrt(2/(n(r-1)));
    # MSB ~ (r 4 + 9) chi2(n-1)/(n-1), sd (r 4 + 9) sqrt(2/(n-1)); parameter = (MSB-MSW)/r.
    n, r, var_a, var_e = 400, 5, 4.0, 9.0
    rng = np.random.default_rng(1515)
    values = 50 + rng.normal(0, math.sqrt(var_a), (n, 1)) + rng.normal(0, math.sqrt(var_e), (n, r))
    result = variance_components(values)
    sd_msw = var_e * math.sqrt(2 / (n * (r - 1)))
    sd_msb = (r * var_a + var_e) * math.sqrt(2 / (n - 1))
    sd_parameter = math.sqrt(sd_msb**2 + sd_msw**2) / r
    assert abs(result["monte_carlo"] - var_e) <= 4 * sd_msw
    assert abs(result["parameter"] - var_a) <= 4 * sd_parameter
    assert result["total"] == pytest.approx(result["parameter"] + result["monte_carlo"])
    assert result["parameter_share"] == pytest.approx(result["parameter"] / result["total"])


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: variance_components([[1, 2]]), "at least 2 samples"),
        (lambda: variance_components([[1, 2], [3, math.nan]]), r"values\[1, 1\] = nan"),
        (lambda: variance_components(np.ones((2, 2, 2))), "must be \\(samples, replicates\\)"),
        (
            lambda: variance_components([[1, 2], [3, 4]], monte_carlo_variance=1.0),
            "which measure it",
        ),
        (lambda: variance_components([1, 2], monte_carlo_variance=-1.0), "0 or more"),
        (lambda: ceac(COSTS, EFFECTS, 1000, ["A", "B"]), "2 names for 3 strategies"),
        (lambda: ceac(COSTS, EFFECTS, -5, NAMES), r"wtp\[0\] = -5.0"),
        (lambda: ceac(COSTS[0], EFFECTS[0], 5, NAMES), "must be \\(samples, strategies\\)"),
        (lambda: evpi(COSTS, EFFECTS[:2], 5), "must match"),
        (lambda: evpi(np.where(COSTS > 300, math.nan, COSTS), EFFECTS, 5), r"costs\[0, 2\]"),
        (lambda: evpi(COSTS, EFFECTS, 5, population=-1), "population = -1"),
        (lambda: wtp_grid(0), "max_wtp = 0"),
        (lambda: wtp_grid(1e5, 1), "points = 1"),
    ],
)
def test_bad_input_is_one_readable_line(call, message):
    with pytest.raises(DecisionInputError, match=message) as caught:
        call()
    assert "\n" not in str(caught.value)


def test_wtp_grid():
    assert wtp_grid(100_000, 5).tolist() == [0, 25_000, 50_000, 75_000, 100_000]
    assert len(wtp_grid(1.0)) == 101
    assert wtp_grid(10, np.int64(3)).tolist() == [0, 5, 10]
