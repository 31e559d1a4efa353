"""PrEP: baseline at zero coverage, per-act protection on injecting ties, exits, outputs, costs."""

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

from conftest import within
from hrsim import HarmReductionModel
from hrsim.processes import Infections, Injecting
from hrsim.scenario import load_scenario

TYPE = "prep"
RUN = {"people": 3000, "years": 1.0, "seed": 3, "name": "t"}
# The INJECTING_ONLY tests start from the drawn population (half with HIV, nobody diagnosed):
# no burn-in, in which the isolated processes would infect most susceptible partners.
DRAWN = {**RUN, "burn_in_years": 0.0}
SCENARIO_FILE = Path(__file__).resolve().parents[2] / "scenarios" / f"{TYPE}.toml"

# Everyone actively injecting, half with HIV, nobody diagnosed (so nobody on ART), no sex.
INJECTING_ONLY = {
    "population": {
        "inject_fraction": 1.0,
        "hiv_prevalence_inject": 0.5,
        "hiv_diagnosed_fraction": 0.0,
        **EVERYONE_USING,
    },
    # With the injecting process: everyone in a receptive sharing episode that lasts, and
    # nobody stops injecting (so clients leave only by seroconverting).
    "injecting": {
        "sharing_episode_start_probability_per_week": 1.0,
        "sharing_episode_mean_weeks": 5200.0,
        "injecting_cessation_rate_per_year": 0.0,
        "injecting_to_smoking_rate_per_year": 0.0,
    },
    "infection": {
        "hiv_testing_rate_per_year": 0.0,
        "hiv_per_sex_act": 0.0,
    },
}


def test_zero_coverage_is_the_baseline():
    base = run_model(programme_scenario(TYPE, run=RUN))
    zero = run_model(programme_scenario(TYPE, {"coverage_fraction": 0.0}, run=RUN))
    assert_same_as_baseline(zero, base, TYPE)
    full = run_model(programme_scenario(TYPE, {"coverage_fraction": 1.0}, run=RUN), weeks=2)
    assert (full.events_frame()["kind"] == TYPE).any()  # the comparison is not vacuous


def _risk_per_person(m: HarmReductionModel, infected: np.ndarray) -> np.ndarray:
    """Each person's probability of HIV this week along injecting ties: per-exposure
    probability times the person's acquisition multiplier, the person's receptive shared
    injections split among the partners who injected (as in test_processes's HCV test).
    Sources are chronic (week-0 infections) and nobody is diagnosed, so none is acute or
    suppressed."""
    p = m.people
    i = m.scenario.infection
    injected = p.injected_this_week
    a, b = m.network.layers["injecting"].endpoints()
    partners = np.bincount(a, weights=injected[a] & injected[b], minlength=p.n)
    ok = infected[a] & ~infected[b] & injected[a] & injected[b]
    a, b = a[ok], b[ok]
    assert not (p.hiv_weeks[a] <= i.hiv_acute_weeks).any()
    per_act = i.hiv_per_shared_injection * p.hiv_acquisition_multiplier[b].astype(np.float64)
    n = p.receptive_shared_injections[b].astype(np.float64) / partners[b]
    p_edge = -np.expm1(n * np.log1p(-per_act))
    escape = np.ones(p.n)
    np.multiply.at(escape, b, 1 - p_edge)
    return 1 - escape


def test_one_week_of_injecting_infections_matches_the_lowered_per_act_probability():
    efficacy, adherence = 0.6, 0.8
    observed = {True: 0, False: 0}
    expected = {True: 0.0, False: 0.0}
    var = {True: 0.0, False: 0.0}
    for seed in range(2):
        scenario = programme_scenario(
            TYPE,
            {"coverage_fraction": 0.5, "efficacy": efficacy, "adherence_fraction": adherence},
            run=DRAWN,
            **INJECTING_ONLY,
        ).with_overrides({"run.people": 20_000, "run.seed": seed})
        m = HarmReductionModel(scenario, processes=(Infections,))
        # Half make 50 receptive shared injections this week (hand-set: the injecting
        # process does not run), so the test has power with exposures split among partners.
        half = np.random.default_rng(seed).random(m.people.n) < 0.5
        m.people.receptive_shared_injections[:] = np.where(half, 50.0, 0.0)
        before = m.people.hiv.copy()
        m.step()
        covered = m.interventions[0].enrolled.copy()
        multiplier = m.people.hiv_acquisition_multiplier
        np.testing.assert_allclose(multiplier[covered], 1 - efficacy * adherence, rtol=1e-6)
        assert (multiplier[~covered] == 1.0).all()
        assert not (covered & before).any()  # PrEP only for HIV-negative people
        risk = _risk_per_person(m, before)
        new = m.people.hiv & ~before
        for group in (True, False):
            rows = covered == group
            observed[group] += int(new[rows].sum())
            expected[group] += float(risk[rows].sum())
            var[group] += float(np.sum(risk[rows] * (1 - risk[rows])))
    for group in (True, False):
        assert expected[group] > 200
        assert within(observed[group], expected[group], np.sqrt(var[group])), (group, observed)


def test_full_efficacy_and_adherence_means_no_infection():
    settings = {
        **INJECTING_ONLY,
        "infection": {**INJECTING_ONLY["infection"], "hiv_per_sex_act": 0.01},
    }
    full = programme_scenario(
        TYPE,
        {"coverage_fraction": 1.0, "efficacy": 1.0, "adherence_fraction": 1.0},
        run=DRAWN,
        **settings,
    )
    m = run_model(full, weeks=4, processes=(Injecting, Infections))
    assert m.timeseries_frame()["hiv_infections"].sum() == 0
    none = programme_scenario(TYPE, {"coverage_fraction": 0.0}, run=DRAWN, **settings)
    m0 = run_model(none, weeks=4, processes=(Infections,))
    assert m0.timeseries_frame()["hiv_infections"].sum() > 0


def test_clients_who_seroconvert_leave_the_next_week():
    scenario = programme_scenario(TYPE, {"coverage_fraction": 1.0}, run=DRAWN, **INJECTING_ONLY)
    m = run_model(scenario, weeks=5, processes=(Injecting, Infections))
    events = m.events_frame()
    infections = events[events["detail"].isin(["hiv_injecting", "hiv_sexual"])]
    exits = events[(events["kind"] == TYPE) & (events["detail"] == "seroconverted")]
    assert len(exits) > 0
    # Everyone is a client (coverage 1), so every infection in weeks 1-4 is a client's,
    # and each is followed by a seroconversion exit the week after.
    infected = set(zip(infections["person"], infections["week"] + 1, strict=True))
    left = set(zip(exits["person"], exits["week"], strict=True))
    assert left == {(pid, week) for pid, week in infected if week <= 5}


def test_outputs_and_costs_match_the_clients():
    unit = 7.25
    programme = {"coverage_fraction": 0.4, "cost_usd_per_person_week": unit}
    m = run_model(programme_scenario(TYPE, programme, run=RUN), weeks=6)
    out = weekly_outputs(m)
    assert (out["person_weeks"] == out["enrolled"]).all()
    assert (out["cost_usd"] == out["person_weeks"] * unit).all()
    assert out["enrolled"].iloc[-1] == np.count_nonzero(m.interventions[0].enrolled)
    assert out["enrolled"].min() > 0


def test_scenario_file_loads_and_runs():
    scenario = load_scenario(SCENARIO_FILE, {"run.people": 1000})
    assert scenario.run.name == TYPE
    assert [p.type for p in scenario.interventions] == [TYPE]
    m = run_model(scenario, weeks=4)
    assert weekly_outputs(m)["enrolled"].iloc[-1] > 0
