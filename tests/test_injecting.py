"""Injecting behaviour: routes over time, MOUD lapses, sharing episodes, shared injections.

Each mechanism is checked at the individual level against its parameters: observed weekly
rates against the weekly probabilities (binomial standard errors, 4 SE), the past-year
sharing share against the closed form of the two-state chain, and the shared-injection
formula on hand-set people.
"""

from __future__ import annotations

import numpy as np

from conftest import binomial_se, isolated_model, within
from hrsim import HarmReductionModel
from hrsim.core.people import NEVER, past_year_share, stationary_share
from hrsim.core.states import Care, Route
from hrsim.processes import Injecting
from hrsim.processes.base import weekly_probability

EVERYONE_ACTIVE = {
    "population.moud_fraction": 0.0,
    "population.recovery_fraction": 0.0,
    "population.detox_fraction": 0.0,
    "population.prison_fraction": 0.0,
}
NO_ROUTE_CHANGES = {
    "injecting.start_injecting_rate_per_year": 0.0,
    "injecting.injecting_cessation_rate_per_year": 0.0,
    "injecting.injecting_to_smoking_rate_per_year": 0.0,
    "injecting.return_to_injecting_rate_per_year": 0.0,
}
ALL_INJECTING = {"population.inject_fraction": 1.0, **EVERYONE_ACTIVE, **NO_ROUTE_CHANGES}


def test_episodes_start_and_end_at_their_weekly_probabilities():
    m = isolated_model(20_000, (Injecting,), **ALL_INJECTING)
    ij = m.scenario.injecting
    p = m.people
    starts = ends = at_risk_start = at_risk_end = 0
    for _ in range(10):
        before = p.sharing_episode.copy()
        m.step()
        after = p.sharing_episode
        at_risk_start += int(np.count_nonzero(~before))
        starts += int(np.count_nonzero(~before & after))
        at_risk_end += int(np.count_nonzero(before))
        ends += int(np.count_nonzero(before & ~after))
    a, b = ij.sharing_episode_start_probability_per_week, 1.0 / ij.sharing_episode_mean_weeks
    assert starts > 500 and ends > 500
    assert within(starts / at_risk_start, a, binomial_se(a, at_risk_start), k=4)
    assert within(ends / at_risk_end, b, binomial_se(b, at_risk_end), k=4)
    # The initial population is at the chain's stationary share.
    pi = stationary_share(a, ij.sharing_episode_mean_weeks)
    assert within(after.mean(), pi, binomial_se(pi, p.n), k=4)


def test_past_year_sharing_matches_the_closed_form():
    """Everyone injects all year: the share who shared in the past 52 weeks is
    1 - (1 - a/(a+b)) (1 - a)^51, for the defaults and another chain. (The defaults give 0.41
    for people injecting all year; in the full model, where episodes end on leaving active
    use, 0.26: the calibration the defaults' source describes.)"""
    for extra in (
        {},
        {
            "injecting.sharing_episode_start_probability_per_week": 0.02,
            "injecting.sharing_episode_mean_weeks": 3.0,
        },
    ):
        m = isolated_model(20_000, (Injecting,), **ALL_INJECTING, **extra)
        ij = m.scenario.injecting
        m.run(weeks=52)
        shared = m.people.weeks_since_sharing < 52
        expected = past_year_share(
            ij.sharing_episode_start_probability_per_week, ij.sharing_episode_mean_weeks
        )
        if not extra:
            assert abs(expected - 0.41) < 0.005  # the figure written in the defaults' source
        assert within(shared.mean(), expected, binomial_se(expected, m.people.n), k=4)


def test_route_transitions_happen_at_their_rates():
    rates = {
        "injecting.injecting_to_smoking_rate_per_year": 2.0,
        "injecting.injecting_cessation_rate_per_year": 1.0,
        "injecting.start_injecting_rate_per_year": 1.5,
        "injecting.return_to_injecting_rate_per_year": 3.0,
        "injecting.initial_former_injector_fraction": 0.5,
        "injecting.noninjecting_smoking_fraction": 0.25,
    }
    m = isolated_model(20_000, (Injecting,), **EVERYONE_ACTIVE, **rates)
    p = m.people
    injecting = p.injects.copy()
    never = ~injecting & (p.weeks_since_injected == NEVER)
    former = ~injecting & ~never
    route_before = p.route.copy()
    m.step()
    ev = m.events_frame()
    ev = ev[ev["kind"] == "behaviour"]
    counts = ev["detail"].astype(str).value_counts()
    p_leave = float(weekly_probability(3.0))

    def check(observed: int, p_event: float, n: int) -> None:
        assert observed > 50
        assert within(observed / n, p_event, binomial_se(p_event, n), k=4)

    n_inj = int(injecting.sum())
    check(counts["switched_to_smoking"], p_leave * 2 / 3, n_inj)
    check(counts["stopped_injecting"], p_leave * 1 / 3, n_inj)
    check(counts["started_injecting"], float(weekly_probability(1.5)), int(never.sum()))
    check(counts["returned_to_injecting"], float(weekly_probability(3.0)), int(former.sum()))
    # Who moved where: switchers smoke; after cessation a quarter smoke.
    switched = ev.loc[ev["detail"] == "switched_to_smoking", "person"].to_numpy()
    assert (p.route[switched] == Route.SMOKING).all()
    ceased = ev.loc[ev["detail"] == "stopped_injecting", "person"].to_numpy()
    smoking = float(np.mean(p.route[ceased] == Route.SMOKING))
    assert within(smoking, 0.25, binomial_se(0.25, ceased.size), k=4)
    assert (route_before[ceased] == Route.INJECTING).all()
    assert (p.injects == (p.route == Route.INJECTING)).all()
    assert not p.sharing_episode[~p.injects].any() and not p.equipment_episode[~p.injects].any()


def test_injecting_cessation_is_faster_on_moud():
    m = isolated_model(
        20_000,
        (Injecting,),
        **{
            **ALL_INJECTING,
            "population.moud_fraction": 1.0,
            "injecting.injecting_cessation_rate_per_year": 1.0,
        },
    )
    ij = m.scenario.injecting
    m.step()
    stopped = int(np.count_nonzero(~m.people.injects))
    expected = float(weekly_probability(1.0 * ij.moud_cessation_hazard_ratio))
    assert within(stopped / m.people.n, expected, binomial_se(expected, m.people.n), k=4)


def test_people_on_moud_inject_at_their_weekly_probability_and_less_often():
    m = isolated_model(
        20_000,
        (Injecting,),
        **{**ALL_INJECTING, "population.moud_fraction": 1.0},
        **{
            "injecting.methadone_injecting_probability_per_week": 0.05,
            "injecting.buprenorphine_injecting_probability_per_week": 0.1,
        },
    )
    p = m.people
    counts = {Care.METHADONE: [0, 0], Care.BUPRENORPHINE: [0, 0]}
    for _ in range(5):
        m.step()
        for state in counts:
            on = p.state == state
            counts[state][0] += int(np.count_nonzero(p.injected_this_week & on))
            counts[state][1] += int(np.count_nonzero(on))
    for state, expected in ((Care.METHADONE, 0.05), (Care.BUPRENORPHINE, 0.1)):
        injected, n = counts[state]
        assert within(injected / n, expected, binomial_se(expected, n), k=4)
    # Not in active use and not on MOUD: never injects.
    p.state[:100] = Care.PRISON
    p.state[100:200] = Care.RECOVERY
    p.state[200:300] = Care.DETOX
    m.step()
    assert not p.injected_this_week[:300].any()
    assert (p.receptive_shared_injections[:300] == 0).all()


def _hand_set(n: int = 10, **overrides: object) -> HarmReductionModel:
    """Everyone in active use, injecting, in a syringe and an equipment episode that neither
    ends nor starts, with a known injection frequency."""
    m = isolated_model(
        n,
        (Injecting,),
        **ALL_INJECTING,
        **{
            "injecting.sharing_episode_mean_weeks": 5200.0,
            "injecting.equipment_episode_mean_weeks": 5200.0,
            "injecting.methadone_injecting_probability_per_week": 1.0,
            **overrides,
        },
    )
    p = m.people
    p.sharing_episode[:] = True
    p.equipment_episode[:] = True
    p.injection_frequency[:] = 10.0
    return m


def test_receptive_shared_injections_follow_the_formula():
    m = _hand_set()
    p, ij = m.people, m.scenario.injecting
    c0, f, g = (
        ij.baseline_syringe_coverage,
        ij.episode_shared_injection_fraction,
        ij.equipment_shared_injection_fraction,
    )
    # Rows: no programme; partial coverage; exactly full; far beyond full; supervised half the
    # time; on methadone (injecting this week); out of the syringe episode; not injecting.
    p.syringe_coverage[:] = [0.0, 0.3, 1.0 - c0, 2.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]
    p.supervised_fraction[4] = 0.5
    p.state[5] = Care.METHADONE
    p.sharing_episode[6] = False
    p.state[7:] = Care.PRISON
    m.step()
    assert p.equipment_episode[:7].all() and p.sharing_episode[:6].all()  # none ended
    inj = 10.0
    moud_inj = inj * ij.moud_injection_frequency_rr
    expected_receptive = [
        inj * f * (1 - c0),
        inj * f * (1 - (c0 + 0.3)),
        0.0,
        0.0,
        inj * f * (1 - c0) * 0.5,
        moud_inj * f * ij.moud_sharing_rr * (1 - c0),
        0.0,
        0.0,
        0.0,
        0.0,
    ]
    np.testing.assert_allclose(p.receptive_shared_injections, expected_receptive, rtol=1e-6)
    expected_equipment = [inj * g] * 4 + [inj * g * 0.5, moud_inj * g * ij.moud_sharing_rr]
    expected_equipment += [inj * g, 0.0, 0.0, 0.0]
    np.testing.assert_allclose(p.equipment_shared_injections, expected_equipment, rtol=1e-6)
    np.testing.assert_array_equal(p.injected_this_week, [True] * 7 + [False] * 3)
    # Full coverage: in an episode but no syringe shared, so the year without sharing goes on.
    assert (p.weeks_since_sharing[[0, 1, 4, 5]] == 0).all()
    assert (p.weeks_since_sharing[[2, 3]] > 0).all()


def test_injects_always_equals_route_in_a_full_run():
    m = HarmReductionModel(people=2000, years=2, seed=4)
    for _ in range(m.weeks):
        m.step()
        p = m.people
        # Rows that hold or held a person (spare rows, pid -1, were never anyone's).
        held = p.pid >= 0
        assert (p.injects == (p.route == Route.INJECTING))[held].all()
        assert not (p.sharing_episode & ~p.injects).any()
        # Injected this week: in active use or on MOUD (or died of an overdose after it).
        using = np.isin(p.state, (Care.ACTIVE, Care.METHADONE, Care.BUPRENORPHINE, Care.DEAD))
        assert not (p.injected_this_week & ~using).any()
    ev = m.events_frame()
    assert (ev["kind"] == "behaviour").sum() > 50
    ts = m.timeseries_frame()
    assert ts["started_injecting"].sum() > 0 and ts["stopped_injecting"].sum() > 0
    assert (ts["people_injecting"].iloc[1:] > 0).all()
