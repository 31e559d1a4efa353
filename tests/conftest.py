"""Shared helpers for the tests: small models with chosen processes and parameters."""

from __future__ import annotations

import numpy as np

from hrsim import HarmReductionModel, Scenario
from hrsim.processes import Process


def isolated_model(
    people: int,
    processes: tuple[type[Process], ...],
    seed: int = 1,
    **overrides: object,
) -> HarmReductionModel:
    """A model running only ``processes``, with dotted-key parameter overrides.

    No burn-in (unless overridden): an isolated process starts from the drawn population,
    whose parameters the tests' expectations are derived from.
    """
    scenario = Scenario.default().with_overrides(
        {
            "run.people": people,
            "run.seed": seed,
            "run.years": 5.0,
            "run.burn_in_years": 0.0,
            "demography.row_headroom": 1.0,
            "demography.initiation_per_1000_by_year": [0.0],
        }
        | overrides
    )
    return HarmReductionModel(scenario, processes=processes)


def within(observed: float, expected: float, se: float, k: float = 3.0) -> bool:
    """``observed`` lies within ``k`` standard errors of ``expected``."""
    return bool(abs(observed - expected) <= k * se + 1e-12)


def binomial_se(p: float, n: int) -> float:
    """Standard error of a proportion."""
    return float(np.sqrt(max(p * (1.0 - p), 0.0) / n))
