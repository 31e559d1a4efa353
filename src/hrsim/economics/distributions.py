"""Parameter distributions for probabilistic sensitivity analysis (PSA).

A default parameter may carry a distribution next to its value and source::

    base_rate_per_year = { value = 0.0196, unit = "...", source = "...",
                           psa = { dist = "gamma", low = 0.012, high = 0.03 } }

``low`` and ``high`` are the source's 95% interval (``uniform``: hard bounds, for the range of
an ``R: placeholder, range a-b``). The distribution is centred on the parameter's value and
its spread comes from the interval, so a declaration states only what the source states:

- ``beta`` (probabilities, fractions, utilities) and ``gamma`` (costs, rates): mean = value,
  sd = (high - low) / 3.92, parameters by the method of moments;
- ``normal``: mean = value, sd = (high - low) / 3.92;
- ``lognormal`` (ratios, relative risks): **median** = value (meanlog = ln value) and
  sdlog = ln(high / low) / 3.92. A ratio's published interval is symmetric on the log scale
  around its point estimate, so the value, the interval and the distribution agree exactly;
  the mean is then value x exp(sdlog^2 / 2), a little above the value (about 3% for an
  interval of a factor of 2 either way). Setting the mean instead would shift the median,
  and the interval with it, below the published estimate;
- ``uniform``: low to high (mean (low + high) / 2, which need not be the value).

Samples are a Latin hypercube (``scipy.stats.qmc``) pushed through each distribution's
quantile function. Each parameter's column comes from its own stream, keyed by the seed and
the parameter's name, so a parameter's sampled values do not change when other parameters
are added, dropped or reordered (a subset of a PSA samples the same values for what is left).

This module reads declarations from tables of entries (``{key: {value, unit, source, psa}}``)
that its callers pass in: it sits on the floor below the scenario and knows no model.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from hrsim.errors import ScenarioError
from hrsim.messages import did_you_mean, kind_of, show

DISTRIBUTIONS = ("beta", "gamma", "lognormal", "normal", "uniform")
KEYS = ("dist", "low", "high")
#: Standard normal quantiles 2.5% to 97.5%: a 95% interval spans 3.92 standard deviations.
Z95_SPAN = 3.92
#: Keys a defaults entry may hold; ``psa`` is read here, ``price_year`` by the economics ledger.
ENTRY_KEYS = ("value", "unit", "source", "psa", "price_year")
# Latin hypercube points are kept this far inside (0, 1): a quantile of exactly 0 or 1 would
# be a gamma draw of 0 or a normal draw at infinity.
_EDGE = 1e-12


class DistributionError(ScenarioError):
    """A PSA distribution declaration is wrong (one line naming the parameter)."""


@dataclass(frozen=True)
class Distribution:
    """One parameter's distribution: the declaration and what follows from it."""

    name: str  # the dotted parameter, e.g. overdose.base_rate_per_year
    dist: str
    value: float
    low: float
    high: float
    where: str = ""  # where it was declared (a defaults file, a --distributions file)

    @property
    def sd(self) -> float:
        """The standard deviation the declaration implies (lognormal: of the log)."""
        if self.dist == "lognormal":
            return math.log(self.high / self.low) / Z95_SPAN
        if self.dist == "uniform":
            return (self.high - self.low) / math.sqrt(12.0)
        return (self.high - self.low) / Z95_SPAN

    @property
    def parameters(self) -> dict[str, float]:
        """The distribution's own parameters (beta: alpha, beta; gamma: shape, scale; ...)."""
        m, s = self.value, self.sd
        if self.dist == "beta":
            common = m * (1.0 - m) / s**2 - 1.0
            return {"alpha": m * common, "beta": (1.0 - m) * common}
        if self.dist == "gamma":
            return {"shape": (m / s) ** 2, "scale": s**2 / m}
        if self.dist == "lognormal":
            return {"meanlog": math.log(m), "sdlog": s}
        if self.dist == "normal":
            return {"mean": m, "sd": s}
        return {"low": self.low, "high": self.high}

    @property
    def mean(self) -> float:
        """The distribution's mean (the value, except lognormal and uniform)."""
        if self.dist == "lognormal":
            return self.value * math.exp(self.sd**2 / 2.0)
        if self.dist == "uniform":
            return (self.low + self.high) / 2.0
        return self.value

    def frozen(self) -> Any:
        """The ``scipy.stats`` frozen distribution."""
        from scipy import stats

        p = self.parameters
        if self.dist == "beta":
            return stats.beta(p["alpha"], p["beta"])
        if self.dist == "gamma":
            return stats.gamma(p["shape"], scale=p["scale"])
        if self.dist == "lognormal":
            return stats.lognorm(p["sdlog"], scale=math.exp(p["meanlog"]))
        if self.dist == "normal":
            return stats.norm(p["mean"], p["sd"])
        return stats.uniform(self.low, self.high - self.low)

    def ppf(self, u: Any) -> np.ndarray:
        """Quantiles at ``u`` (values in (0, 1))."""
        return np.asarray(self.frozen().ppf(np.clip(u, _EDGE, 1.0 - _EDGE)), dtype=np.float64)

    def describe(self) -> str:
        """``gamma(shape 10.4, scale 0.00189), 95% interval 0.012-0.03``, for plans and docs."""
        p = ", ".join(f"{k} {v:.4g}" for k, v in self.parameters.items())
        span = "range" if self.dist == "uniform" else "95% interval"
        return f"{self.dist}({p}), {span} {self.low:g}-{self.high:g}"

    def as_dict(self) -> dict[str, Any]:
        """Plain types, for JSON."""
        return {
            "parameter": self.name,
            "dist": self.dist,
            "value": self.value,
            "low": self.low,
            "high": self.high,
            "mean": self.mean,
            "parameters": self.parameters,
            "declared_in": self.where,
        }

    def centred_on(self, value: float) -> Distribution:
        """The same declaration around another value (a scenario's), checked again."""
        return check(replace(self, value=value))


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def parse(name: str, value: Any, spec: Any, where: str) -> Distribution:
    """Validate one declaration (``{dist, low, high}``) of parameter ``name`` with ``value``.

    Raises:
        DistributionError: one line naming the parameter and what is wrong.
    """
    at = f"{where}: {name}" if where else name
    if not isinstance(spec, Mapping):
        raise DistributionError(f"{at}: psa = {show(spec)}: expected {{ dist, low, high }}")
    for key in spec:
        if key not in KEYS:
            hint = did_you_mean(str(key), KEYS, always_list=True)
            raise DistributionError(f"{at}: unknown psa key '{key}'{hint}")
    for key in KEYS:
        if key not in spec:
            raise DistributionError(f"{at}: psa.{key} is missing (give dist, low and high)")
    dist = spec["dist"]
    if not isinstance(dist, str) or dist not in DISTRIBUTIONS:
        hint = did_you_mean(str(dist), DISTRIBUTIONS, label="valid", always_list=True)
        raise DistributionError(f"{at}: psa.dist = {show(dist)}: unknown distribution{hint}")
    for key in ("low", "high"):
        if not _number(spec[key]) or not math.isfinite(spec[key]):
            raise DistributionError(f"{at}: psa.{key} = {show(spec[key])} is not a number")
    if isinstance(value, bool) or not _number(value):
        raise DistributionError(
            f"{at}: a distribution needs a numeric parameter; its value {show(value)} is"
            f" {kind_of(value)}"
        )
    if isinstance(value, int):
        raise DistributionError(
            f"{at}: value {value} is a whole number (an integer parameter: counts, weeks);"
            " PSA samples real numbers, so it cannot carry a distribution"
        )
    return check(Distribution(name, dist, float(value), float(spec["low"]), float(spec["high"]),
                              where))  # fmt: skip


def check(d: Distribution) -> Distribution:
    """``d`` if its interval and value fit its distribution; a one-line error if not."""
    at = f"{d.where}: {d.name}" if d.where else d.name
    interval = f"low {d.low:g}, high {d.high:g}"
    if not math.isfinite(d.value):
        raise DistributionError(f"{at}: value {d.value} is not a finite number")
    if not d.low < d.high:
        raise DistributionError(f"{at}: psa {interval}: low must be below high")
    if d.dist == "uniform":
        if not d.low <= d.value <= d.high:
            raise DistributionError(
                f"{at}: value {d.value:g} is outside its uniform range {d.low:g}-{d.high:g}"
            )
        return d
    if not d.low < d.value < d.high:
        raise DistributionError(
            f"{at}: value {d.value:g} is not inside its interval {d.low:g}-{d.high:g}"
            " (low < value < high)"
        )
    if d.dist == "beta":
        if not 0.0 < d.value < 1.0 or d.low < 0.0 or d.high > 1.0:
            raise DistributionError(
                f"{at}: beta needs 0 < value < 1 and an interval within 0-1 (value"
                f" {d.value:g}, {interval}); use gamma or lognormal for a rate or ratio"
            )
        most = math.sqrt(d.value * (1.0 - d.value))
        if d.sd >= most:
            raise DistributionError(
                f"{at}: beta interval {d.low:g}-{d.high:g} is too wide for mean {d.value:g}:"
                f" sd (high - low)/3.92 = {d.sd:.4g} must be below sqrt(m(1-m)) = {most:.4g}"
            )
    if d.dist in ("gamma", "lognormal") and d.low <= 0.0:
        raise DistributionError(
            f"{at}: {d.dist} needs a positive value and interval ({interval}); use normal or"
            " uniform for a parameter that can be 0"
        )
    return d


def check_entry_keys(name: str, entry: Any, where: str) -> None:
    """A defaults entry holds only the known keys (value, unit, source, psa, price_year)."""
    if not isinstance(entry, Mapping):
        return
    for key in entry:
        if key not in ENTRY_KEYS:
            hint = did_you_mean(str(key), ENTRY_KEYS, always_list=True)
            raise DistributionError(f"{where}: {name}: unknown key '{key}'{hint}")


def declared(
    tables: Mapping[str, Mapping[str, Any]], prefix: str = "", where: str = ""
) -> dict[str, Distribution]:
    """Every ``psa`` declaration in defaults tables ``{section: {key: entry}}``, by dotted name.

    ``prefix`` goes before each name (``interventions.`` for the programme defaults).
    """
    found: dict[str, Distribution] = {}
    for section, entries in tables.items():
        for key, entry in entries.items():
            name = f"{prefix}{section}.{key}"
            check_entry_keys(name, entry, where)
            if isinstance(entry, Mapping) and "psa" in entry:
                found[name] = parse(name, entry.get("value"), entry["psa"], where)
    return found


def _column_seed(seed: int, name: str) -> np.random.Generator:
    """The stream of one parameter's column: (seed, a fixed tag, the name's CRC-32)."""
    tag = zlib.crc32(b"hrsim.psa.parameters")
    words = [int(seed), tag, zlib.crc32(name.encode())]
    return np.random.default_rng(np.random.SeedSequence(words))


def latin_hypercube_column(n: int, seed: int, name: str) -> np.ndarray:
    """``n`` points in (0, 1), one in each of ``n`` equal strata, from the parameter's stream."""
    from scipy.stats import qmc

    points = qmc.LatinHypercube(d=1, rng=_column_seed(seed, name)).random(n)
    return np.asarray(points[:, 0], dtype=np.float64)


def sample_parameters(
    declarations: Mapping[str, Distribution] | Iterable[Distribution], n: int, seed: int
) -> pd.DataFrame:
    """``n`` parameter sets: a Latin hypercube through each distribution's quantiles.

    One row per sample (index ``sample``, 0 to n - 1), one column per parameter (in the order
    given). Each column is a Latin hypercube sample of its own stream (seed, name), so the
    values of one parameter do not depend on which others are sampled.
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise DistributionError(f"samples = {show(n)}: need a whole number of at least 1")
    items = list(declarations.values()) if isinstance(declarations, Mapping) else list(declarations)
    columns = {d.name: d.ppf(latin_hypercube_column(n, seed, d.name)) for d in items}
    frame = pd.DataFrame(columns, index=pd.RangeIndex(n, name="sample"))
    return frame if items else pd.DataFrame(index=pd.RangeIndex(n, name="sample"))
