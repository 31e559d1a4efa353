"""Fentanyl test strips: baseline at zero coverage, the weekly dose change, outputs and costs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from programme_helpers import (
    assert_same_as_baseline,
    programme_scenario,
    run_model,
    weekly_outputs,
)

from conftest import binomial_se, within
from hrsim import HarmReductionModel
from hrsim.core.states import Care
from hrsim.scenario import load_scenario

TYPE = "fentanyl_test_strips"
RUN = {"people": 3000, "years": 1.0, "seed": 3, "name": "t"}
SCENARIO_FILE = Path(__file__).resolve().parents[2] / "scenarios" / f"{TYPE}.toml"


def test_zero_coverage_is_the_baseline():
    base = run_model(programme_scenario(TYPE, run=RUN))
    zero = run_model(programme_scenario(TYPE, {"coverage_fraction": 0.0}, run=RUN))
    assert_same_as_baseline(zero, base, TYPE)
    # The comparison is not vacuous: with coverage the programme acts and changes the run.
    full = run_model(
        programme_scenario(
            TYPE, {"coverage_fraction": 1.0, "changed_dose_overdose_rr": 0.0}, run=RUN
        )
    )
    assert (full.events_frame()["kind"] == TYPE).any()
    assert not base.timeseries_frame().equals(full.timeseries_frame())


def test_neutral_dose_change_leaves_the_run_unchanged():
    """Strips that change nothing (rr 1) draw only from the programme's own streams."""
    base = run_model(programme_scenario(TYPE, run=RUN))
    neutral = run_model(
        programme_scenario(
            TYPE, {"coverage_fraction": 1.0, "changed_dose_overdose_rr": 1.0}, run=RUN
        )
    )
    pd.testing.assert_frame_equal(base.timeseries_frame(), neutral.timeseries_frame())
    events = neutral.events_frame()
    others = events[events["kind"] != TYPE].reset_index(drop=True)
    pd.testing.assert_frame_equal(
        base.events_frame().astype(str), others.astype(str), check_categorical=False
    )


def test_share_of_users_whose_dose_changes_is_sensitivity_x_share_x_change():
    """Among users with strips, the share whose overdose multiplier is lowered in a week is
    detection_sensitivity x fentanyl share x behaviour_change_probability."""
    sensitivity, change, rr, share = 0.9, 0.6, 0.3, 0.8
    scenario = programme_scenario(
        TYPE,
        {
            "coverage_fraction": 1.0,
            "detection_sensitivity": sensitivity,
            "behaviour_change_probability": change,
            "changed_dose_overdose_rr": rr,
        },
        run={**RUN, "people": 20_000},
        overdose={"fentanyl_share_by_year": [share]},
    )
    m = HarmReductionModel(scenario, processes=())
    programme = m.interventions[0]
    expected = sensitivity * share * change
    lowered_weeks = []
    for _ in range(2):
        m.step()
        users = programme.enrolled
        assert np.array_equal(users, m.people.state == Care.ACTIVE)  # coverage 1: every user
        multiplier = m.people.overdose_multiplier
        lowered = multiplier < 1.0
        assert not (lowered & ~users).any()
        np.testing.assert_array_equal(multiplier[lowered], np.float32(rr))
        n = int(users.sum())
        observed = lowered[users].mean()
        assert within(observed, expected, binomial_se(expected, n)), observed
        lowered_weeks.append(lowered)
    # A fresh draw each week: not the same people twice.
    assert not np.array_equal(lowered_weeks[0], lowered_weeks[1])


def test_outputs_and_costs_match_the_users():
    strips_per_user, cost_per_strip = 3.0, 1.5
    programme = {
        "coverage_fraction": 0.5,
        "strips_per_user_per_week": strips_per_user,
        "cost_usd_per_strip": cost_per_strip,
    }
    m = run_model(programme_scenario(TYPE, programme, run=RUN), weeks=6)
    out = weekly_outputs(m)
    assert (out["users_with_strips"] == out["enrolled"]).all()
    assert out["users_with_strips"].iloc[-1] == np.count_nonzero(m.interventions[0].enrolled)
    assert (out["strips"] == out["users_with_strips"] * strips_per_user).all()
    assert (out["cost_usd"] == out["strips"] * cost_per_strip).all()
    assert (out["changed_use"] <= out["positive_tests"]).all()
    assert (out["positive_tests"] <= out["users_with_strips"]).all()
    assert out["changed_use"].iloc[-1] == np.count_nonzero(m.people.overdose_multiplier < 1)
    assert out["changed_use"].sum() > 0
    # Coverage: about half the people in active use have strips.
    active = m.people.state == Care.ACTIVE
    share = np.count_nonzero(active & m.interventions[0].enrolled) / np.count_nonzero(active)
    assert within(share, 0.5, binomial_se(0.5, int(active.sum())))


def test_scenario_file_loads_and_runs():
    scenario = load_scenario(SCENARIO_FILE, {"run.people": 1000})
    assert scenario.run.name == TYPE
    assert [p.type for p in scenario.interventions] == [TYPE]
    m = run_model(scenario, weeks=4)
    assert weekly_outputs(m)["users_with_strips"].iloc[-1] > 0
