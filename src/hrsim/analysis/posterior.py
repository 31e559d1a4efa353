"""A fit's posterior without pyabc: its files, drawing from it, weighted summaries, seeds.

What reads a finished fit lives here, so that ``hrsim compare`` and ``hrsim psa`` with
``--posterior`` (and a fit shipped with a place) work without the ``research`` extra: pyabc
is needed to fit (:mod:`hrsim.analysis.abc_smc`), not to use a fit.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from hrsim.errors import ScenarioError

DATABASE = "abc.db"
CANDIDATES = "candidates"
#: The last generation's particles and weights, as the fit's outputs write them.
POSTERIOR_CSV = "posterior.csv"
#: Each parameter's prior mean and sd: pyabc samples ``(x - mean) / sd``.
SCALES = "abc-scales.json"


def candidate_seed(seed: int, generation: int, index: int) -> int:
    """The seed of candidate ``index`` of ``generation`` (pyabc's calibration sample is -1)."""
    words = [int(seed), int(generation) + 2, int(index)]  # SeedSequence takes non-negative words
    return int(np.random.SeedSequence(words).generate_state(1, np.uint32)[0])


def fingerprint(payload: Mapping[str, Any]) -> str:
    """A short hash of what defines a fit, to refuse continuing a different one."""
    text = json.dumps(payload, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass
class AbcResult:
    """The posterior (the last generation) and what each generation did."""

    posterior: pd.DataFrame  # one row per particle: the parameters and ``weight``
    generations: pd.DataFrame  # generation, epsilon, particles, simulations, acceptance_rate
    distances: np.ndarray  # the last generation's distances, in particle order


def read_result(folder: Path) -> AbcResult:
    """The posterior and generation table of the fit stored in ``folder`` (pyabc's database)."""
    import pyabc

    database = folder / DATABASE
    if not database.is_file():
        raise ScenarioError(f"{folder}: no fit here (no {DATABASE})")
    history = pyabc.History(f"sqlite:///{database}", _id=1)
    if history.max_t < 0:
        raise ScenarioError(f"{folder}: the fit has no finished generation yet")
    frame, weights = history.get_distribution(m=0, t=history.max_t)
    posterior = frame.reset_index(drop=True).astype(float)
    posterior.columns = [str(c) for c in posterior.columns]
    scales = json.loads((folder / SCALES).read_text(encoding="utf-8"))
    for name in posterior.columns:  # back from the standardised scale pyabc sampled on
        mean, sd = scales[name]
        posterior[name] = mean + sd * posterior[name]
    posterior = posterior[sorted(posterior.columns)]
    posterior["weight"] = np.asarray(weights, dtype=float) / float(np.sum(weights))
    populations = history.get_all_populations()
    populations = populations[populations["t"] >= 0]
    generations = pd.DataFrame(
        {
            "generation": populations["t"].astype(int).to_numpy() + 1,
            "epsilon": populations["epsilon"].astype(float).to_numpy(),
            "simulations": populations["samples"].astype(int).to_numpy(),
        }
    )
    sizes = history.get_nr_particles_per_population()
    generations["particles"] = [int(sizes[t]) for t in populations["t"]]
    generations["acceptance_rate"] = generations["particles"] / generations["simulations"]
    distances = history.get_weighted_distances(t=history.max_t)["distance"].to_numpy(dtype=float)
    return AbcResult(posterior, generations, distances)


def resample(posterior: pd.DataFrame, n: int, seed: int) -> pd.DataFrame:
    """``n`` parameter sets drawn from the weighted particles (systematic resampling, seeded)."""
    weights = posterior["weight"].to_numpy(dtype=float)
    cdf = np.cumsum(weights / weights.sum())
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), 0x5EED]))
    points = (rng.random() + np.arange(n)) / n
    rows = np.minimum(np.searchsorted(cdf, points, side="left"), len(cdf) - 1)
    rows = rng.permutation(rows)  # draws in random order, so a prefix is a fair sample too
    drawn = posterior.drop(columns="weight").iloc[rows].reset_index(drop=True)
    drawn.insert(0, "particle", rows)
    return drawn


def posterior_samples(folder: Path | str, n: int, seed: int) -> pd.DataFrame:
    """``n`` draws of the fitted parameters from the fit in ``folder`` (for PSA, compare).

    From pyabc's database when the folder has it, else from the fit's ``posterior.csv`` (a
    shipped fit keeps only that: the particles and their weights).
    """
    folder = Path(folder)
    if (folder / DATABASE).is_file():
        posterior = read_result(folder).posterior
    elif (folder / POSTERIOR_CSV).is_file():
        posterior = pd.read_csv(folder / POSTERIOR_CSV)
    else:
        raise ScenarioError(f"{folder}: no fit here (neither {DATABASE} nor {POSTERIOR_CSV})")
    return resample(posterior, n, seed).drop(columns=["particle"])


def weighted_quantiles(values: np.ndarray, weights: np.ndarray, qs: list[float]) -> np.ndarray:
    """Quantiles of a weighted sample (the inverse of the weighted empirical distribution)."""
    order = np.argsort(values, kind="stable")
    v, w = np.asarray(values, float)[order], np.asarray(weights, float)[order]
    cdf = (np.cumsum(w) - 0.5 * w) / w.sum()
    return np.interp(qs, cdf, v)


def effective_sample_size(weights: np.ndarray) -> float:
    """Kish's effective sample size of importance weights."""
    w = np.asarray(weights, float)
    return float(w.sum() ** 2 / (w**2).sum()) if w.size else math.nan
