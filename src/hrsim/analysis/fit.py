"""Calibrating hrsim to a place (``hrsim fit PLACE``): a posterior, and a reviewer's checks.

The steps:

1. **The simulator.** A candidate parameter set (the place's ``[fit] parameters``, the
   population among them) runs the place's scenario from ``first_year`` to the last fitted
   year, with a seed from the candidate's own stream; each series is summed (or averaged)
   by calendar year and scaled by ``population / simulated_people``
   (:class:`PlaceSimulator`).
2. **ABC-SMC** (:mod:`hrsim.analysis.abc_smc`, pyabc underneath): priors are the defaults'
   PSA distributions (or the place file's ``[fit.priors]``), the distance standardises each
   data point by its stated uncertainty, the thresholds fall generation by generation.
   Each particle is one run: the run-to-run noise of ``simulated_people`` people is part of
   what the tolerance must absorb, so more simulated people give a sharper posterior.
3. **Checks** (:func:`check_posterior`):
   - *posterior predictive*: ``draws`` particles resampled by weight, each run over every
     data year (fitted and held out) on a fresh seed, with the series' observation noise
     added; the 50% and 95% intervals per data point, and the share of data points inside
     them, for the fitted years and the held-out years separately;
   - *prior against posterior*: for each parameter the posterior's median and 95%
     interval next to the prior's, and the *contraction* 1 - var(posterior) / var(prior);
   - *identifiability warnings*: a parameter the data barely inform (contraction below
     ``WEAK_CONTRACTION``), and pairs the data inform only together (absolute posterior
     correlation above ``STRONG_CORRELATION``: their product or ratio is what the data fix).

The posterior feeds the decision: ``hrsim psa ... --posterior FIT`` samples the fitted
parameters from it (:func:`hrsim.analysis.posterior.posterior_samples`), and the place's
scenario at the posterior median (``scenario.toml``) runs with ``hrsim run``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

import hrsim.places as places_module
from hrsim.analysis.calibration import current_value
from hrsim.analysis.posterior import (
    candidate_seed,
    effective_sample_size,
    fingerprint,
    posterior_samples,
    resample,
    weighted_quantiles,
)
from hrsim.batch.executors import execute
from hrsim.economics.distributions import Distribution
from hrsim.errors import ScenarioError
from hrsim.places import POPULATION, Place, Series, yearly
from hrsim.runner import run_model
from hrsim.scenario import Scenario

if TYPE_CHECKING:  # pyabc is needed to fit, not to use a fit (hrsim.analysis.posterior)
    from hrsim.analysis.abc_smc import AbcSettings
    from hrsim.analysis.posterior import AbcResult

#: A contraction below this: the data barely inform the parameter.
WEAK_CONTRACTION = 0.2
#: An absolute posterior correlation above this: the data inform the pair only together.
STRONG_CORRELATION = 0.7
#: A bounded prior's 95% posterior interval within this share of its range from a bound.
NEAR_BOUND = 0.02
#: Posterior predictive runs by default.
PREDICTIVE_DRAWS = 40
# A value the distance cannot accept (a candidate the scenario rules refuse).
_REFUSED = 1e30


@dataclass
class PlaceSimulator:
    """One candidate's run: the place's scenario with the candidate's values, scaled."""

    scenario: Scenario
    series: tuple[Series, ...]
    first_year: int
    simulated_people: int
    population: float  # the place's estimate, when the population is not fitted
    integers: tuple[str, ...] = ()

    def overrides(self, params: dict[str, float]) -> dict[str, Any]:
        """The scenario settings of a candidate (whole-number parameters rounded)."""
        out: dict[str, Any] = {}
        for name, value in params.items():
            if name == POPULATION:
                continue
            out[name] = int(round(value)) if name in self.integers else float(value)
        return out

    def __call__(self, params: dict[str, float]) -> dict[str, float]:
        """Simulated data for ``params``; the seed comes from numpy's (seeded) global state."""
        seed = int(np.random.randint(0, 2**31 - 1))  # noqa: NPY002 (seeded by the sampler)
        return self.simulate(dict(params), seed)

    def simulate(self, params: dict[str, float], seed: int) -> dict[str, float]:
        """Simulated data for ``params`` on ``seed``."""
        keys = [k for s in self.series for k in s.keys()]
        try:
            scenario = self.scenario.with_overrides({**self.overrides(params), "run.seed": seed})
        except ScenarioError:  # a rule across fields refuses the candidate: it cannot fit
            return dict.fromkeys(keys, _REFUSED)
        frame = run_model(scenario).timeseries.to_frame()
        population = float(params.get(POPULATION, self.population))
        return yearly(frame, self.series, self.first_year, population / self.simulated_people)


def simulator(place: Place, until: int) -> PlaceSimulator:
    """The simulator of ``place`` for its data years up to ``until``."""
    series = tuple(
        Series(
            s.name,
            s.quantity,
            tuple(y for y in s.years if y <= until),
            tuple(v for y, v in zip(s.years, s.values, strict=True) if y <= until),
            tuple(sd for y, sd in zip(s.years, s.sds, strict=True) if y <= until),
            s.definition,
            s.source,
            s.noise,
        )
        for s in place.series
        if any(y <= until for y in s.years)
    )
    integers = tuple(
        name
        for name in place.parameters
        if name != POPULATION and isinstance(current_value(place.scenario, name), int)
    )
    years = place.years_simulated(until)
    return PlaceSimulator(
        place.scenario.with_overrides({"run.years": float(years)}),
        series,
        place.first_year,
        place.simulated_people,
        place.population.value,
        integers,
    )


def fit_fingerprint(place: Place, settings: AbcSettings) -> str:
    """What defines a fit: the data, priors, scenario and settings (not the workers)."""
    return fingerprint(
        {
            "data": place.data().to_dict("list"),
            "priors": {k: v.as_dict() for k, v in place.priors.items()},
            "scenario": place.scenario.model_dump(mode="json"),
            "until": place.fit_until,
            "settings": settings.__dict__,
        }
    )


def fit_place(
    place: Place,
    settings: AbcSettings,
    folder: Path,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: Callable[[int, int, int], None] | None = None,
) -> AbcResult:
    """Fit ``place`` by ABC-SMC into ``folder`` (continuing the fit already there, if any)."""
    from hrsim.analysis.abc_smc import run_abc

    sim = simulator(place, place.fit_until)
    observed = {k: v for s in sim.series for k, v in zip(s.keys(), s.values, strict=True)}
    sds = {k: sd for s in sim.series for k, sd in zip(s.keys(), s.sds, strict=True)}
    tag = fit_fingerprint(place, settings)
    return run_abc(
        sim,
        place.priors,
        observed,
        sds,
        settings,
        folder,
        tag=tag,
        workers=workers,
        scheduler=scheduler,
        progress=progress,
    )


# ---------------------------------------------------------------------------------------------
# Drawing from the posterior


def with_place(folder: str | Path, scenarios: Sequence[Scenario]) -> list[Scenario]:
    """Each scenario with the place's inputs (its ``[place.settings]``, e.g. its drug supply)."""
    settings = place_settings(folder)
    try:
        return [s.with_overrides(settings) if settings else s for s in scenarios]
    except ScenarioError as exc:
        raise ScenarioError(f"--posterior {folder}: the place's settings: {exc}") from None


def resolve_fit(posterior: str | Path) -> Path:
    """A fit folder: the path given, or the fit shipped with a place of that name."""
    path = Path(posterior)
    if path.exists():
        return path
    shipped = Path(places_module.__file__).parent / f"{posterior}-fit"
    if path.name == str(posterior) and shipped.is_dir():
        return shipped
    fits = sorted(p.name.removesuffix("-fit") for p in shipped.parent.glob("*-fit"))
    raise ScenarioError(
        f"--posterior {posterior}: no such fit folder; fits shipped with hrsim: "
        f"{', '.join(fits) or 'none'}"
    )


def place_settings(folder: str | Path) -> dict[str, Any]:
    """The ``[place.settings]`` of the place a fit folder was fitted to (the arms' inputs)."""
    import json

    from hrsim.analysis.fit_store import SETTINGS_FILE

    marker = resolve_fit(folder) / SETTINGS_FILE
    if not marker.is_file():
        raise ScenarioError(f"--posterior {folder}: not an hrsim fit folder (no {SETTINGS_FILE})")
    try:
        record = json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ScenarioError(f"--posterior {folder}: {SETTINGS_FILE} is unreadable: {exc}") from None
    settings = record.get("place_settings")
    return dict(settings) if isinstance(settings, dict) else {}


def posterior_draws(
    folder: str | Path,
    scenarios: Sequence[Scenario],
    labels: Sequence[str],
    samples: int,
    seed: int,
) -> tuple[pd.DataFrame, list[float] | None]:
    """``samples`` joint draws of a fit's scenario parameters, and the place's scale per draw.

    The scale (people in the place per simulated person: the drawn population over the arms'
    ``run.people``) is None when the fit did not fit the population. Every fitted parameter
    must be a parameter of every arm, with one value in all of them (one line if not). The
    arms should carry the place's inputs (:func:`with_place`).
    """
    from hrsim.analysis.calibration import current_value
    from hrsim.messages import show

    draws = posterior_samples(resolve_fit(folder), samples, seed)
    scale = None
    if POPULATION in draws.columns:
        people = {s.run.people for s in scenarios}
        if len(people) > 1:
            raise ScenarioError(
                f"--posterior {folder}: the arms simulate different numbers of people"
            )
        simulated = people.pop()
        scale = [float(v) / simulated for v in draws.pop(POPULATION)]
    for name in draws.columns:
        values = [current_value(s, name) for s in scenarios]
        if any(v is None for v in values):
            raise ScenarioError(f"--posterior {folder}: '{name}' is not a parameter of every arm")
        if any(v != values[0] for v in values[1:]):
            shown = ", ".join(f"{n} {show(v)}" for n, v in zip(labels, values, strict=True))
            raise ScenarioError(
                f"--posterior {folder}: '{name}' differs between arms ({shown}); a fitted "
                "parameter must be the same in every arm"
            )
    return draws, scale


def _predictive_task(task: tuple[PlaceSimulator, dict[str, float], int]) -> dict[str, float]:
    sim, params, seed = task
    return sim.simulate(params, seed)


def posterior_predictive(
    place: Place,
    posterior: pd.DataFrame,
    *,
    draws: int = PREDICTIVE_DRAWS,
    seed: int = 1,
    workers: int | None = None,
    scheduler: str | None = None,
) -> pd.DataFrame:
    """Simulated data for ``draws`` posterior draws over every data year, noise added.

    One row per (draw, series, year): ``model`` (the run's value) and ``observed`` (the
    value with the series' observation noise added, what a new report would show).
    """
    sim = simulator(place, place.last_year)
    drawn = resample(posterior, draws, seed)
    names = [c for c in drawn.columns if c != "particle"]
    tasks = [
        (sim, {n: float(drawn.at[i, n]) for n in names}, candidate_seed(seed, 10_000, i))
        for i in range(draws)
    ]
    results: list[dict[str, float]] = [{} for _ in tasks]
    keys = [f"hrsim-fit-predictive-{seed}-{i}" for i in range(draws)]
    for i, values in execute(
        _predictive_task, tasks, workers=workers, scheduler=scheduler, keys=keys
    ):
        results[i] = values
    rows = [
        {"draw": i, "series": s.name, "year": y, "model": values[k]}
        for i, values in enumerate(results)
        for s in place.series
        for y, k in zip(s.years, s.keys(), strict=True)
    ]
    frame = pd.DataFrame(rows)
    noise = np.random.default_rng(np.random.SeedSequence([int(seed), 0x0B5]))
    frame["observed"] = _with_noise(frame, place, noise)
    return frame


def _with_noise(frame: pd.DataFrame, place: Place, rng: np.random.Generator) -> np.ndarray:
    """Each model value with its series' observation noise (truncated at zero)."""
    out = np.empty(len(frame))
    for s in place.series:
        rows = (frame["series"] == s.name).to_numpy()
        model = frame.loc[rows, "model"].to_numpy(dtype=float)
        out[rows] = np.maximum(model + rng.standard_normal(model.size) * s.sd_at(model), 0.0)
    return out


# ---------------------------------------------------------------------------------------------
# Checks


@dataclass
class ParameterCheck:
    """A parameter's prior and posterior side by side."""

    name: str
    prior: Distribution
    median: float
    low: float  # 2.5%
    high: float  # 97.5%
    contraction: float

    def as_dict(self) -> dict[str, Any]:
        """Plain types, for JSON."""
        return {
            "parameter": self.name,
            "posterior_median": self.median,
            "posterior_95": [self.low, self.high],
            "prior": self.prior.describe(),
            "prior_95": [float(x) for x in self.prior.frozen().ppf([0.025, 0.975])],
            "contraction": self.contraction,
        }


@dataclass
class PosteriorChecks:
    """What a reviewer looks at: fit, hold-out, parameters, warnings."""

    intervals: pd.DataFrame  # series, year, value, role, median, lo50, hi50, lo95, hi95, inside
    coverage: dict[str, dict[str, float]]  # role -> {"points", "inside_50", "inside_95"}
    parameters: list[ParameterCheck]
    warnings: list[str]
    correlations: pd.DataFrame
    effective_sample_size: float = 0.0
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """Plain types, for JSON."""
        return {
            "coverage": self.coverage,
            "parameters": [p.as_dict() for p in self.parameters],
            "warnings": self.warnings,
            "effective_sample_size": self.effective_sample_size,
            "intervals": self.intervals.to_dict("records"),
        }


def _weighted_var(x: np.ndarray, w: np.ndarray) -> float:
    m = float(np.sum(w * x) / np.sum(w))
    return float(np.sum(w * (x - m) ** 2) / np.sum(w))


def _against_a_bound(name: str, prior: Distribution, lo: float, hi: float) -> list[str]:
    """A warning when the posterior's 95% interval reaches the edge of a bounded prior.

    The data then push the parameter to the end of the range believed plausible: the model or
    its inputs, rather than this parameter, may be what is off, and the fit says so instead of
    reporting the edge as an estimate.
    """
    support = prior.frozen().support()
    low, high = float(support[0]), float(support[1])
    if not (math.isfinite(low) and math.isfinite(high)):
        return []
    edge = NEAR_BOUND * (high - low)
    found = []
    for bound, near in ((low, lo - low <= edge), (high, high - hi <= edge)):
        if near:
            found.append(
                f"{name}: the posterior piles against its prior's bound {bound:g} (95% interval "
                f"{lo:.4g} to {hi:.4g}): the data push it past the range thought plausible, so "
                "the model or its inputs may be what is off; do not read the bound as an estimate"
            )
    return found


def check_posterior(
    place: Place, posterior: pd.DataFrame, predictive: pd.DataFrame
) -> PosteriorChecks:
    """Predictive intervals and their coverage, prior against posterior, and warnings."""
    data = place.data()
    q = predictive.groupby(["series", "year"])["observed"].quantile([0.5, 0.25, 0.75, 0.025, 0.975])
    table = q.unstack().rename(
        columns={0.5: "median", 0.25: "lo50", 0.75: "hi50", 0.025: "lo95", 0.975: "hi95"}
    )
    intervals = data.merge(table.reset_index(), on=["series", "year"], how="left")
    intervals["inside_50"] = intervals["value"].between(intervals["lo50"], intervals["hi50"])
    intervals["inside_95"] = intervals["value"].between(intervals["lo95"], intervals["hi95"])
    coverage = {}
    for role, group in intervals.groupby("role"):
        coverage[str(role)] = {
            "points": int(len(group)),
            "inside_50": float(group["inside_50"].mean()),
            "inside_95": float(group["inside_95"].mean()),
        }

    w = posterior["weight"].to_numpy(dtype=float)
    checks, warnings = [], []
    for name in place.parameters:
        x = posterior[name].to_numpy(dtype=float)
        lo, med, hi = weighted_quantiles(x, w, [0.025, 0.5, 0.975])
        prior = place.priors[name]
        contraction = 1.0 - _weighted_var(x, w) / float(prior.frozen().var())
        checks.append(ParameterCheck(name, prior, float(med), float(lo), float(hi), contraction))
        if contraction < WEAK_CONTRACTION:
            warnings.append(
                f"{name}: the data barely inform it (the posterior's variance is "
                f"{1 - contraction:.0%} of the prior's): its posterior is mostly its prior"
            )
        warnings.extend(_against_a_bound(name, prior, float(lo), float(hi)))
    names = list(place.parameters)
    corr = pd.DataFrame(np.eye(len(names)), index=names, columns=names)
    if len(w) > 2:
        x = posterior[names].to_numpy(dtype=float)
        centred = x - np.average(x, axis=0, weights=w)
        cov = (centred * w[:, None]).T @ centred / w.sum()
        sd = np.sqrt(np.diag(cov))
        with np.errstate(invalid="ignore", divide="ignore"):
            corr = pd.DataFrame(cov / np.outer(sd, sd), index=names, columns=names)
        for i, a in enumerate(names):
            for b in names[i + 1 :]:
                r = float(corr.at[a, b])
                if math.isfinite(r) and abs(r) > STRONG_CORRELATION:
                    kind = "product" if r < 0 else "ratio"
                    warnings.append(
                        f"{a} and {b}: the data inform them together, not each (posterior "
                        f"correlation {r:+.2f}: roughly their {kind} is what the data fix)"
                    )
    for role, c in coverage.items():
        if c["inside_95"] < 0.8:
            warnings.append(
                f"{role} years: only {c['inside_95']:.0%} of {c['points']} data points lie "
                "inside the 95% predictive interval"
            )
    return PosteriorChecks(intervals, coverage, checks, warnings, corr, effective_sample_size(w))
