"""Shared helpers for the tests: small models with chosen processes and parameters."""

from __future__ import annotations

import numpy as np

from hrsim import HarmReductionModel, Scenario
from hrsim.processes import Process
from hrsim.processes.infections import hcv_infectious


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


def hcv_risk_per_person(model: HarmReductionModel) -> np.ndarray:
    """Each person's probability of HCV this week along injecting ties, exactly as the
    infection process defines it: the person's shared injections split among their partners
    who injected this week, syringe and equipment routes, from viraemic partners."""
    p, i = model.people, model.scenario.infection
    a, b = model.network.layers["injecting"].endpoints()  # a: the exposed person
    injected = p.injected_this_week
    partners = np.bincount(a, weights=injected[a] & injected[b], minlength=p.n)
    ok = hcv_infectious(p, i)[b] & ~p.hcv[a] & injected[a] & injected[b]
    a, b = a[ok], b[ok]
    k = partners[a]
    escape = (1 - i.hcv_per_shared_injection) ** (p.receptive_shared_injections[a] / k)
    escape *= (1 - i.hcv_per_shared_equipment) ** (p.equipment_shared_injections[a] / k)
    per_person = np.ones(p.n)
    np.multiply.at(per_person, a, escape)
    return 1 - per_person
