"""Fentanyl per dose-week (issue 12): a keyed draw per person-week, applied only in fentanyl
weeks; the mean hazard is the old supply average; the same person-week gives the same draw in
the overdose process, the test-strip programme and a paired arm."""

from __future__ import annotations

import numpy as np

from conftest import binomial_se, isolated_model, within
from hrsim import HarmReductionModel
from hrsim.core.people import NEVER
from hrsim.core.states import Care
from hrsim.core.supply import fentanyl_in_dose
from hrsim.processes import Overdose
from hrsim.scenario import build_scenario

SHARE, RR = 0.4, 3.0
FENTANYL_SHARE = "supply.fentanyl_share_by_year"
PLAIN = {
    FENTANYL_SHARE: [SHARE],
    # A dose with fentanyl at full tolerance carries potency^k = RR (k = 1 here).
    "supply.fentanyl_potency_ratio": RR,
    "overdose.potency_exponent": 1.0,
    "overdose.recent_overdose_rr": 1.0,
    "overdose.base_rate_per_year": 2.0,
    "population.inject_fraction": 0.0,
    "population.heavy_use_fraction": 0.0,
}


def _everyone_active(m: HarmReductionModel) -> None:
    m.people.state[:] = Care.ACTIVE
    m.people.tolerance[:] = 1.0
    m.people.weeks_in_state[:] = 10
    m.people.weeks_since_moud_exit[:] = NEVER
    m.people.weeks_since_overdose[:] = NEVER


def _overdose(m: HarmReductionModel) -> Overdose:
    return next(p for p in m.processes if isinstance(p, Overdose))


def test_fentanyl_flag_frequency_is_the_share_and_fresh_each_week():
    n, weeks = 20_000, 5
    m = isolated_model(n, (Overdose,), **PLAIN)
    rows = np.arange(n)
    flags = []
    for week in range(1, weeks + 1):
        m.week = week  # the draw depends only on (seed, week, pid)
        flags.append(fentanyl_in_dose(m, rows))
    flags = np.array(flags)
    assert within(flags.mean(), SHARE, binomial_se(SHARE, flags.size))
    for f in flags:
        assert within(f.mean(), SHARE, binomial_se(SHARE, n))
    # Weeks are independent draws: the share of people with fentanyl two weeks running.
    both = (flags[0] & flags[1]).mean()
    assert within(both, SHARE**2, binomial_se(SHARE**2, n))
    # A share of 0 or 1 is certain.
    for share, expected in ((0.0, False), (1.0, True)):
        m0 = isolated_model(100, (Overdose,), **{**PLAIN, "supply.fentanyl_share_by_year": [share]})
        assert (fentanyl_in_dose(m0, np.arange(100)) == expected).all()


def test_mean_hazard_is_the_supply_average():
    """Over many person-weeks, the mean weekly hazard with per-dose fentanyl is the old
    supply-average hazard h0 (1 + (rr - 1) share); its SE is h0 (rr - 1) sqrt(s(1-s)/N)."""
    n, weeks = 20_000, 5
    m = isolated_model(n, (Overdose,), **PLAIN)
    _everyone_active(m)
    od = _overdose(m)
    rows = np.arange(n)
    h0 = 2.0 / 52
    hazards = []
    for week in range(1, weeks + 1):
        m.week = week
        r = od.rate(m, rows)
        flags = fentanyl_in_dose(m, rows)
        # Only fentanyl weeks carry the rate ratio; the others carry 1.
        np.testing.assert_allclose(r[flags], h0 * RR, rtol=1e-6)
        np.testing.assert_allclose(r[~flags], h0, rtol=1e-6)
        hazards.append(r)
    mean = np.mean(hazards)
    expected = h0 * (1 + (RR - 1) * SHARE)
    se = h0 * (RR - 1) * np.sqrt(SHARE * (1 - SHARE) / (n * weeks))
    assert within(mean, expected, se, k=4.0), (mean, expected)


def test_overdoses_follow_the_per_dose_hazard_and_carry_fentanyl_more_often():
    """The overdose count matches the expectation over doses, and among the people who
    overdose the share whose dose had fentanyl is s rr' / (s rr' + 1 - s), with rr' the ratio
    of weekly probabilities (1 - e^(-h0 rr)) / (1 - e^(-h0))."""
    n, weeks = 30_000, 12
    m = isolated_model(n, (Overdose,), **PLAIN)
    _everyone_active(m)
    h0 = 2.0 / 52
    p_f, p_0 = -np.expm1(-h0 * RR), -np.expm1(-h0)
    with_f = total = 0
    expected = 0.0
    for _ in range(weeks):
        alive = m.people.alive
        at_risk = int(alive.sum())
        m.step()
        ev = m.events_frame()
        od = ev[(ev["kind"] == "overdose") & (ev["week"] == m.week)]
        rows = np.flatnonzero(np.isin(m.people.pid, od["person"].to_numpy()))
        flags = m.people.fentanyl_this_week[rows]
        with_f += int(flags.sum())
        total += rows.size
        expected += at_risk * (SHARE * p_f + (1 - SHARE) * p_0)
        # The flag the process wrote is the keyed draw; True only on its candidates' rows.
        np.testing.assert_array_equal(flags, fentanyl_in_dose(m, rows))
        assert fentanyl_in_dose(m, np.flatnonzero(m.people.fentanyl_this_week)).all()
    var = expected  # Poisson approximation of a sum of rare Bernoullis (upper bound)
    assert within(total, expected, np.sqrt(var), k=4.0), (total, expected)
    share_f = SHARE * p_f / (SHARE * p_f + (1 - SHARE) * p_0)
    assert within(with_f / total, share_f, binomial_se(share_f, total), k=4.0)


def test_thinning_bound_covers_a_fentanyl_dose():
    for share in (0.0, 0.3, 1.0):
        m = isolated_model(2000, (Overdose,), **{**PLAIN, "supply.fentanyl_share_by_year": [share]})
        m.people.state[:] = Care.ACTIVE
        m.people.tolerance[:] = 0.0
        m.people.weeks_since_moud_exit[:] = 1
        od = _overdose(m)
        rows = np.arange(2000)
        exact = -np.expm1(-od.rate(m, rows, fentanyl_dose=np.ones(2000, dtype=bool)))
        bound = -np.expm1(-od._rate_bound(m) * od.state_max[m.people.state[rows]])
        if share > 0:
            assert np.all(exact <= bound)
        exact_now = -np.expm1(-od.rate(m, rows))
        assert np.all(exact_now <= bound)


def _paired_arms(strips: bool) -> HarmReductionModel:
    data = {
        "run": {"people": 4000, "years": 1.0, "seed": 11, "name": "p"},
        "supply": {"fentanyl_share_by_year": [SHARE]},
    }
    if strips:
        data["interventions"] = [
            {
                "type": "fentanyl_test_strips",
                "coverage_fraction": 1.0,
                "test_probability_per_week": 1.0,
                "behaviour_change_probability": 1.0,
                "changed_dose_overdose_rr": 0.2,
            }
        ]
    return HarmReductionModel(build_scenario(data))


def _rows_of(m: HarmReductionModel, pids: np.ndarray) -> np.ndarray:
    """The rows holding ``pids`` (sorted ids), in that order."""
    order = np.argsort(m.people.pid)
    return order[np.searchsorted(m.people.pid[order], pids)]


def _overdosed_rows(m: HarmReductionModel) -> np.ndarray:
    ev = m.events_frame()
    pids = ev.loc[(ev["kind"] == "overdose") & (ev["week"] == m.week), "person"].to_numpy()
    return np.flatnonzero(np.isin(m.people.pid, pids))


def test_paired_arms_share_the_fentanyl_of_every_person_week():
    """With and without strips (same seed), a person-week's dose is the same in both arms;
    and in the strips arm the dose a strip tested is the dose the overdose process used."""
    base, arm = _paired_arms(False), _paired_arms(True)
    tested_overdoses = 0
    differs = False
    for _ in range(10):
        base.step()
        arm.step()
        # Keyed: the week's draws agree for every person id present in both arms.
        common = np.intersect1d(base.people.pid, arm.people.pid)
        rb = _rows_of(base, common)
        ra = _rows_of(arm, common)
        assert np.array_equal(base.people.pid[rb], arm.people.pid[ra])
        np.testing.assert_array_equal(fentanyl_in_dose(base, rb), fentanyl_in_dose(arm, ra))
        # What each arm's overdose process used is that draw.
        for m in (base, arm):
            od = _overdosed_rows(m)
            np.testing.assert_array_equal(m.people.fentanyl_this_week[od], fentanyl_in_dose(m, od))
        # The strip programme's testers (the same keyed draws as in the week's step): the
        # dose they tested is the dose the overdose process used for those who overdosed.
        programme = arm.interventions[0]
        testers, fentanyl, _, _ = programme.test_doses(arm, programme.clients)
        od = _overdosed_rows(arm)
        hit = np.isin(testers, od)
        np.testing.assert_array_equal(fentanyl[hit], arm.people.fentanyl_this_week[testers[hit]])
        tested_overdoses += int(hit.sum())
        differs |= not np.array_equal(base.people.state, arm.people.state)
    assert tested_overdoses > 0
    assert differs  # the strips changed the run (the comparison is not vacuous)
