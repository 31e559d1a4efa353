"""Contingency management as an adjunct to MOUD: retention, duration, exits, outputs, costs."""

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
# No other care flows (no arrests among the people on MOUD).
QUIET_CARE = {
    "detox_entry_rate_per_year": 0.0,
    "moud_initiation_rate_per_year": 0.0,
    "arrest_rate_per_year": 0.0,
    "spontaneous_remission_rate_per_year": 0.0,
}


def everyone_on_moud(people: int, **programme: object) -> HarmReductionModel:
    """Care only; everyone on buprenorphine past week 26 (the late, constant hazard)."""
    scenario = programme_scenario(
        TYPE,
        programme,
        run={"name": "t", "people": people, "years": 1.0, "seed": 6, "burn_in_years": 0.0},
        care=QUIET_CARE,
        # One row per person: the test sets every row's state (no spare rows, no initiates).
        demography={"row_headroom": 1.0, "initiation_per_1000_by_year": [0.0]},
    )
    m = HarmReductionModel(scenario, processes=(CareProcess,))
    m.people.state[:] = Care.BUPRENORPHINE
    m.people.weeks_in_state[:] = 30
    return m


def test_zero_coverage_is_the_baseline():
    base = run_model(programme_scenario(TYPE, run=RUN))
    zero = run_model(programme_scenario(TYPE, {"coverage_fraction": 0.0}, run=RUN))
    assert_same_as_baseline(zero, base, TYPE)
    assert base.timeseries_frame()["moud_exits"].sum() > 0  # the hook was in use


def test_retention_on_moud_with_the_discontinuation_hazard_ratio():
    """Clients' hazard of leaving MOUD is hr x the late hazard: after k weeks the share still
    on buprenorphine is exp(-k hr h), h = -ln(R12) / (4 e + 22 m + 26) (care's curve)."""
    n, hr, weeks = 20_000, 0.5, 12
    m = everyone_on_moud(n, coverage_fraction=1.0, discontinuation_hr=hr, duration_weeks=52)
    m.run(weeks=weeks)
    c = m.scenario.care
    late = -np.log(c.buprenorphine_retention_12_months) / (
        4 * c.moud_early_hazard_ratio_weeks_1_4 + 22 * c.moud_mid_hazard_ratio_weeks_5_26 + 26
    )
    expected = np.exp(-weeks * hr * late)
    observed = np.mean(m.people.state == Care.BUPRENORPHINE)
    assert within(observed, expected, binomial_se(expected, n))
    assert not within(observed, np.exp(-weeks * late), binomial_se(expected, n))


def test_no_relapse_effect_on_people_in_recovery():
    m = everyone_on_moud(2000, coverage_fraction=1.0)
    m.people.state[:1000] = Care.RECOVERY
    m.step()
    assert (m.people.relapse_multiplier == 1.0).all()
    programme = next(p for p in m.interventions if p.type == TYPE)
    assert not programme.enrolled[:1000].any() and programme.enrolled[1000:].all()


def test_clients_complete_after_duration_weeks_and_do_not_re_enrol():
    """With discontinuation_hr 0 nobody leaves MOUD while enrolled: all complete together."""
    n, weeks, unit = 3000, 3, 20.0
    m = everyone_on_moud(
        n,
        coverage_fraction=1.0,
        discontinuation_hr=0.0,
        duration_weeks=weeks,
        cost_usd_per_client_per_week=unit,
    )
    m.run(weeks=weeks)
    assert (m.people.state == Care.BUPRENORPHINE).all()
    assert (m.people.moud_discontinuation_multiplier == 0.0).all()
    m.run(weeks=2)
    assert (m.people.moud_discontinuation_multiplier == 1.0).all()  # no incentives after
    ev = m.events_frame()
    done = ev[(ev.kind == TYPE) & (ev.detail == "completed")]
    assert len(done) == n and (done.week == weeks + 1).all()
    out = m.programme_frame().set_index(["output", "week"])["value"]
    assert out["enrolled"].loc[1 : weeks + 2].tolist() == [n] * weeks + [0, 0]
    assert out["completions"].loc[1 : weeks + 2].tolist() == [0] * weeks + [n, 0]
    assert (out["cost_usd"] == out["enrolled"] * unit).all()


def test_clients_who_leave_moud_leave():
    m = everyone_on_moud(5000, coverage_fraction=1.0, discontinuation_hr=5.0)
    m.step()
    gone = set(m.people.pid[m.people.state != Care.BUPRENORPHINE])
    m.step()
    ev = m.events_frame()
    left = ev[(ev.kind == TYPE) & (ev.detail == "left_moud")]
    assert len(gone) > 50
    assert set(left.person) == gone and (left.week == 2).all()


def test_coverage_enrols_a_share_of_people_on_moud():
    n, coverage = 20_000, 0.3
    m = everyone_on_moud(n, coverage_fraction=coverage)
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
