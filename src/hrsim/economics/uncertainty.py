"""Decision uncertainty from a probabilistic sensitivity analysis (PSA).

Every function takes ``costs`` and ``effects`` shaped ``(samples, strategies)``: row ``s`` is
PSA parameter sample ``s``, column ``k`` strategy ``k``, all strategies of a row run on the
same parameters (and, in hrsim, the same random numbers). The conventions follow dampack
(``R/ceac.R``, ``R/evpi.R``, ``R/exp_loss.R``) and Briggs, Claxton & Sculpher (2006),
*Decision Modelling for Health Economic Evaluation* (docs/economics.md says more):

- **CEAC**: at each willingness to pay (wtp), the share of samples in which a strategy has the
  highest net monetary benefit (NMB). Samples where several strategies tie share that sample
  equally, so the shares add up to 1 at every wtp (dampack breaks ties at random).
- **CEAF** (Fenwick, Claxton & Sculpher 2001): at each wtp, the strategy with the highest
  *expected* NMB, the one to choose; flagged ``optimal``. It is not always the strategy most
  likely to be cost-effective (a skewed NMB can make the two differ).
- **EVPI**: ``E[max_k NMB_k] - max_k E[NMB_k]``, the expected opportunity loss of choosing
  now, computed as the smallest expected loss so it is never negative by rounding.
  It is in the units of the inputs: costs and effects per person give EVPI per person;
  hrsim's PSA outcomes are totals per run of a cohort, which give EVPI per run (per cohort);
  divide the inputs by the cohort's size for per person, and scale by ``population`` for the
  population whose decision it is.
- **Variance components**: how much of an outcome's spread across runs is parameter
  uncertainty and how much Monte Carlo (seed) noise, from replicate runs of each sample.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Sequence

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from hrsim.economics.decision import (
    DecisionInputError,
    require_finite,
    strategy_names,
    wtp_vector,
)
from hrsim.messages import show


def psa_arrays(costs: ArrayLike, effects: ArrayLike, where: str) -> tuple[np.ndarray, np.ndarray]:
    """Costs and effects as float arrays shaped (samples, strategies), checked."""
    cost = np.asarray(costs, dtype=float)
    effect = np.asarray(effects, dtype=float)
    if cost.ndim != 2:
        raise DecisionInputError(
            f"{where}: costs have shape {cost.shape}; they must be (samples, strategies)"
        )
    if cost.shape != effect.shape:
        raise DecisionInputError(
            f"{where}: costs have shape {cost.shape} but effects {effect.shape}; they must match"
        )
    if cost.shape[0] == 0 or cost.shape[1] == 0:
        raise DecisionInputError(
            f"{where}: costs have shape {cost.shape}; give at least one sample and one strategy"
        )
    require_finite(cost, f"{where}: costs")
    require_finite(effect, f"{where}: effects")
    return cost, effect


def wtp_grid(max_wtp: float, points: int = 101) -> np.ndarray:
    """``points`` evenly spaced willingness-to-pay values from 0 to ``max_wtp``, both included."""
    if not isinstance(max_wtp, int | float) or not math.isfinite(max_wtp) or max_wtp <= 0:
        raise DecisionInputError(f"wtp_grid: max_wtp = {show(max_wtp)}; it must be above 0")
    try:
        count = operator.index(points)
    except TypeError:
        count = 0
    if isinstance(points, bool) or count < 2:
        raise DecisionInputError(f"wtp_grid: points = {show(points)}; it must be 2 or more")
    return np.linspace(0.0, float(max_wtp), count)


def _nmb(cost: np.ndarray, effect: np.ndarray, wtp: float) -> np.ndarray:
    """Net monetary benefit at one wtp, (samples, strategies)."""
    return effect * wtp - cost


def ceac(
    costs: ArrayLike, effects: ArrayLike, wtp: float | ArrayLike, names: Sequence[str]
) -> pd.DataFrame:
    """The cost-effectiveness acceptability curves and frontier.

    Args:
        costs: (samples, strategies).
        effects: (samples, strategies).
        wtp: willingness-to-pay values per unit of effect (0 or more), in the order wanted.
        names: one unique name per strategy (column).

    Returns:
        A long frame, one row per (wtp, strategy), wtp in the order given and strategies in
        column order: ``wtp``, ``strategy``, ``probability`` (the share of samples in which the
        strategy has the highest NMB; tied samples are shared equally) and ``optimal`` (True
        for the strategy with the highest expected NMB at that wtp, the acceptability frontier;
        an exact tie goes to the first column).
    """
    where = "ceac"
    cost, effect = psa_arrays(costs, effects, where)
    labels = strategy_names(names, cost.shape[1], where)
    grid = wtp_vector(wtp, where)
    k = len(labels)
    probability = np.empty((grid.size, k))
    optimal = np.zeros((grid.size, k), dtype=bool)
    for w, value in enumerate(grid):
        nmb = _nmb(cost, effect, float(value))
        best = nmb == nmb.max(axis=1, keepdims=True)
        probability[w] = (best / best.sum(axis=1, keepdims=True)).mean(axis=0)
        optimal[w, int(np.argmax(nmb.mean(axis=0)))] = True
    return pd.DataFrame(
        {
            "wtp": np.repeat(grid, k),
            "strategy": labels * grid.size,
            "probability": probability.reshape(-1),
            "optimal": optimal.reshape(-1),
        }
    )


def expected_loss(
    costs: ArrayLike, effects: ArrayLike, wtp: float | ArrayLike, names: Sequence[str]
) -> pd.DataFrame:
    """Expected opportunity loss of each strategy (dampack's ``calc_exp_loss``).

    The loss of a strategy in a sample is the best NMB in that sample minus its NMB; its
    expected loss is the mean over samples. The strategy with the least expected loss is the
    one with the highest expected NMB (flagged ``optimal``, the CEAF), and that least loss is
    the EVPI.

    Returns:
        A long frame: ``wtp``, ``strategy``, ``expected_loss``, ``optimal``; rows as in
        :func:`ceac`.
    """
    where = "expected_loss"
    cost, effect = psa_arrays(costs, effects, where)
    labels = strategy_names(names, cost.shape[1], where)
    grid = wtp_vector(wtp, where)
    loss = np.stack([_loss(cost, effect, float(v)) for v in grid])
    optimal = np.zeros_like(loss, dtype=bool)
    optimal[np.arange(grid.size), np.argmin(loss, axis=1)] = True
    return pd.DataFrame(
        {
            "wtp": np.repeat(grid, len(labels)),
            "strategy": labels * grid.size,
            "expected_loss": loss.reshape(-1),
            "optimal": optimal.reshape(-1),
        }
    )


def _loss(cost: np.ndarray, effect: np.ndarray, wtp: float) -> np.ndarray:
    """Each strategy's expected opportunity loss at one wtp (never negative)."""
    nmb = _nmb(cost, effect, wtp)
    return (nmb.max(axis=1, keepdims=True) - nmb).mean(axis=0)


def evpi(
    costs: ArrayLike, effects: ArrayLike, wtp: float | ArrayLike, *, population: float = 1.0
) -> pd.DataFrame:
    """The expected value of perfect information at each willingness to pay.

    ``EVPI = E[max_k NMB_k] - max_k E[NMB_k]``, the mean over samples of the best NMB minus
    the best mean NMB, times ``population``. It is in the units of the inputs (see the module
    docstring): per person if costs and effects are per person, per run of the cohort if they
    are per-run totals, as hrsim's PSA outcomes are. ``population`` (default 1, as dampack's
    ``pop``) scales it to everyone the decision concerns. One strategy: EVPI is 0.

    Returns:
        A frame with columns ``wtp`` (in the order given) and ``evpi``.
    """
    where = "evpi"
    cost, effect = psa_arrays(costs, effects, where)
    grid = wtp_vector(wtp, where)
    if not isinstance(population, int | float) or not math.isfinite(population) or population < 0:
        raise DecisionInputError(f"{where}: population = {show(population)}; it must be 0 or more")
    values = [float(_loss(cost, effect, float(v)).min()) * population for v in grid]
    return pd.DataFrame({"wtp": grid, "evpi": values})


def variance_components(
    values: ArrayLike, *, monte_carlo_variance: float | None = None
) -> dict[str, float]:
    """Parameter vs Monte Carlo variance of an outcome, by one-way random-effects ANOVA.

    The model is ``y[s, r] = mu + a[s] + e[s, r]``: ``a[s]`` is the effect of PSA parameter
    sample ``s`` (variance ``parameter``) and ``e[s, r]`` the seed noise of replicate ``r``
    (variance ``monte_carlo``). With ``n`` samples of ``r`` replicates, the within-sample mean
    square ``MSW`` estimates ``monte_carlo`` and the between-sample mean square ``MSB``
    estimates ``r * parameter + monte_carlo``, so ``parameter = (MSB - MSW) / r``, floored at
    0 (the usual ANOVA estimator; a negative value means parameter variance too small to see
    through the noise). ``total = parameter + monte_carlo`` is the variance of one run's
    outcome, and ``parameter_share = parameter / total`` (NaN when ``total`` is 0). The
    variance of a sample's mean over its replicates is ``parameter + monte_carlo / r``.

    With one replicate per sample the two parts cannot be told apart from the data: ``total``
    is the sample variance and ``parameter``, ``monte_carlo`` and ``parameter_share`` are NaN,
    unless the caller measured the seed-only noise separately (e.g. one parameter set run on
    many seeds) and passes it as ``monte_carlo_variance``; then ``monte_carlo`` is that value
    capped at ``total`` and ``parameter = total - monte_carlo``. With more than one replicate
    the data give the Monte Carlo part, and passing ``monte_carlo_variance`` is an error (two
    answers to one question).

    Args:
        values: shaped (samples, replicates), complete and finite; a 1-D array is one
            replicate per sample.
        monte_carlo_variance: the seed-only variance of one run, measured elsewhere.

    Returns:
        ``{"total", "parameter", "monte_carlo", "parameter_share"}``.
    """
    where = "variance_components"
    try:
        y = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise DecisionInputError(f"{where}: values = {show(values)} are not numbers") from None
    if y.ndim == 1:
        y = y[:, np.newaxis]
    if y.ndim != 2:
        raise DecisionInputError(
            f"{where}: values have shape {y.shape}; they must be (samples, replicates)"
        )
    n, r = y.shape
    if n < 2 or r < 1:
        raise DecisionInputError(
            f"{where}: values have shape {y.shape}; give at least 2 samples of 1 replicate or more"
        )
    require_finite(y, f"{where}: values")
    nan = math.nan
    sample_means = y.mean(axis=1)
    msb = r * float(((sample_means - sample_means.mean()) ** 2).sum()) / (n - 1)
    if r == 1:
        total = msb  # the sample variance of the values
        if monte_carlo_variance is None:
            return {"total": total, "parameter": nan, "monte_carlo": nan, "parameter_share": nan}
        mc = float(monte_carlo_variance)
        if not math.isfinite(mc) or mc < 0:
            raise DecisionInputError(
                f"{where}: monte_carlo_variance = {show(monte_carlo_variance)}; it must be a "
                "variance, 0 or more"
            )
        parameter = max(total - mc, 0.0)
        monte_carlo = total - parameter  # = mc, or all of total when the noise exceeds it
    else:
        if monte_carlo_variance is not None:
            raise DecisionInputError(
                f"{where}: monte_carlo_variance = {show(monte_carlo_variance)} was given but the "
                f"values have {r} replicates per sample, which measure it; leave it out"
            )
        msw = float(((y - sample_means[:, np.newaxis]) ** 2).sum()) / (n * (r - 1))
        monte_carlo = msw
        parameter = max((msb - msw) / r, 0.0)
        total = parameter + monte_carlo
    share = parameter / total if total > 0 else nan
    return {
        "total": total,
        "parameter": parameter,
        "monte_carlo": monte_carlo,
        "parameter_share": share,
    }
