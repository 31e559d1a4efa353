"""Diversion: the share of arrests of people in active use sent to detox, the ramp, costs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from programme_helpers import (
    EVERYONE_USING,
    assert_same_as_baseline,
    programme_scenario,
    run_model,
)

from conftest import binomial_se, within
from hrsim import HarmReductionModel
from hrsim.processes import CareProcess
from hrsim.scenario import load_scenario

TYPE = "diversion"
SCENARIO_FILE = Path(__file__).resolve().parents[2] / "scenarios" / f"{TYPE}.toml"
RUN = {"name": "t", "people": 2000, "years": 1.0, "seed": 3}
# Everyone in active use and often arrested; no other care flows out of active use.
ARRESTS = {
    "population": {**EVERYONE_USING},
    "care": {
        "arrest_rate_per_year": 5.0,
        "detox_entry_rate_per_year": 0.0,
        "moud_initiation_rate_per_year": 0.0,
        "spontaneous_remission_rate_per_year": 0.0,
    },
}


def diversion_model(people: int, **programme: object) -> HarmReductionModel:
    """Care only, many arrests, with a diversion programme."""
    scenario = programme_scenario(
        TYPE, programme, run={"name": "t", "people": people, "years": 1.0, "seed": 12}, **ARRESTS
    )
    return HarmReductionModel(scenario, processes=(CareProcess,))


def test_zero_diversion_is_the_baseline():
    base = run_model(programme_scenario(TYPE, run=RUN))
    zero = run_model(programme_scenario(TYPE, {"diversion_fraction": 0.0}, run=RUN))
    assert_same_as_baseline(zero, base, TYPE)
    assert base.timeseries_frame()["arrests"].sum() > 0  # the hook was in use


def test_share_of_arrests_diverted_to_detox():
    f = 0.3
    m = diversion_model(10_000, diversion_fraction=f)
    m.run(weeks=6)
    ev = m.events_frame()
    from_active = ev[(ev.kind == "transition") & (ev.from_state == "active")]
    arrests = from_active[from_active.detail.isin(["diversion", "arrest"])]
    diverted = arrests[arrests.detail == "diversion"]
    assert (diverted.to_state == "detox").all()
    assert (arrests[arrests.detail == "arrest"].to_state == "prison").all()
    share = len(diverted) / len(arrests)
    assert within(share, f, binomial_se(f, len(arrests)))


def test_fraction_ramps_up_and_costs_are_fixed():
    m = diversion_model(
        1000, diversion_fraction=0.6, start_week=2, ramp_up_weeks=3, fixed_cost_usd_per_week=500.0
    )
    hooks = []
    for _ in range(5):
        m.step()
        hooks.append(m.hooks.arrest_diversion_fraction)
    expected = [0.0, 0.2, 0.4, 0.6, 0.6]
    np.testing.assert_allclose(hooks, expected, rtol=1e-12)
    out = m.programme_frame().set_index(["output", "week"])["value"]
    np.testing.assert_allclose(out["diversion_fraction"].loc[1:5], expected, rtol=1e-12)
    assert out["cost_usd"].loc[1:5].tolist() == [0, 500, 500, 500, 500]
    assert (out["enrolled"] == 0).all()  # no individual clients


def test_scenario_file_runs():
    scenario = load_scenario(SCENARIO_FILE).with_overrides({"run.people": 1000})
    assert scenario.interventions[0].type == TYPE
    m = HarmReductionModel(scenario)
    m.run(weeks=4)
    assert m.hooks.arrest_diversion_fraction == scenario.interventions[0].diversion_fraction
    out = m.programme_frame()
    assert out[out.output == "diversion_fraction"]["value"].iloc[-1] > 0
