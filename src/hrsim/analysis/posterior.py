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
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from hrsim.economics.distributions import Distribution
from hrsim.errors import ScenarioError

DATABASE = "abc.db"
CANDIDATES = "candidates"
#: The last generation's particles and weights, as the fit's outputs write them.
POSTERIOR_CSV = "posterior.csv"
#: Each parameter's prior mean and sd: pyabc samples ``(x - mean) / sd``.
SCALES = "abc-scales.json"
#: The fit's summary (:mod:`hrsim.reporting.fit_page`): each parameter's prior, described.
SUMMARY = "fit.json"
#: What the fit was of and with which settings (written by :mod:`hrsim.analysis.fit_store`).
SETTINGS_FILE = "fit-settings.json"


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


@dataclass(frozen=True)
class FitPrior:
    """The prior a fit used for one parameter, as the fit's files record it.

    ``distribution`` is the prior itself (from the fit's place file), None when it cannot be
    read (``note`` says why); ``described`` is the fit's own record of it (its description in
    ``fit.json``), None when the folder has no ``fit.json``.
    """

    name: str
    distribution: Distribution | None
    described: str | None
    note: str = ""

    @property
    def text(self) -> str:
        """The prior in words, for plans and manifests."""
        if self.distribution is not None:
            return self.distribution.describe()
        return self.described or "not recorded"

    def as_dict(self) -> dict[str, Any]:
        """Plain types, for JSON: the prior's description and where it was read."""
        record: dict[str, Any] = {"prior": self.text, "prior_known": self.distribution is not None}
        return {**record, "prior_note": self.note} if self.note else record


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) else None


def fit_priors(folder: Path | str, names: list[str]) -> dict[str, FitPrior]:
    """The prior the fit in ``folder`` used for each of ``names`` (its fitted parameters).

    ``fit-settings.json`` names the place the fit was of: its ``place_file`` (a fit by
    ``hrsim fit``), else the place shipped with hrsim of its ``place`` name (a shipped fit
    records no file). The priors are that place file's (``[fit.priors]``, ``[population]``,
    the defaults' distributions), and are taken only where ``fit.json``'s description of the
    prior the fit used is the same (the place file may have changed since the fit): where it
    is not, or the place file is gone, the record is ``fit.json``'s description alone.
    """
    import hrsim.places as places_module
    from hrsim.places import load_place

    folder = Path(folder)
    settings = _read_json(folder / SETTINGS_FILE) or {}
    summary = _read_json(folder / SUMMARY)
    described: dict[str, str] = {}
    for item in (summary or {}).get("parameters", []):
        if isinstance(item, dict) and isinstance(item.get("prior"), str):
            described[str(item.get("parameter"))] = item["prior"]
    place_file = settings.get("place_file")
    name = settings.get("place")
    path: Path | None
    if place_file:
        path = Path(str(place_file))
    elif name:
        path = Path(places_module.__file__).parent / f"{name}.toml"
    else:
        path = None
    priors: dict[str, Distribution] = {}
    missing = f"{SETTINGS_FILE} names no place file"
    if path is not None and not path.is_file():
        missing = f"the fit's place file {path} is not there"
    elif path is not None:
        try:
            place = load_place(path)
        except ScenarioError as exc:
            missing = f"the fit's place file does not load ({exc})"
        else:
            for key, declared in place.priors.items():  # this machine's path: the file's name
                where = declared.where.replace(str(place.path), place.path.name)
                priors[key] = replace(declared, where=f"prior of the fit, from {where}")
    found: dict[str, FitPrior] = {}
    for key in names:
        text = described.get(key)
        prior = priors.get(key)
        said = f"the prior as {SUMMARY} describes it" if text else f"no {SUMMARY} describes it"
        if prior is None:
            why = missing if not priors else f"the fit's place file has no prior for {key}"
            found[key] = FitPrior(key, None, text, f"{why}; {said}")
        elif text is not None and text != prior.describe():
            note = (
                f"the fit's place file now gives {prior.describe()}, not the prior the fit"
                f" used; {said}"
            )
            found[key] = FitPrior(key, None, text, note)
        else:
            note = "" if text is not None else f"no {SUMMARY} to check it against"
            found[key] = FitPrior(key, prior, text, note)
    return found


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
