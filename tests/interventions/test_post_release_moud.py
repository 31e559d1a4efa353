"""MOUD at release: the share of releases onto MOUD, the ramp, starts counted and costed."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from programme_helpers import assert_same_as_baseline, programme_scenario, run_model

from conftest import binomial_se, within
from hrsim import HarmReductionModel
from hrsim.core.states import Care
from hrsim.processes import CareProcess
from hrsim.scenario import load_scenario

TYPE = "post_release_moud"
SCENARIO_FILE = Path(__file__).resolve().parents[2] / "scenarios" / f"{TYPE}.toml"
RUN = {"name": "t", "people": 2000, "years": 1.0, "seed": 3}
# Half the population in custody (jail or prison), nobody on MOUD, a place for everyone,
# no other care flows.
PRISON = {
    "population": {"prison_fraction": 0.5, "moud_fraction": 0.0},
    "care": {
        "moud_capacity_fraction": 1.0,
        "detox_entry_rate_per_year": 0.0,
        "moud_initiation_rate_per_year": 0.0,
        "arrest_rate_per_year": 0.0,
        "spontaneous_remission_rate_per_year": 0.0,
    },
}


def release_model(
    people: int, places: int | None = None, **programme: object
) -> HarmReductionModel:
    """Care only (nobody dies), with the post-release MOUD programme; MOUD ``places`` (default:
    one for everyone). No burn-in: the half in custody is the drawn population's (with no
    arrests, burn-in would release them)."""
    run = {"name": "t", "people": people, "years": 1.0, "seed": 8, "burn_in_years": 0.0}
    care = PRISON["care"] | ({} if places is None else {"moud_capacity_fraction": places / people})
    scenario = programme_scenario(TYPE, programme, run=run, **(PRISON | {"care": care}))
    return HarmReductionModel(scenario, processes=(CareProcess,))


def release_events(m: HarmReductionModel) -> pd.DataFrame:
    """Releases from custody (jail or prison; not a jail stay ending in a prison sentence):
    'at_release' onto MOUD, 'release' into abstinence."""
    ev = m.events_frame()
    custody = ev.from_state.isin(["jail", "prison"]) & (ev.detail != "sentenced")
    return ev[(ev.kind == "transition") & custody]


def test_zero_coverage_is_the_baseline():
    base = run_model(programme_scenario(TYPE, run=RUN))
    zero = run_model(programme_scenario(TYPE, {"coverage_fraction": 0.0}, run=RUN))
    assert_same_as_baseline(zero, base, TYPE)
    assert base.timeseries_frame()["releases"].sum() > 0  # the hook was in use


def test_share_of_releases_onto_moud_is_the_coverage():
    coverage = 0.4
    m = release_model(20_000, coverage_fraction=coverage)
    m.run(weeks=8)
    rel = release_events(m)
    assert set(rel.detail) == {"at_release", "release"}
    share = np.mean(rel.detail == "at_release")
    assert within(share, coverage, binomial_se(coverage, len(rel)))
    assert set(rel.to_state[rel.detail == "at_release"]) == {"methadone", "buprenorphine"}


def test_share_ramps_up():
    m = release_model(1000, coverage_fraction=0.8, start_week=3, ramp_up_weeks=4)
    shares = []
    for _ in range(7):
        m.step()
        shares.append(m.hooks.post_release_moud_fraction)
    np.testing.assert_allclose(shares, [0, 0, 0.2, 0.4, 0.6, 0.8, 0.8], rtol=1e-12)


def test_starts_at_release_are_counted_and_costed_a_week_later():
    weeks, unit, fixed = 8, 300.0, 50.0
    m = release_model(
        5000,
        coverage_fraction=0.5,
        cost_usd_per_start_at_release=unit,
        fixed_cost_usd_per_week=fixed,
    )
    m.run(weeks=weeks)
    rel = release_events(m)
    starts = rel[rel.detail == "at_release"].groupby("week").size()
    out = m.programme_frame().set_index(["output", "week"])["value"]
    counted = out["starts_at_release"]
    assert counted[1] == 0
    for week in range(2, weeks + 1):
        assert counted[week] == starts.get(week - 1, 0)
        assert out["cost_usd"][week] == counted[week] * unit + fixed
    assert counted.sum() > 100


def test_scenario_file_runs():
    scenario = load_scenario(SCENARIO_FILE).with_overrides({"run.people": 1000})
    assert scenario.interventions[0].type == TYPE
    m = HarmReductionModel(scenario)
    m.run(weeks=4)
    assert m.hooks.post_release_moud_fraction == scenario.interventions[0].coverage_fraction
    assert {"enrolled", "starts_at_release", "cost_usd"} <= set(m.programme_frame()["output"])


def _one_week_of_admissions(free: int) -> tuple[int, int, int]:
    """Everyone released this week is offered MOUD; 300 people in active use are already on
    the waiting list; ``free`` places. Returns (released, admitted at release, from the list)."""
    m = release_model(2000, places=free, coverage_fraction=1.0)  # nobody is on MOUD yet
    p = m.people
    active = np.flatnonzero(p.state == Care.ACTIVE)[:300]
    p.moud_waiting_since[active] = -1
    m.step()
    ev = m.events_frame()
    week = ev[(ev.week == 1) & (ev.kind == "transition")]
    released = release_events(m)
    return (
        int((released.week == 1).sum()),
        int((week.detail == "at_release").sum()),
        int((week.detail == "from_waiting_list").sum()),
    )


def test_a_start_at_release_takes_a_place_before_the_waiting_list():
    """A start at release is a transfer of care, like MOUD continued in custody: it takes a
    free place before anyone on the list, and so displaces one admission from it. (It once
    queued behind the list, and with the default list the programme then did nothing.)"""
    released, _, _ = _one_week_of_admissions(0)
    assert 20 < released < 250  # fewer releases than people waiting: both cases below occur
    few = released // 2
    assert _one_week_of_admissions(few) == (released, few, 0)
    assert _one_week_of_admissions(released + 30) == (released, released, 30)


def test_with_no_place_free_a_release_on_moud_waits_in_active_use_with_tolerance_kept():
    m = release_model(2000, places=0, coverage_fraction=1.0)
    m.step()
    ev = m.events_frame()
    out = ev[(ev.week == 1) & (ev.kind == "transition") & (ev.detail == "release_no_moud_place")]
    rows = out.person.to_numpy()  # no demography: a row is its pid
    assert rows.size > 20
    assert (m.people.state[rows] == Care.ACTIVE).all()
    assert (m.people.tolerance[rows] == 1.0).all()
    assert (m.people.moud_waiting_since[rows] == 1).all()
    assert not (ev[ev.week == 1].detail == "at_release").any()
