"""Approximate Bayesian computation by sequential Monte Carlo (ABC-SMC), reproducible anywhere.

pyabc does the statistics: the prior, the perturbation kernel (a multivariate normal fitted to
the last population), the importance weights, the epsilon schedule (each generation's
threshold is the median distance of the one before) and the history database, from which a
stopped fit continues. What this module adds is a sampler, :class:`OrderedSampler`, that
makes a fit depend on its seed and settings only, not on the workers:

- candidates are evaluated in batches of a fixed size; candidate ``i`` of generation ``t``
  runs with numpy's and ``random``'s global state seeded from ``(seed, t, i)``, so its
  proposal (drawn inside pyabc's ``simulate_one``) and its simulation are the same wherever
  and whenever it runs;
- a generation keeps the first ``particles`` accepted candidates *in index order*. Taking
  them as they finish instead would favour fast simulations (and so some parameter values)
  and change with the number of workers;
- every finished batch is written to ``candidates/`` before the next starts, so a fit that
  is interrupted continues from the last finished batch: pyabc reloads the last finished
  generation from its database, the same candidates are proposed again, and those already
  evaluated are read back instead of run.

The same seed therefore gives the same posterior on one core, many, or a Dask cluster, and
after any number of interruptions (``tests/test_abc_fit.py`` checks all three).

Common random numbers across particles are not used, on purpose: a valid ABC posterior needs
each particle's simulation to carry its own noise, and particles sharing one seed would fit
that one noise realisation (the posterior would be conditioned on it, and too narrow). Common
random numbers serve where runs are compared, not fitted: the arms of ``hrsim compare`` and
``hrsim psa`` share their seeds within a posterior draw.

The distance is the Euclidean norm of the standardised differences, ``(simulated -
observed) / sd`` over every data point, where ``sd`` is the point's stated uncertainty
(:mod:`hrsim.places`). Without a tolerance schedule that reaches the noise level the
posterior is an ABC approximation: wider than the exact posterior, never narrower.
"""

from __future__ import annotations

import json
import logging
import os
import pickle
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cloudpickle
import numpy as np
import pyabc
from pyabc.sampler import Sampler

from hrsim.analysis.posterior import (
    CANDIDATES,
    DATABASE,
    SCALES,
    AbcResult,
    candidate_seed,
    read_result,
)
from hrsim.batch.executors import execute
from hrsim.economics.distributions import Distribution
from hrsim.errors import ScenarioError
from hrsim.files import write_text_atomic

#: A run's database inside the fit folder (pyabc's history, SQLite).
# pyabc logs every generation at INFO; hrsim prints its own progress line.
for _name in ("ABC", "Sampler", "Epsilon", "Distance", "Acceptor", "Population", "History"):
    logging.getLogger(f"ABC.{_name}").setLevel(logging.WARNING)
logging.getLogger("ABC").setLevel(logging.WARNING)


def _evaluate_candidate(task: tuple[bytes, int]) -> Any:
    """In a worker: seed the global generators and run pyabc's ``simulate_one`` once."""
    payload, seed = task
    np.random.seed(seed)  # noqa: NPY002 (pyabc draws from the global generators)
    random.seed(seed)
    simulate_one = cloudpickle.loads(payload)
    return simulate_one()


class OrderedSampler(Sampler):
    """A pyabc sampler whose result depends on the seed only (see the module docstring)."""

    def __init__(
        self,
        seed: int,
        batch: int,
        folder: Path,
        workers: int | None,
        scheduler: str | None,
        tag: str,
        progress: Callable[[int, int, int], None] | None,
    ) -> None:
        super().__init__()
        self.seed, self.batch, self.folder = seed, batch, folder
        self.workers, self.scheduler, self.tag = workers, scheduler, tag
        self.progress = progress

    def sample_until_n_accepted(
        self,
        n: int,
        simulate_one: Callable[[], Any],
        t: int,
        *,
        max_eval: float = np.inf,
        all_accepted: bool = False,
        ana_vars: Any = None,
    ) -> Any:
        """The first ``n`` accepted candidates of generation ``t``, in index order."""
        np.random.seed(candidate_seed(self.seed, t, 2**31))  # noqa: NPY002 (pyabc's own draws)
        payload = cloudpickle.dumps(simulate_one)
        sample = self._create_empty_sample()
        accepted = evaluated = start = 0
        while accepted < n and evaluated < max_eval:
            for particle in self._batch(payload, t, start):
                evaluated += 1
                sample.append(particle)
                if particle.accepted:
                    accepted += 1
                    if accepted == n:
                        break
            start += self.batch
            if self.progress is not None:
                self.progress(t + 1, accepted, evaluated)
        self.nr_evaluations_ = evaluated
        return sample

    def _batch(self, payload: bytes, t: int, start: int) -> list[Any]:
        """Candidates ``start`` to ``start + batch`` of generation ``t``: from disk, or run."""
        file = self.folder / CANDIDATES / f"g{t + 1:03d}-{start:07d}.pkl"
        if file.is_file():
            with file.open("rb") as fh:
                return list(pickle.load(fh))
        indices = range(start, start + self.batch)
        tasks = [(payload, candidate_seed(self.seed, t, i)) for i in indices]
        keys = [f"hrsim-fit-{self.tag}-{t + 1}-{i}" for i in indices]
        results: list[Any] = [None] * len(tasks)
        for k, particle in execute(
            _evaluate_candidate, tasks, workers=self.workers, scheduler=self.scheduler, keys=keys
        ):
            results[k] = particle
        file.parent.mkdir(parents=True, exist_ok=True)
        partial = file.with_suffix(".part")
        with partial.open("wb") as fh:
            pickle.dump(results, fh)
        os.replace(partial, file)  # a batch is on disk whole or not at all
        return results


@dataclass(frozen=True)
class AbcSettings:
    """How the fit runs: particles per generation, generations, seed, candidates per batch."""

    particles: int = 60
    generations: int = 5
    seed: int = 1
    batch: int = 0  # 0: one batch is ``particles`` candidates
    min_epsilon: float = 0.0

    @property
    def batch_size(self) -> int:
        """Candidates evaluated together (fixed, so that results do not depend on workers)."""
        return self.batch or self.particles


def standardisation(priors: Mapping[str, Distribution]) -> dict[str, tuple[float, float]]:
    """Each parameter's prior mean and standard deviation."""
    return {n: (float(d.frozen().mean()), float(d.frozen().std())) for n, d in priors.items()}


def pyabc_prior(priors: Mapping[str, Distribution]) -> Any:
    """A pyabc prior on the standardised scale: ``(x - prior mean) / prior sd``.

    pyabc perturbs particles with a multivariate normal fitted to the last population; on the
    parameters' own scales (a rate of 0.02 next to a population of 275,000) its covariance
    matrix is numerically singular. Every scipy distribution moves and stretches through its
    ``loc`` and ``scale``, so the standardised prior is the same family, exactly.
    """
    rvs = {}
    for name, d in priors.items():
        frozen = d.frozen()
        shapes, loc, scale = frozen.dist._parse_args(*frozen.args, **frozen.kwds)
        mean, sd = float(frozen.mean()), float(frozen.std())
        rvs[name] = pyabc.RV(frozen.dist.name, *shapes, loc=(loc - mean) / sd, scale=scale / sd)
    return pyabc.Distribution(**rvs)


@dataclass
class Standardised:
    """A simulator that takes standardised parameters (what pyabc samples) and runs on real ones."""

    simulate: Callable[[dict[str, float]], dict[str, float]]
    scales: dict[str, tuple[float, float]]

    def __call__(self, params: Mapping[str, float]) -> dict[str, float]:
        """Simulated data at ``mean + sd x u`` for each standardised value ``u``."""
        real = {n: self.scales[n][0] + self.scales[n][1] * float(u) for n, u in params.items()}
        return self.simulate(real)


def run_abc(
    simulate: Callable[[dict[str, float]], dict[str, float]],
    priors: Mapping[str, Distribution],
    observed: Mapping[str, float],
    sds: Mapping[str, float],
    settings: AbcSettings,
    folder: Path,
    *,
    tag: str,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: Callable[[int, int, int], None] | None = None,
) -> AbcResult:
    """Run (or continue, if ``folder`` holds a database) an ABC-SMC fit.

    ``simulate`` maps a parameter dict to simulated data with the keys of ``observed``; it
    must be picklable (a module-level function or an instance of a module-level class) and
    take its randomness from numpy's global generator, which the sampler seeds per candidate.
    ``tag`` names the fit's tasks on a Dask cluster.
    """
    missing = [k for k in observed if k not in sds or not sds[k] > 0]
    if missing:
        raise ScenarioError(f"no positive uncertainty for data point(s) {', '.join(missing)}")
    weights = {k: 1.0 / float(sds[k]) for k in observed}
    scales = standardisation(priors)
    folder.mkdir(parents=True, exist_ok=True)
    write_text_atomic(folder / SCALES, json.dumps(scales, indent=2) + "\n")
    sampler = OrderedSampler(
        settings.seed, settings.batch_size, folder, workers, scheduler, tag, progress
    )
    abc = pyabc.ABCSMC(
        models=Standardised(simulate, scales),
        parameter_priors=pyabc_prior(priors),
        distance_function=pyabc.distance.PNormDistance(p=2, fixed_weights=weights),
        population_size=settings.particles,
        sampler=sampler,
        eps=pyabc.epsilon.QuantileEpsilon(alpha=0.5),
    )
    database = folder / DATABASE
    url = f"sqlite:///{database}"
    if database.is_file():
        history = abc.load(url, 1)
        done = history.max_t + 1
    else:
        np.random.seed(candidate_seed(settings.seed, -2, 0))  # noqa: NPY002 (pyabc's set-up)
        abc.new(url, {k: float(v) for k, v in observed.items()})
        done = 0
    if done < settings.generations:
        history = abc.run(
            minimum_epsilon=settings.min_epsilon,
            max_nr_populations=settings.generations - done,
        )
    return read_result(folder)
