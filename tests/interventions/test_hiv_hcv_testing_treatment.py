"""HIV/HCV test and treat: baseline when neutral, testing and treatment rates, outputs, costs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from programme_helpers import (
    assert_same_as_baseline,
    programme_scenario,
    run_model,
    weekly_outputs,
)

from conftest import binomial_se, within
from hrsim import HarmReductionModel
from hrsim.core.states import Care
from hrsim.processes import Cascade
from hrsim.processes.base import weekly_probability
from hrsim.scenario import load_scenario

TYPE = "hiv_hcv_testing_treatment"
RUN = {"people": 3000, "years": 1.0, "seed": 3, "name": "t"}
# Tests of the drawn population's cascade (prevalence, undiagnosed, untreated HCV): no
# burn-in, in which testing and treatment at these rates would diagnose and cure most of it.
DRAWN = {**RUN, "burn_in_years": 0.0}
SCENARIO_FILE = Path(__file__).resolve().parents[2] / "scenarios" / f"{TYPE}.toml"
NEUTRAL = {"coverage_fraction": 0.0, "art_start_multiplier": 1.0, "hcv_treatment_multiplier": 1.0}


def test_zero_coverage_and_neutral_treatment_is_the_baseline():
    base = run_model(programme_scenario(TYPE, run=RUN))
    zero = run_model(programme_scenario(TYPE, NEUTRAL, run=RUN))
    assert_same_as_baseline(zero, base, TYPE)
    out = weekly_outputs(zero)
    assert (out["cost_usd"] == 0).all()
    # Not vacuous: faster treatment alone (still no clients) changes the run.
    faster = run_model(programme_scenario(TYPE, {**NEUTRAL, "art_start_multiplier": 5.0}, run=RUN))
    assert not base.events_frame().equals(faster.events_frame())


def test_clients_are_diagnosed_at_the_weekly_probability_times_testing_rr():
    """The infections process diagnoses when ``u < p_test * testing_multiplier``: among
    undiagnosed infected clients the weekly share diagnosed is ``k x (1 - exp(-rate/52))``
    (not ``1 - exp(-k x rate/52)``); among non-clients it is ``1 - exp(-rate/52)``."""
    k, rate = 4.0, 5.0
    scenario = programme_scenario(
        TYPE,
        {"coverage_fraction": 0.5, "testing_rr": k},
        run=DRAWN,
        population={
            "hiv_prevalence_inject": 0.5,
            "hiv_prevalence_noninject": 0.5,
            "hcv_prevalence_inject": 0.5,
            "hcv_prevalence_noninject": 0.5,
            "hiv_diagnosed_fraction": 0.0,
        },
        infection={"hiv_testing_rate_per_year": rate, "hcv_testing_rate_per_year": rate},
    ).with_overrides({"run.people": 20_000})
    m = HarmReductionModel(scenario, processes=(Cascade,))
    p = m.people
    hiv_undiagnosed = p.hiv & ~p.hiv_diagnosed & p.alive
    hcv_undiagnosed = p.hcv & ~p.hcv_diagnosed & p.alive
    m.step()
    clients = m.interventions[0].enrolled
    assert not (clients & (p.state == Care.PRISON)).any()
    assert (p.testing_multiplier[clients] == k).all()
    p_week = float(weekly_probability(rate))
    for undiagnosed, diagnosed in (
        (hiv_undiagnosed, p.hiv_diagnosed),
        (hcv_undiagnosed, p.hcv_antibody_diagnosed),  # a test; RNA confirms a share of them
    ):
        for group, expected in ((clients, k * p_week), (~clients, p_week)):
            rows = undiagnosed & group
            n = int(rows.sum())
            observed = diagnosed[rows].mean()
            assert within(observed, expected, binomial_se(expected, n)), (observed, expected)
        # The exact formula matters: the other one is far outside the tolerance.
        wrong = -np.expm1(-k * rate / 52)
        n = int((undiagnosed & clients).sum())
        observed = diagnosed[undiagnosed & clients].mean()
        assert not within(observed, wrong, binomial_se(wrong, n))


def test_treatment_hooks_ramp_up_and_speed_up_art_starts():
    mult = 3.0
    scenario = programme_scenario(
        TYPE,
        {
            "coverage_fraction": 0.0,
            "art_start_multiplier": mult,
            "hcv_treatment_multiplier": 2.0,
            "ramp_up_weeks": 4,
        },
        run=DRAWN,
        population={
            "hiv_prevalence_inject": 0.5,
            "hiv_prevalence_noninject": 0.5,
            "hiv_diagnosed_fraction": 1.0,
            "hiv_in_care_fraction_of_diagnosed": 1.0,
            "hiv_suppressed_fraction_of_in_care": 0.0,
        },
        infection={"hiv_art_start_rate_per_year": 2.0},
    ).with_overrides({"run.people": 20_000})
    m = HarmReductionModel(scenario, processes=(Cascade,))
    p = m.people
    waiting = p.hiv & p.hiv_linked & ~p.hiv_on_art & p.alive
    m.step()
    scale = m.interventions[0].scale(m.week)
    assert 0 < scale < 1  # part-way up the ramp
    assert m.hooks.art_start_multiplier == 1 + (mult - 1) * scale
    assert m.hooks.hcv_treatment_multiplier == 1 + (2.0 - 1) * scale
    expected = float(weekly_probability(2.0)) * m.hooks.art_start_multiplier
    n = int(waiting.sum())
    assert within(p.hiv_on_art[waiting].mean(), expected, binomial_se(expected, n))
    m.run(weeks=3)
    assert m.hooks.art_start_multiplier == mult
    assert m.hooks.hcv_treatment_multiplier == 2.0


def test_outputs_and_costs_count_tests_and_treatment_of_clients():
    """Coverage 1 and no prison: every living person is a client, so the outputs can be
    recomputed from the people and the event log. The programme pays for its tests only:
    treatment is costed by the model for everyone treated (issue 15)."""
    costs = {"cost_usd_per_test": 40.0}
    rr = 3.0
    scenario = programme_scenario(
        TYPE,
        {"coverage_fraction": 1.0, "testing_rr": rr, **costs},
        run=DRAWN,
        population={"prison_fraction": 0.0, "hiv_prevalence_inject": 0.3},
        care={"arrest_rate_per_year": 0.0},
        infection={
            "hiv_art_start_rate_per_year": 5.0,
            "hcv_treatment_start_rate_per_year": 5.0,
            "hcv_testing_rate_per_year": 2.0,
        },
    )
    m = run_model(scenario, weeks=9)
    p, i = m.people, m.scenario.infection
    # What week 10's step will see: last week's starts, everyone alive a client.
    events = m.events_frame()
    started = events.loc[events["detail"] == "hiv_art_start", "person"].to_numpy()
    art_weeks = np.count_nonzero(p.alive & p.hiv_on_art & np.isin(p.pid, started))
    daa = np.count_nonzero(p.alive & (p.hcv_treatment_weeks == 1))
    tests = np.count_nonzero(p.alive & ~p.hiv_diagnosed) * min(
        1.0, float(weekly_probability(i.hiv_testing_rate_per_year)) * rr
    ) + np.count_nonzero(p.alive & ~p.hcv_diagnosed) * min(
        1.0, float(weekly_probability(i.hcv_testing_rate_per_year)) * rr
    )
    alive = np.count_nonzero(p.alive)
    m.step()
    week = weekly_outputs(m).loc[10]
    assert week["enrolled"] == alive
    assert week["art_person_weeks"] == art_weeks > 0
    assert week["daa_courses"] == daa > 0
    assert week["expected_tests"] == tests
    # the programme's price year is the scenario's (2024): no conversion
    assert m.scenario.interventions[0].price_year == m.scenario.economics.price_year
    assert week["cost_usd"] == tests * costs["cost_usd_per_test"]
    # People already on ART when they enrolled are not counted in art_person_weeks.
    initial_art = np.count_nonzero(p.hiv_on_art & ~np.isin(p.pid, started))
    assert initial_art > 0


def test_scenario_file_loads_and_runs():
    scenario = load_scenario(SCENARIO_FILE, {"run.people": 1000})
    assert scenario.run.name == TYPE
    assert [p.type for p in scenario.interventions] == [TYPE]
    m = run_model(scenario, weeks=4)
    out = weekly_outputs(m)
    assert out["enrolled"].iloc[-1] > 0
    assert out["expected_tests"].iloc[-1] > 0
    assert m.hooks.art_start_multiplier > 1.0
