"""Diversion: the share of arrests sent to case management, MOUD referrals, the ramp, costs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from programme_helpers import (
    EVERYONE_USING,
    assert_same_as_baseline,
    programme_scenario,
    run_model,
    weekly_outputs,
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
        "moud_capacity_fraction": 1.0,
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


def test_diverted_arrests_stay_in_active_use_and_some_are_referred_to_moud():
    """A share f of arrests is diverted to case management (no custody, no detox); a share r
    of those is referred to MOUD (a place for everyone here); outputs count both."""
    f, r = 0.3, 0.5
    m = diversion_model(10_000, diversion_fraction=f, moud_referral_probability=r)
    m.run(weeks=6)
    ev = m.events_frame()
    diverted = ev[ev.kind == TYPE]
    assert set(diverted.detail) == {"case_management"}
    assert (diverted.to_state == "active").all()
    arrests = ev[(ev.kind == "transition") & (ev.detail == "arrest") & (ev.from_state == "active")]
    assert (arrests.to_state == "jail").all()  # arrest goes to jail (issue 13)
    assert not ((ev.kind == "transition") & (ev.to_state == "detox")).any()
    n = len(diverted) + len(arrests)
    assert within(len(diverted) / n, f, binomial_se(f, n))
    starts = ev[(ev.kind == "transition") & (ev.detail == "diversion_referral")]
    assert within(len(starts) / len(diverted), r, binomial_se(r, len(diverted)))
    out = weekly_outputs(m)
    assert out["diversions"].sum() == len(diverted)
    assert out["moud_referrals"].sum() == len(starts)


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
