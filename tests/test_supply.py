"""The drug supply as data (issue 13): the fentanyl and xylazine shares of doses by year, the
overdose hazard by potency relative to tolerance (fentanyl and lost tolerance compound),
lapses in recovery, stimulant co-use, and the thinning bound. Expected values are derived
from the parameters for hand-set people; tolerances are binomial or Poisson SEs."""

from __future__ import annotations

import numpy as np

from conftest import binomial_se, isolated_model, within
from hrsim.core.people import NEVER
from hrsim.core.states import Care
from hrsim.core.supply import fentanyl_in_dose, xylazine_in_dose
from hrsim.processes import Overdose, Stimulants
from hrsim.scenario import Scenario


def _overdose(m) -> Overdose:
    return next(p for p in m.processes if isinstance(p, Overdose))


def _reference(m, rows) -> None:
    """Active, not injecting, light use, full tolerance, nothing recent, no stimulants."""
    p = m.people
    p.state[rows] = Care.ACTIVE
    p.injects[rows] = p.heavy_use[rows] = p.uses_stimulants[rows] = False
    p.lapsed_this_week[rows] = False
    p.tolerance[rows] = 1.0
    p.weeks_since_overdose[rows] = p.weeks_since_moud_exit[rows] = NEVER
    p.weeks_in_state[rows] = 10


def test_supply_series_by_year_last_value_carried_on():
    s = Scenario.default().with_overrides(
        {"supply.fentanyl_share_by_year": [0.2, 0.5, 0.9], "supply.xylazine_share_by_year": [0.1]}
    )
    weeks = [0, 51, 52, 103, 104, 520]
    assert [s.fentanyl_share(w) for w in weeks] == [0.2, 0.2, 0.5, 0.5, 0.9, 0.9]
    assert {s.xylazine_share(w) for w in weeks} == {0.1}


def test_rate_is_potency_over_effective_tolerance_to_the_k_for_hand_set_people():
    m = isolated_model(100, (Overdose,), **{"overdose.stimulant_rr": 2.02})
    o, sup, p, od = m.scenario.overdose, m.scenario.supply, m.people, _overdose(m)
    k, mt, pot = o.potency_exponent, o.min_effective_tolerance, sup.fentanyl_potency_ratio
    tolerances = np.array([1.0, 0.5, 0.0, 1.0, 0.5, 0.0])
    fentanyl = np.array([False, False, False, True, True, True])
    rows = np.arange(6)
    _reference(m, rows)
    p.tolerance[rows] = tolerances
    r = od.rate(m, rows, fentanyl_dose=fentanyl)
    potency = np.where(fentanyl, pot, 1.0)
    expected = o.base_rate_per_year / 52 * (potency / (mt + (1 - mt) * tolerances)) ** k
    np.testing.assert_allclose(r, expected, rtol=1e-6)
    # The anchors: fentanyl at full tolerance pot^k (3), zero tolerance m^-k (8), and both
    # compound: the product (24), more than either alone.
    base = r[0]
    np.testing.assert_allclose(r[3] / base, 3.0, rtol=2e-3)
    np.testing.assert_allclose(r[2] / base, 8.0, rtol=2e-3)
    np.testing.assert_allclose(r[5] / base, (r[3] / base) * (r[2] / base), rtol=1e-6)
    # Stimulant co-use multiplies by its rate ratio.
    p.uses_stimulants[rows] = True
    np.testing.assert_allclose(od.rate(m, rows, fentanyl_dose=fentanyl), 2.02 * r, rtol=1e-6)


def test_recovery_carries_risk_only_in_a_lapse_week_at_current_tolerance():
    m = isolated_model(100, (Overdose,))
    o, od, p = m.scenario.overdose, _overdose(m), m.people
    rows = np.arange(4)
    _reference(m, rows)
    p.state[rows] = Care.RECOVERY
    p.tolerance[rows] = [0.0, 0.0, 0.3, 0.3]
    p.lapsed_this_week[rows] = [False, True, False, True]
    no_f = np.zeros(4, dtype=bool)
    r = od.rate(m, rows, fentanyl_dose=no_f)
    mt, k = o.min_effective_tolerance, o.potency_exponent
    h0 = o.base_rate_per_year / 52
    np.testing.assert_allclose(
        r, [0.0, h0 * mt**-k, 0.0, h0 * (mt + (1 - mt) * 0.3) ** -k], rtol=1e-6
    )


def test_lapses_frequency_overdoses_and_no_move_to_active():
    """People in recovery at zero tolerance, lapse probability q, supply without fentanyl:
    lapses ~ Binomial(n, q); overdoses ~ n q (1 - e^(-h0 m^-k)); nobody leaves recovery for
    active use."""
    n, q = 20_000, 0.1
    m = isolated_model(
        n,
        (Overdose,),
        **{
            "overdose.lapse_probability_per_week": q,
            "overdose.base_rate_per_year": 5.0,
            "overdose.recent_overdose_rr": 1.0,
            "supply.fentanyl_share_by_year": [0.0],
            "population.inject_fraction": 0.0,
            "population.heavy_use_fraction": 0.0,
        },
    )
    p, o = m.people, m.scenario.overdose
    rows = np.arange(n)
    _reference(m, rows)
    p.state[: n // 2] = Care.RECOVERY
    p.tolerance[: n // 2] = 0.0
    p.state[n // 2 :] = Care.DETOX  # no lapses outside recovery, no use in detox
    m.step()
    lapsed = p.lapsed_this_week
    assert not lapsed[n // 2 :].any()
    assert within(lapsed[: n // 2].mean(), q, binomial_se(q, n // 2))
    assert int(m.timeseries_frame()["lapses"].iloc[-1]) == int(lapsed.sum())
    h = o.base_rate_per_year / 52 * o.min_effective_tolerance**-o.potency_exponent
    expected = (n // 2) * q * -np.expm1(-h)
    ts = m.timeseries_frame().iloc[-1]
    total = ts["overdoses_fatal"] + ts["overdoses_nonfatal"]
    assert expected > 50
    assert within(total, expected, np.sqrt(expected), k=4.0), (total, expected)
    assert not (p.state[: n // 2] == Care.ACTIVE).any()


def test_xylazine_only_with_fentanyl_at_its_share_and_flagged_for_overdoses():
    n, f, x = 40_000, 0.6, 0.3
    m = isolated_model(
        n,
        (Overdose,),
        **{
            "supply.fentanyl_share_by_year": [f],
            "supply.xylazine_share_by_year": [x],
            "overdose.base_rate_per_year": 10.0,
        },
    )
    rows = np.arange(n)
    m.week = 3
    fent = fentanyl_in_dose(m, rows)
    xyl = xylazine_in_dose(m, rows)
    assert not (xyl & ~fent).any()
    assert within(xyl.mean(), f * x, binomial_se(f * x, n))
    assert within(xyl[fent].mean(), x, binomial_se(x, int(fent.sum())))
    # The process writes the keyed draw for everyone who overdoses (its candidates).
    _reference(m, rows)
    m.week = 0
    m.step()
    ev = m.events_frame()
    od = ev[(ev["kind"] == "overdose") & (ev["week"] == m.week)]
    hit = np.flatnonzero(np.isin(m.people.pid, od["person"].to_numpy()))
    assert hit.size > 100
    np.testing.assert_array_equal(m.people.xylazine_this_week[hit], xylazine_in_dose(m, hit))
    ts = m.timeseries_frame().iloc[-1]
    assert ts["overdoses_xylazine"] == m.people.xylazine_this_week[hit].sum()
    assert ts["overdoses_fentanyl"] == m.people.fentanyl_this_week[hit].sum()


def test_thinning_bound_covers_every_person_state_and_dose():
    n = 5000
    m = isolated_model(n, (Overdose,), **{"overdose.lapse_probability_per_week": 0.05})
    p, od = m.people, _overdose(m)
    rng = np.random.default_rng(4)
    states = np.array([Care.ACTIVE, Care.METHADONE, Care.BUPRENORPHINE, Care.RECOVERY])
    p.state[:] = states[rng.integers(0, 4, n)]
    p.tolerance[:] = rng.random(n) * (rng.random(n) < 0.7)
    p.injects[:] = rng.random(n) < 0.5
    p.heavy_use[:] = rng.random(n) < 0.5
    p.uses_stimulants[:] = rng.random(n) < 0.5
    p.lapsed_this_week[:] = (p.state == Care.RECOVERY) & (rng.random(n) < 0.5)
    p.weeks_since_overdose[:] = rng.integers(0, 100, n)
    p.weeks_in_state[:] = rng.integers(0, 4, n)
    p.weeks_since_moud_exit[:] = rng.integers(0, 6, n)
    rows = np.arange(n)
    exact = od.rate(m, rows, fentanyl_dose=np.ones(n, dtype=bool))
    bound = od._rate_bound(m) * od.state_max[p.state]
    assert np.all(exact <= bound * (1 + 1e-12))
    # Tight where every factor is at its largest: active, fentanyl, zero tolerance, injecting,
    # heavy, stimulants, recent overdose, weeks 3-4 after MOUD exit (1.9, the
    # largest active-use factor).
    row = np.array([0])
    p.state[row], p.tolerance[row] = Care.ACTIVE, 0.0
    p.injects[row] = p.heavy_use[row] = p.uses_stimulants[row] = True
    p.weeks_since_overdose[row], p.weeks_since_moud_exit[row] = 0, 2
    top = od.rate(m, row, fentanyl_dose=np.ones(1, dtype=bool))[0]
    np.testing.assert_allclose(top, od._rate_bound(m) * od.state_max[Care.ACTIVE], rtol=1e-6)


def test_stimulant_state_starts_at_its_share_and_spells_end_at_one_over_the_mean():
    n, prev, mean = 40_000, 0.4, 20.0
    m = isolated_model(
        n,
        (Stimulants,),
        **{"supply.stimulant_prevalence": prev, "supply.stimulant_episode_mean_weeks": mean},
    )
    p = m.people
    users = p.uses_stimulants.copy()
    assert within(users.mean(), prev, binomial_se(prev, n))
    m.step()
    b = 1 / mean
    a = b * prev / (1 - prev)
    stopped = (users & ~p.uses_stimulants).sum() / users.sum()
    started = (~users & p.uses_stimulants).sum() / (~users).sum()
    assert within(stopped, b, binomial_se(b, int(users.sum())))
    assert within(started, a, binomial_se(a, int((~users).sum())))
    for _ in range(20):
        m.step()
    # Stationary: the share stays at prev (a binomial share; k = 4 for 21 correlated weeks).
    assert within(p.uses_stimulants.mean(), prev, binomial_se(prev, n), k=4.0)
