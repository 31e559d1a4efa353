"""MOUD expansion: capacity, initiation and retention multipliers, the ramp, outputs, costs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from programme_helpers import assert_same_as_baseline, programme_scenario, run_model

from conftest import binomial_se, within
from hrsim import HarmReductionModel
from hrsim.core.states import Care
from hrsim.model import Hooks
from hrsim.processes import DEFAULT_PROCESSES, CareProcess
from hrsim.scenario import load_scenario

TYPE = "moud_expansion"
SCENARIO_FILE = Path(__file__).resolve().parents[2] / "scenarios" / f"{TYPE}.toml"
RUN = {"name": "t", "people": 2000, "years": 1.0, "seed": 3}
QUIET_CARE = {
    "detox_entry_rate_per_year": 0.0,
    "moud_initiation_rate_per_year": 0.0,
    "arrest_rate_per_year": 0.0,
    "spontaneous_remission_rate_per_year": 0.0,
}


def expansion(run: dict, care: dict | None = None, **programme: object) -> HarmReductionModel:
    """A model with a MOUD expansion programme (care only when ``care`` is given)."""
    scenario = programme_scenario(TYPE, programme, run=run, care=care or {})
    return HarmReductionModel(scenario, processes=(CareProcess,) if care else DEFAULT_PROCESSES)


def test_neutral_multipliers_are_the_baseline():
    base = run_model(programme_scenario(TYPE, run=RUN))
    neutral = expansion(
        RUN, capacity_multiplier=1.0, initiation_multiplier=1.0, discontinuation_hazard_ratio=1.0
    )
    neutral.run()
    assert_same_as_baseline(neutral, base, TYPE)
    assert base.timeseries_frame()["moud_starts"].sum() > 0  # the hooks were in use


def test_retention_with_a_discontinuation_hazard_ratio():
    """Everyone starts buprenorphine together; with hazard ratio h on leaving, 12-month
    retention is R**h, R the scenario's 12-month retention."""
    n, hr = 20_000, 0.5
    m = expansion(
        {"name": "t", "people": n, "years": 2.0, "seed": 2},
        QUIET_CARE,
        discontinuation_hazard_ratio=hr,
        capacity_multiplier=1.0,
        initiation_multiplier=1.0,
    )
    # Everyone alive (not the spare rows, which hold no person: their draws are keyed to no id).
    rows = np.flatnonzero(m.people.alive)
    m.people.state[rows] = Care.BUPRENORPHINE
    m.people.weeks_in_state[rows] = 1  # as if started last week: the next week is week 1
    m.run(weeks=52)
    expected = m.scenario.care.buprenorphine_retention_12_months**hr
    observed = np.mean(m.people.state[rows] == Care.BUPRENORPHINE)
    assert within(observed, expected, binomial_se(expected, rows.size))
    assert m.hooks.moud_discontinuation_hazard_ratio == hr  # usual care's ratio is 1


def test_capacity_and_initiation_multipliers_set_the_hooks_exactly():
    m = expansion(RUN, capacity_multiplier=2.0, initiation_multiplier=3.0)
    places = Hooks.from_scenario(m.scenario).moud_capacity_places
    m.step()
    assert m.hooks.moud_capacity_places == 2 * places
    assert m.hooks.moud_initiation_multiplier == 3.0
    out = m.programme_frame().set_index(["week", "output"])["value"]
    assert out[(1, "capacity_places")] == 2 * places


def test_multipliers_ramp_up_from_one():
    m = expansion(
        RUN,
        capacity_multiplier=3.0,
        initiation_multiplier=5.0,
        discontinuation_hazard_ratio=0.2,
        start_week=2,
        ramp_up_weeks=4,
    )
    places = Hooks.from_scenario(m.scenario).moud_capacity_places
    seen = []
    for _ in range(6):
        m.step()
        h = m.hooks
        seen.append(
            (
                h.moud_capacity_places,
                h.moud_initiation_multiplier,
                h.moud_discontinuation_hazard_ratio,
            )
        )
    scales = [0.0, 0.25, 0.5, 0.75, 1.0, 1.0]  # weeks 1..6: starts in week 2 over 4 weeks
    for (cap, init, hr), s in zip(seen, scales, strict=True):
        assert cap == int(round(places * (1 + 2.0 * s)))
        assert init == pytest.approx(1 + 4.0 * s, rel=1e-12)
        assert hr == pytest.approx(1 - 0.8 * s, rel=1e-12)


def test_cost_is_the_fixed_cost_only():
    m = expansion(RUN, fixed_cost_usd_per_week=1000.0, start_week=3)
    m.run(weeks=6)
    out = m.programme_frame()
    cost = out[out.output == "cost_usd"].set_index("week")["value"]
    assert cost.loc[1:6].tolist() == [0, 0, 1000, 1000, 1000, 1000]
    enrolled = out[out.output == "enrolled"]["value"]
    assert (enrolled == 0).all()  # no individual clients


def test_scenario_file_runs():
    scenario = load_scenario(SCENARIO_FILE).with_overrides({"run.people": 1000})
    assert scenario.interventions[0].type == TYPE
    m = HarmReductionModel(scenario)
    m.run(weeks=4)
    out = m.programme_frame()
    places = out[out.output == "capacity_places"].set_index("week")["value"]
    assert places.loc[4] > Hooks.from_scenario(scenario).moud_capacity_places  # ramping up
