"""Supervised consumption: staffed, unshared injections for clients within reach."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from programme_helpers import (
    EVERYONE_USING,
    assert_same_apart_from_own_events,
    programme_scenario,
    run_model,
    text_events,
    weekly_outputs,
)

from conftest import binomial_se, within
from hrsim import HarmReductionModel
from hrsim.core.states import Care
from hrsim.economics.prices import factor
from hrsim.processes import Overdose
from hrsim.scenario import load_scenario

TYPE = "supervised_consumption"
RUN = {"people": 2000, "years": 0.5, "seed": 3, "name": "t"}
SCENARIO_FILE = Path(__file__).parents[2] / "scenarios" / f"{TYPE}.toml"
# Everyone who injects, inside the site whenever they inject.
EVERYONE_SUPERVISED = {
    "reach_fraction": 1.0,
    "open_hours_fraction": 1.0,
    "capacity_visits_per_week": 1e7,
}


@pytest.mark.parametrize(
    ("programme", "enrols"),
    [({"reach_fraction": 0.0}, False), ({"capacity_visits_per_week": 0.0}, True)],
)
def test_a_site_nobody_can_use_changes_nothing(programme, enrols):
    """No reach, or no capacity: results are the baseline's, bit for bit."""
    base = run_model(programme_scenario(TYPE, run=RUN))
    site = run_model(programme_scenario(TYPE, programme, run=RUN))
    assert_same_apart_from_own_events(site, base, TYPE, logs_own=enrols)


def run_recording_clients(model: HarmReductionModel) -> pd.DataFrame:
    """Run to the end; return the (person, week) pairs of the site's clients."""
    programme = model.interventions[0]
    rows = []
    while model.running:
        model.step()
        # Clients of this week (dead clients leave only at the next week's step).
        pids = model.people.pid[programme.enrolled]
        rows.append(pd.DataFrame({"person": pids, "week": model.week}))
    return pd.concat(rows, ignore_index=True)


HIGH_RISK = {
    "overdose": {"base_rate_per_year": 20.0},
    "population": {"hcv_prevalence_inject": 0.5},
    # Everyone who injects is in a receptive sharing episode that lasts.
    "injecting": {
        "sharing_episode_start_probability_per_week": 1.0,
        "sharing_episode_mean_weeks": 5200.0,
    },
}


def test_fully_supervised_clients_never_die_of_overdose_nor_share():
    """With every client inside the site for every injection and staff who always reverse:
    every overdose of a client is reversed_supervised and no client is infected along an
    injecting tie. The same people with a site of no capacity die and are infected."""
    outcomes = {}
    for name, capacity in (("site", 1e7), ("no_capacity", 0.0)):
        programme = {**EVERYONE_SUPERVISED, "staff_reversal_probability": 1.0}
        programme["capacity_visits_per_week"] = capacity
        model = HarmReductionModel(
            # No burn-in: the drawn population (half of injectors with HCV, the rest not),
            # before five years of this risk have infected or killed everyone.
            programme_scenario(
                TYPE, programme, run={**RUN, "years": 0.4, "burn_in_years": 0.0}, **HIGH_RISK
            )
        )
        clients = run_recording_clients(model)
        ev = text_events(model).merge(clients, on=["person", "week"])
        outcomes[name] = ev
    site, control = outcomes["site"], outcomes["no_capacity"]
    od = site[site["kind"] == "overdose"]
    assert len(od) > 100
    assert (od["detail"] == "reversed_supervised").all()
    assert not site["detail"].isin(["hiv_injecting", "hcv_injecting", "hcv_equipment"]).any()
    # The same clients without the site: the assertions above could have failed.
    control_od = control[control["kind"] == "overdose"]
    assert control_od["detail"].str.startswith("fatal").sum() > 5
    assert control["detail"].isin(["hcv_injecting"]).sum() > 5


def test_supervised_overdoses_are_fatal_at_the_staffs_miss_rate():
    """With staff reversal p < 1, a supervised overdose is fatal with (1 - p) x the
    witnessed fatality (the site's draw decides reversal, then the fatality draw)."""
    p = 0.6
    n = 4000
    model = HarmReductionModel(
        programme_scenario(
            TYPE,
            {**EVERYONE_SUPERVISED, "staff_reversal_probability": p},
            # No burn-in: 5 years at this rate would leave nobody to overdose.
            run={**RUN, "people": n, "years": 0.2, "burn_in_years": 0.0},
            population={"inject_fraction": 1.0, **EVERYONE_USING},
            overdose={"base_rate_per_year": 1000.0},
        ),
        processes=(Overdose,),
    )
    model.run()
    od = text_events(model).query("kind == 'overdose'")
    total = len(od)
    assert total > 20_000
    assert (
        od["detail"].isin(["fatal_supervised", "reversed_supervised", "survived_supervised"]).all()
    )
    fatal_share = float(np.mean(od["detail"] == "fatal_supervised"))
    expected = (1 - p) * model.scenario.overdose.fatal_probability_witnessed
    assert within(fatal_share, expected, binomial_se(expected, total))
    reversed_share = float(np.mean(od["detail"] == "reversed_supervised"))
    assert within(reversed_share, p, binomial_se(p, total))


def test_capacity_is_shared_and_outputs_and_costs_add_up():
    """Share = min(open hours, capacity / (clients x injections)); visits, hooks, reach,
    referrals and cost follow from it."""
    programme = {
        "reach_fraction": 0.4,
        "open_hours_fraction": 0.8,
        "capacity_visits_per_week": 2000.0,
        "injections_per_client_per_week": 14.0,
        "cost_usd_per_visit": 1.5,
        "fixed_cost_usd_per_week": 1000.0,
        "moud_referral_probability_per_week": 0.05,
        "staff_reversal_probability": 0.99,
    }
    model = HarmReductionModel(programme_scenario(TYPE, programme, run={**RUN, "people": 4000}))
    people, site = model.people, model.interventions[0]
    eligible = (people.state == Care.ACTIVE) & people.injects
    model.step()
    clients = np.flatnonzero(site.enrolled)
    reach = clients.size / np.count_nonzero(eligible)
    assert within(reach, 0.4, binomial_se(0.4, int(np.count_nonzero(eligible))))
    assert eligible[clients].all()
    share = min(0.8, 2000.0 / (clients.size * 14.0))
    assert share < 0.8  # the capacity binds in this setting
    np.testing.assert_array_equal(people.supervised_fraction[clients], np.float32(share))
    assert (people.supervised_fraction[~site.enrolled] == 0).all()
    assert model.hooks.supervised_reversal_probability == 0.99
    model.run(weeks=20)
    out = weekly_outputs(model)
    expected_share = np.minimum(0.8, 2000.0 / (out["enrolled"] * 14.0))
    np.testing.assert_allclose(out["supervised_fraction"], expected_share, rtol=1e-12)
    np.testing.assert_allclose(out["visits"], out["enrolled"] * 14.0 * expected_share, rtol=1e-12)
    assert (out["visits"] <= 2000.0 + 1e-9).all()
    # The site's costs are 2014 dollars (its default price_year), reported in 2024 dollars.
    to_2024 = factor(model.scenario.interventions[0].price_year, 2024)
    assert to_2024 == 563.841 / 435.292
    expected_cost = (1000.0 + out["visits"] * 1.5) * to_2024
    np.testing.assert_allclose(out["cost_usd"], expected_cost, rtol=1e-12)
    client_weeks = int(out["enrolled"].sum())
    referral_rate = out["moud_referrals"].sum() / client_weeks
    assert within(referral_rate, 0.05, binomial_se(0.05, client_weeks))
    assert out["detox_referrals"].sum() > 0


def test_the_scenario_file_loads_and_runs():
    model = HarmReductionModel(load_scenario(SCENARIO_FILE, {"run.people": 1500}))
    assert model.scenario.run.name == TYPE
    assert [p.type for p in model.scenario.interventions] == [TYPE]
    model.run(weeks=4)
    out = model.programme_frame()
    visits = out[(out["output"] == "visits") & (out["week"] > 0)]["value"]
    assert len(visits) == 4
    assert (visits > 0).all()
