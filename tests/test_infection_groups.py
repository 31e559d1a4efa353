"""With the default parameters, injection-acquired HCV reaches people on MOUD and people who
do not share syringes, at the rate the parameters imply.

The injecting process runs as it does by default (who injects this week, sharing episodes,
shared injections); between it and the infection process a probe computes each person's
exact risk this week from the arrays the injecting process wrote and the per-exposure
probabilities (exposures split among the partners who injected, syringe and equipment
routes). Observed infections in each group are compared with the sum of those risks, within
3 standard errors (the sum of Bernoulli variances). Nothing here is hand-set but the
population's starting mix: everyone who injects, half on methadone or buprenorphine.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from conftest import hcv_risk_per_person, isolated_model, within
from hrsim.core.states import on_moud
from hrsim.processes import Infections, Injecting
from hrsim.processes.base import Process

SETTING = {
    "population.inject_fraction": 1.0,
    "population.moud_fraction": 0.5,
    "population.recovery_fraction": 0.0,
    "population.detox_fraction": 0.0,
    "population.prison_fraction": 0.0,
    "population.hcv_viraemic_prevalence_inject": 0.5,
    "population.hcv_prevalence_inject": 0.6,
}
WEEKS = 80


class Probe(Process):
    """Records, each week, every person's HCV risk and who is in which group."""

    name = "probe"
    weeks: ClassVar[list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]] = []

    def step(self, model) -> None:
        p = model.people
        Probe.weeks.append(
            (
                hcv_risk_per_person(model),
                on_moud(p.state),
                p.weeks_since_sharing >= 52,
                p.hcv.copy(),
            )
        )


def test_injection_acquired_hcv_on_moud_and_among_non_sharers_matches_the_parameters():
    Probe.weeks = []
    m = isolated_model(80_000, (Injecting, Probe, Infections), seed=2, **SETTING)
    observed = {"moud": 0, "non_sharer": 0}
    expected = {"moud": 0.0, "non_sharer": 0.0}
    var = {"moud": 0.0, "non_sharer": 0.0}
    for _ in range(WEEKS):
        m.step()
        risk, moud, non_sharer, before = Probe.weeks[-1]
        new = m.people.hcv & ~before
        for group, rows in (("moud", moud), ("non_sharer", non_sharer)):
            observed[group] += int(new[rows].sum())
            expected[group] += float(risk[rows].sum())
            var[group] += float(np.sum(risk[rows] * (1 - risk[rows])))
    for group in observed:
        # Enough expected infections that the comparison has power, and they happen.
        assert expected[group] > 20, (group, expected)
        assert observed[group] > 0
        assert within(observed[group], expected[group], np.sqrt(var[group])), (
            group,
            observed[group],
            expected[group],
        )
