"""Contingency management: relapse hazard while enrolled, duration, exits, outputs, costs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from programme_helpers import assert_same_as_baseline, programme_scenario, run_model

from conftest import binomial_se, within
from hrsim import HarmReductionModel
from hrsim.core.states import Care
from hrsim.processes import CareProcess
from hrsim.scenario import load_scenario

TYPE = "contingency_management"
SCENARIO_FILE = Path(__file__).resolve().parents[2] / "scenarios" / f"{TYPE}.toml"
RUN = {"name": "t", "people": 2000, "years": 1.0, "seed": 3}
# As in tests/test_processes.py: no other care flows, no relapse predictors.
QUIET_CARE = {
    "detox_entry_rate_per_year": 0.0,
    "moud_initiation_rate_per_year": 0.0,
    "arrest_rate_per_year": 0.0,
    "spontaneous_remission_rate_per_year": 0.0,
    "relapse_hr_per_decade_younger": 1.0,
    "relapse_hr_heavy_use": 1.0,
    "relapse_hr_injecting": 1.0,
    "relapse_hr_all_contacts_using": 1.0,
    "aftercare_relapse_hazard_ratio": 1.0,
}


def everyone_recovering(people: int, **programme: object) -> HarmReductionModel:
    """Care only; everyone has just entered recovery; a contingency management programme."""
    scenario = programme_scenario(
        TYPE,
        programme,
        run={"name": "t", "people": people, "years": 1.0, "seed": 6},
        care=QUIET_CARE,
    )
    m = HarmReductionModel(scenario, processes=(CareProcess,))
    m.people.state[:] = Care.RECOVERY
    m.people.weeks_in_state[:] = 0
    return m


def test_zero_coverage_is_the_baseline():
    base = run_model(programme_scenario(TYPE, run=RUN))
    zero = run_model(programme_scenario(TYPE, {"coverage_fraction": 0.0}, run=RUN))
    assert_same_as_baseline(zero, base, TYPE)
    assert base.timeseries_frame()["relapses"].sum() > 0  # the hook was in use


def test_first_week_relapse_with_the_relapse_hazard_ratio():
    n, hr = 20_000, 0.6
    m = everyone_recovering(n, coverage_fraction=1.0, relapse_hr=hr)
    m.step()
    first = -np.log1p(-m.scenario.care.relapse_first_week_probability)
    expected = -np.expm1(-hr * first)
    observed = 1 - np.mean(m.people.state == Care.RECOVERY)
    assert within(observed, expected, binomial_se(expected, n))


def test_clients_complete_after_duration_weeks_and_do_not_re_enrol():
    """With relapse_hr 0 nobody relapses while enrolled: everyone completes together."""
    n, weeks, unit = 3000, 3, 20.0
    m = everyone_recovering(
        n,
        coverage_fraction=1.0,
        relapse_hr=0.0,
        duration_weeks=weeks,
        cost_usd_per_client_per_week=unit,
    )
    m.run(weeks=weeks)
    assert (m.people.state == Care.RECOVERY).all()
    assert (m.people.relapse_multiplier == 0.0).all()
    m.run(weeks=2)
    assert (m.people.relapse_multiplier == 1.0).all()  # no incentives after completion
    assert m.timeseries_frame()["relapses"].iloc[weeks + 1] > 0
    ev = m.events_frame()
    done = ev[(ev.kind == TYPE) & (ev.detail == "completed")]
    assert len(done) == n and (done.week == weeks + 1).all()
    out = m.programme_frame().set_index(["output", "week"])["value"]
    assert out["enrolled"].loc[1 : weeks + 2].tolist() == [n] * weeks + [0, 0]
    assert out["completions"].loc[1 : weeks + 2].tolist() == [0] * weeks + [n, 0]
    assert (out["cost_usd"] == out["enrolled"] * unit).all()


def test_clients_who_relapse_leave():
    m = everyone_recovering(3000, coverage_fraction=1.0, relapse_hr=1.0)
    m.step()
    relapsed = set(m.people.pid[m.people.state == Care.ACTIVE])
    m.step()
    ev = m.events_frame()
    left = ev[(ev.kind == TYPE) & (ev.detail == "relapsed")]
    assert len(relapsed) > 100
    assert set(left.person) == relapsed and (left.week == 2).all()


def test_coverage_enrols_a_share_of_people_in_recovery():
    n, coverage = 20_000, 0.3
    m = everyone_recovering(n, coverage_fraction=coverage)
    m.step()
    programme = next(p for p in m.interventions if p.type == TYPE)
    share = np.mean(programme.enrolled)
    assert within(share, coverage, binomial_se(coverage, n))


def test_scenario_file_runs():
    scenario = load_scenario(SCENARIO_FILE).with_overrides({"run.people": 1000})
    assert scenario.interventions[0].type == TYPE
    m = HarmReductionModel(scenario)
    m.run(weeks=4)
    out = m.programme_frame()
    assert out[out.output == "enrolled"]["value"].iloc[-1] > 0
    assert {"completions", "cost_usd"} <= set(out["output"])
