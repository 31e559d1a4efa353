"""The statistical estimators hrsim reports with: survival, proportions, rates, pairs.

Kaplan-Meier with Greenwood errors, binomial and Clopper-Pearson intervals, Poisson rates,
t intervals over replicates, and the paired comparison of two arms on common random numbers.
Used by validation, comparisons, reports and the dashboard. SciPy (a third of a second to
import) is loaded on first use, so a worker that only runs models never pays for it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import numpy as np

Z95 = 1.96


def _scipy_stats() -> ModuleType:
    from scipy import stats

    return stats


def kaplan_meier_curve(
    durations: np.ndarray, events: np.ndarray, until: int
) -> tuple[np.ndarray, np.ndarray]:
    """Survival at weeks 0..until and its Greenwood standard error (vectorised)."""
    d = np.asarray(durations, dtype=np.int64)
    e = np.asarray(events, dtype=bool)
    clipped = np.clip(d, 0, until + 1)
    counts = np.bincount(clipped, minlength=until + 2)
    at_risk = np.cumsum(counts[::-1])[::-1][: until + 1].astype(np.float64)  # d >= t
    ev = d[e & (d >= 1) & (d <= until)]
    deaths = np.bincount(ev, minlength=until + 1).astype(np.float64)[: until + 1]
    deaths[0] = 0.0
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = np.where(at_risk > 0, 1.0 - deaths / at_risk, 1.0)
        green = np.where(at_risk > deaths, deaths / (at_risk * (at_risk - deaths)), 0.0)
    surv = np.cumprod(factor)
    se = surv * np.sqrt(np.cumsum(green))
    return surv, se


def kaplan_meier(durations: np.ndarray, events: np.ndarray, at: int) -> tuple[float, float]:
    """Survival at ``at`` (same units as durations) and its Greenwood standard error."""
    surv, se = kaplan_meier_curve(durations, events, at)
    return float(surv[at]), float(se[at])


def normal_interval(value: float, se: float) -> tuple[float, float]:
    """A normal 95% interval: value plus or minus 1.96 standard errors."""
    return (value - Z95 * se, value + Z95 * se)


def proportion_interval(value: float, se: float) -> tuple[float, float]:
    """A normal 95% interval of a proportion, kept within 0 to 1 (its possible values).

    The normal approximation leaves 0-1 when there are few events or few non-events; the
    truncated part holds no possible value. Such an interval is too wide to judge a target
    by (see ``hrsim.analysis.validation.check_enough_data``), which is what it then shows.
    """
    low, high = normal_interval(value, se)
    if not (np.isfinite(low) and np.isfinite(high)):
        return low, high  # nothing measured: stays NaN, not a clipped 0 or 1
    return max(low, 0.0), min(high, 1.0)


def binomial_se(p: float, n: int) -> float:
    """Standard error of a proportion ``p`` out of ``n``."""
    return float(np.sqrt(p * (1 - p) / n))


def exact_binomial(k: int, n: int) -> tuple[float, float]:
    """Clopper-Pearson 95% interval for k events out of n."""
    low = 0.0 if k == 0 else float(_scipy_stats().beta.ppf(0.025, k, n - k + 1))
    high = 1.0 if k == n else float(_scipy_stats().beta.ppf(0.975, k + 1, n - k))
    return low, high


def log_se_from_ci(low: float, high: float) -> float:
    """The standard error on the log scale implied by a published 95% interval."""
    return float((np.log(high) - np.log(low)) / (2 * Z95))


def poisson_rate(events: float, exposure: float, per: float) -> tuple[float, float, float]:
    """A rate per ``per`` units of exposure and its 95% interval (log scale)."""
    if exposure <= 0 or events <= 0:
        return float("nan"), float("nan"), float("nan")
    rate = per * events / exposure
    spread = np.exp(Z95 / np.sqrt(events))
    return rate, rate / spread, rate * spread


def t_interval(values: np.ndarray) -> tuple[float, float, float]:
    """Mean over replicates and its 95% t interval (the binomial-free spread of a level)."""
    values = values[np.isfinite(values)]
    if values.size == 0:  # e.g. a share with nobody to count in any replicate
        return float("nan"), float("nan"), float("nan")
    mean = float(values.mean())
    if values.size < 2:
        return mean, float("nan"), float("nan")
    half = float(
        _scipy_stats().t.ppf(0.975, values.size - 1) * values.std(ddof=1) / np.sqrt(values.size)
    )
    return mean, mean - half, mean + half


@dataclass
class Pairing:
    """How much pairing the arms on common random numbers buys for one outcome.

    ``correlation``: Pearson's r between the arms over the replicates. ``paired_sd``: the SD
    of the replicate-by-replicate difference. ``unpaired_sd``: the SD the difference would
    have if the arms were drawn independently, ``sqrt(var(baseline) + var(arm))``.
    ``variance_reduction``: ``1 - paired_sd**2 / unpaired_sd**2`` (``2 cov / (var_b +
    var_a)``): 0 when the pairing buys nothing, negative when it hurts. None where a
    quantity is undefined (fewer than two replicates, or an outcome that never varies).
    """

    correlation: float | None = None
    paired_sd: float | None = None
    unpaired_sd: float | None = None
    variance_reduction: float | None = None

    @property
    def sd_ratio(self) -> float | None:
        """Paired over unpaired SD of the difference (below 1: the pairing helps)."""
        if self.paired_sd is None or not self.unpaired_sd:
            return None
        return self.paired_sd / self.unpaired_sd

    def as_dict(self) -> dict[str, Any]:
        """Plain types, for JSON."""
        return {
            "correlation": self.correlation,
            "paired_sd": self.paired_sd,
            "unpaired_sd": self.unpaired_sd,
            "sd_ratio": self.sd_ratio,
            "variance_reduction": self.variance_reduction,
        }


def pairing(baseline: np.ndarray, arm: np.ndarray) -> Pairing:
    """Correlation between paired arms and the paired against the unpaired SD of the difference."""
    baseline = np.asarray(baseline, dtype=np.float64)
    arm = np.asarray(arm, dtype=np.float64)
    if baseline.size < 2:
        return Pairing()
    var_b, var_a = float(baseline.var(ddof=1)), float(arm.var(ddof=1))
    paired_var = float((arm - baseline).var(ddof=1))
    unpaired_var = var_b + var_a
    correlation = None
    if var_b > 0 and var_a > 0:
        cov = float(np.cov(baseline, arm, ddof=1)[0, 1])
        correlation = max(-1.0, min(1.0, cov / math.sqrt(var_b * var_a)))
    reduction = 1.0 - paired_var / unpaired_var if unpaired_var > 0 else None
    return Pairing(correlation, math.sqrt(paired_var), math.sqrt(unpaired_var), reduction)


@dataclass
class OutcomeComparison:
    """One outcome of one arm against the baseline, over paired replicates."""

    baseline_mean: float
    arm_mean: float
    difference_mean: float
    difference_ci95: tuple[float, float]
    relative_risk: float | None
    relative_risk_ci95: tuple[float, float] | None
    pairing: Pairing = field(default_factory=Pairing)

    def as_dict(self) -> dict[str, Any]:
        """Plain types, for JSON."""
        return {
            "baseline_mean": self.baseline_mean,
            "arm_mean": self.arm_mean,
            "difference_mean": self.difference_mean,
            "difference_ci95": list(self.difference_ci95),
            "relative_risk": self.relative_risk,
            "relative_risk_ci95": list(self.relative_risk_ci95)
            if self.relative_risk_ci95
            else None,
            "pairing": self.pairing.as_dict(),
        }


def paired(baseline: np.ndarray, arm: np.ndarray) -> OutcomeComparison:
    """Compare one outcome over paired replicates.

    Returns the means, the paired difference with a t interval, the ratio of means with a
    delta-method interval on the log scale (using the pairs' covariance), and what the
    pairing bought (``Pairing``).
    """
    stats = _scipy_stats()
    r = baseline.size
    diff = arm - baseline
    mean_d = float(diff.mean())
    if r > 1:
        half = float(stats.t.ppf(0.975, r - 1) * diff.std(ddof=1) / np.sqrt(r))
    else:
        half = float("nan")
    b, a = float(baseline.mean()), float(arm.mean())
    rr: float | None = None
    rr_ci: tuple[float, float] | None = None
    if b > 0 and a > 0:
        rr = a / b
        if r > 1:
            cov = np.cov(arm, baseline, ddof=1)
            var_log = (cov[0, 0] / a**2 + cov[1, 1] / b**2 - 2 * cov[0, 1] / (a * b)) / r
            spread = float(stats.t.ppf(0.975, r - 1) * np.sqrt(max(var_log, 0.0)))
            rr_ci = (rr * float(np.exp(-spread)), rr * float(np.exp(spread)))
    interval = (mean_d - half, mean_d + half)
    return OutcomeComparison(b, a, mean_d, interval, rr, rr_ci, pairing(baseline, arm))


@dataclass
class RatioInterval:
    """A ratio of two paired mean differences and its Fieller 95% interval.

    ``value`` is ``mean(numerator) / mean(denominator)`` (None when the denominator's mean is
    0). ``ci95`` is the Fieller interval when it is a finite interval; ``bounded`` is False
    when the denominator's mean is not distinguishable from 0 at the 5% level, so the set of
    ratios the data do not reject is unbounded (two rays or the whole line) and no interval
    can be given.
    """

    value: float | None
    ci95: tuple[float, float] | None
    bounded: bool

    def as_dict(self) -> dict[str, Any]:
        """Plain types, for JSON."""
        return {
            "value": self.value,
            "ci95": list(self.ci95) if self.ci95 is not None else None,
            "bounded": self.bounded,
        }


def fieller(numerator: np.ndarray, denominator: np.ndarray) -> RatioInterval:
    """The ratio of means of paired replicates with Fieller's 95% interval (t quantile).

    Fieller's theorem: the interval is every ratio ``q`` for which ``mean(numerator) - q x
    mean(denominator)`` is not significantly different from 0 (a paired t test with the
    replicates' variances and covariance). It is the set where ``a q^2 - 2 b q + c <= 0``,
    with ``a = D^2 - t^2 V_d``, ``b = N D - t^2 V_nd``, ``c = N^2 - t^2 V_n`` (``N, D`` the
    means, ``V`` the variances and covariance of the means): a finite interval when
    ``a > 0``, that is when the denominator's own t interval excludes 0 (Willan & O'Brien
    1996, Health Economics).
    """
    num = np.asarray(numerator, dtype=np.float64)
    den = np.asarray(denominator, dtype=np.float64)
    n_mean, d_mean = float(num.mean()), float(den.mean())
    value = n_mean / d_mean if d_mean != 0 else None
    r = num.size
    if r < 2 or value is None:
        return RatioInterval(value, None, False)
    t2 = float(_scipy_stats().t.ppf(0.975, r - 1)) ** 2
    cov = np.cov(num, den, ddof=1) / r  # variances and covariance of the two means
    a = d_mean**2 - t2 * cov[1, 1]
    b = n_mean * d_mean - t2 * cov[0, 1]
    c = n_mean**2 - t2 * cov[0, 0]
    if a <= 0:
        return RatioInterval(value, None, False)
    root = float(np.sqrt(max(b * b - a * c, 0.0)))  # >= 0 when a > 0 (the point is inside)
    return RatioInterval(value, ((b - root) / a, (b + root) / a), True)
