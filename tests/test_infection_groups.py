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

from conftest import isolated_model, within
from hrsim.core.states import on_moud
from hrsim.processes import Infections, Injecting
from hrsim.processes.base import Process
from hrsim.processes.infections import hcv_infectious

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


def hcv_risk(model) -> np.ndarray:
    """Each person's probability of HCV this week along injecting ties (both routes)."""
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


class Probe(Process):
    """Records, each week, every person's HCV risk and who is in which group."""

    name = "probe"
    weeks: ClassVar[list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]] = []

    def step(self, model) -> None:
        p = model.people
        Probe.weeks.append(
            (hcv_risk(model), on_moud(p.state), p.weeks_since_sharing >= 52, p.hcv.copy())
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
