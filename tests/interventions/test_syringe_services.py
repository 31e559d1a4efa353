"""Syringe services act through syringe coverage: the syringes handed out lower sharing."""

from __future__ import annotations

import numpy as np
import pytest
from programme_helpers import (
    EVERYONE_USING,
    assert_same_as_baseline,
    programme_scenario,
    run_model,
    weekly_outputs,
)

from hrsim import HarmReductionModel
from hrsim.processes import Injecting
from hrsim.scenario import ScenarioError, build_scenario

TYPE = "syringe_services"
RUN = {"people": 3000, "years": 1.0, "seed": 3, "name": "t"}
# Everyone in active use and injecting, no route changes, everyone in a syringe episode that
# does not end in the weeks of a test. As in conftest.isolated_model: the drawn population
# (no burn-in) and one row per person (no spare rows, which the tests hand-set too).
ALL_SHARING = {
    "demography": {"row_headroom": 1.0},
    "population": {"inject_fraction": 1.0, **EVERYONE_USING},
    "injecting": {
        "start_injecting_rate_per_year": 0.0,
        "injecting_cessation_rate_per_year": 0.0,
        "injecting_to_smoking_rate_per_year": 0.0,
        "sharing_episode_mean_weeks": 5200.0,
    },
}


def test_zero_coverage_is_the_baseline():
    base = run_model(programme_scenario(TYPE, run=RUN))
    zero = run_model(programme_scenario(TYPE, {"coverage_fraction": 0.0}, run=RUN))
    assert_same_as_baseline(zero, base, TYPE)


def _one_week(syringes: float) -> HarmReductionModel:
    scenario = programme_scenario(
        TYPE,
        {"coverage_fraction": 1.0, "syringes_per_client_per_week": syringes},
        run={**RUN, "burn_in_years": 0.0},
        **ALL_SHARING,
    )
    m = HarmReductionModel(scenario, processes=(Injecting,))
    m.people.sharing_episode[:] = True
    m.step()
    return m


def test_the_hook_is_syringes_per_injection_and_costed():
    m = _one_week(7.0)
    p = m.people
    clients = m.interventions[0].clients
    assert clients.size == p.n  # everyone injects, coverage 1
    np.testing.assert_allclose(
        p.syringe_coverage[clients], 7.0 / p.injection_frequency[clients], rtol=1e-6
    )
    out = weekly_outputs(m)
    assert out["syringes"].iloc[-1] == pytest.approx(7.0 * clients.size)
    cost = m.scenario.interventions[0].cost_usd_per_syringe * 7.0 * clients.size  # type: ignore[attr-defined]
    assert out["cost_usd"].iloc[-1] == pytest.approx(cost)


def test_more_syringes_lower_receptive_sharing_until_coverage_is_full():
    """Paired arms (the injecting stream does not depend on the programme): receptive
    sharing falls with the syringes handed out, to zero once every injection is covered,
    and twice the syringes at full coverage change nothing."""
    totals = {}
    for syringes in (0.0, 3.0, 7.0, 14.0, 400.0, 800.0):
        m = _one_week(syringes)
        p = m.people
        totals[syringes] = float(p.receptive_shared_injections.sum())
        if syringes == 7.0:
            # Per person: the formula with coverage min(1, baseline + 7 / frequency).
            ij = m.scenario.injecting
            cover = np.minimum(1.0, ij.baseline_syringe_coverage + 7.0 / p.injection_frequency)
            expected = p.injection_frequency * ij.episode_shared_injection_fraction * (1 - cover)
            # float32 hook: near full coverage 1 - coverage cancels, hence the absolute tolerance.
            np.testing.assert_allclose(
                p.receptive_shared_injections, expected, rtol=1e-5, atol=1e-6
            )
    assert totals[0.0] > totals[3.0] > totals[7.0] > totals[14.0] > 0
    assert totals[400.0] == totals[800.0] == 0.0
    # Diminishing returns: the second 7 syringes avert fewer shared injections than the first.
    assert totals[0.0] - totals[7.0] > totals[7.0] - totals[14.0]


def test_a_scenario_still_giving_sharing_rr_is_refused_in_one_line():
    with pytest.raises(ScenarioError) as err:
        build_scenario({"interventions": [{"type": TYPE, "sharing_rr": 0.5}]})
    message = str(err.value)
    assert "sharing_rr" in message and "\n" not in message
