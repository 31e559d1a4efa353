"""Peer navigation: reach and linkage after an overdose, the delayed referral, outputs, costs."""

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
from hrsim.core.people import NEVER
from hrsim.core.states import Care
from hrsim.processes import CareProcess, Overdose
from hrsim.scenario import load_scenario

TYPE = "peer_navigation"
SCENARIO_FILE = Path(__file__).resolve().parents[2] / "scenarios" / f"{TYPE}.toml"
RUN = {"name": "t", "people": 2000, "years": 1.0, "seed": 3}

# Everyone in active use, many overdoses, no usual-care referral after an overdose.
MANY_OVERDOSES = {
    "population": {
        **EVERYONE_USING,
        "inject_fraction": 0.0,
        "heavy_use_fraction": 0.0,
    },
    "overdose": {
        "base_rate_per_year": 20.0,
        "recent_overdose_rr": 1.0,
    },
    "supply": {"fentanyl_share_by_year": [0.0]},
    # Issue 13: no ED-initiated buprenorphine either (its referrals would start MOUD too).
    "response": {"ed_buprenorphine_probability": 0.0},
}
QUIET_CARE = {
    "detox_entry_rate_per_year": 0.0,
    "moud_initiation_rate_per_year": 0.0,
    "arrest_rate_per_year": 0.0,
    "spontaneous_remission_rate_per_year": 0.0,
    "overdose_referral_to_moud_probability": 0.0,
    "moud_capacity_fraction": 1.0,
}


def navigated_model(people: int, processes: tuple, **programme: object) -> HarmReductionModel:
    """Many overdoses among people in active use, with a peer navigation programme."""
    scenario = programme_scenario(
        TYPE,
        programme,
        # No burn-in: the drawn population, everyone in active use (five years at this
        # overdose rate would leave almost nobody).
        run={"name": "t", "people": people, "years": 1.0, "seed": 11, "burn_in_years": 0.0},
        care=QUIET_CARE,
        **MANY_OVERDOSES,
    )
    return HarmReductionModel(scenario, processes=processes)


def test_zero_coverage_is_the_baseline():
    base = run_model(programme_scenario(TYPE, run=RUN))
    zero = run_model(programme_scenario(TYPE, {"coverage_fraction": 0.0}, run=RUN))
    assert_same_as_baseline(zero, base, TYPE)
    assert base.timeseries_frame()["overdoses_nonfatal"].sum() > 0  # someone could be reached


def test_reach_and_linkage_of_last_weeks_ed_visitors():
    """Week 1's ED visitors after an overdose are reached in week 2 with the coverage (issue
    13: the ED visit is the trigger, not any overdose); a reached visitor is linked with
    linkage_probability, and the referral falls exactly delay_weeks later."""
    coverage, linkage, delay = 0.6, 0.4, 5
    m = navigated_model(
        8000,
        (Overdose,),
        coverage_fraction=coverage,
        linkage_probability=linkage,
        delay_weeks=delay,
        cost_usd_per_navigation_episode=250.0,
    )
    m.step()
    overdosed = np.flatnonzero(m.people.weeks_since_overdose == 1)
    survivors = np.flatnonzero(m.people.ed_visit_week == 1)  # week 1's ED visitors
    assert np.isin(survivors, overdosed).all()
    assert 0 < survivors.size < overdosed.size  # not every survivor reaches an ED
    assert (m.people.state[survivors] == Care.ACTIVE).all()
    m.step()
    programme = next(p for p in m.interventions if p.type == TYPE)
    reached = np.flatnonzero(programme.enrolled)
    assert np.isin(reached, survivors).all()  # only last week's survivors
    share = reached.size / survivors.size
    assert within(share, coverage, binomial_se(coverage, survivors.size))

    referral = m.people.moud_referral_week[reached]
    linked = referral != NEVER
    assert within(linked.mean(), linkage, binomial_se(linkage, reached.size))
    assert (referral[linked] == 2 + delay).all()
    assert (m.people.moud_referral_week[np.setdiff1d(survivors, reached)] == NEVER).all()

    # Outputs and costs agree with the enrolment, exactly.
    out = m.programme_frame().set_index(["week", "output"])["value"]
    assert out[(2, "episodes")] == reached.size
    assert out[(2, "linkages")] == np.count_nonzero(linked)
    assert out[(2, "enrolled")] == reached.size
    assert out[(2, "cost_usd")] == reached.size * 250.0
    assert out[(1, "episodes")] == 0  # nobody had survived an overdose before week 1


def test_care_starts_moud_for_the_linked_in_their_referral_week():
    delay = 3
    m = navigated_model(
        4000,
        (CareProcess, Overdose),
        coverage_fraction=1.0,
        linkage_probability=0.5,
        delay_weeks=delay,
    )
    m.run(weeks=2 + delay)
    ev = m.events_frame()
    linked = set(ev.person[(ev.kind == TYPE) & (ev.week == 2) & (ev.detail == "linked")])
    died = set(ev.person[(ev.kind == "death") & (ev.week < 2 + delay)])
    starts = ev[(ev.kind == "transition") & (ev.detail == "overdose_referral")]
    assert len(linked) > 100
    assert set(starts.person[starts.week == 2 + delay]) == linked - died
    assert (starts.week == 2 + delay).all()  # no referral came earlier


def test_navigation_ends_in_the_referral_week():
    m = navigated_model(3000, (Overdose,), coverage_fraction=1.0, delay_weeks=2)
    m.run(weeks=6)
    ev = m.events_frame()
    nav = ev[ev.kind == TYPE]
    start = nav[nav.detail.isin(["linked", "not_linked"])].groupby("person").week.min()
    end = nav[nav.detail == "completed"].groupby("person").week.min()
    both = start.index.intersection(end.index)
    assert both.size > 100
    assert (end[both] - start[both] == 3).all()  # enrolled in weeks w, w+1, w+2


def test_scenario_file_runs():
    scenario = load_scenario(SCENARIO_FILE).with_overrides({"run.people": 1000})
    assert scenario.interventions[0].type == TYPE
    m = HarmReductionModel(scenario)
    m.run(weeks=4)
    outputs = set(m.programme_frame()["output"])
    assert {"enrolled", "episodes", "linkages", "cost_usd"} <= outputs
