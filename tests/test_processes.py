"""Each process against analytic expectations (fixed seeds, tolerances of 3 standard errors)."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import binomial_se, hcv_risk_per_person, isolated_model, within
from hrsim import HarmReductionModel
from hrsim.core.people import NEVER
from hrsim.core.states import Care
from hrsim.processes import (
    CareProcess,
    Cascade,
    Demography,
    Infections,
    Injecting,
    Overdose,
    Tolerance,
)
from hrsim.processes.demography import life_table_hazards

QUIET_CARE = {
    "care.detox_entry_rate_per_year": 0.0,
    "care.moud_initiation_rate_per_year": 0.0,
    "care.arrest_rate_per_year": 0.0,
    "care.spontaneous_remission_rate_per_year": 0.0,
}
NO_PREDICTORS = {
    "care.relapse_hr_per_decade_younger": 1.0,
    "care.relapse_hr_heavy_use": 1.0,
    "care.relapse_hr_injecting": 1.0,
    "care.relapse_hr_all_contacts_using": 1.0,
    "care.aftercare_relapse_hazard_ratio": 1.0,
}


def test_relapse_follows_the_hunt_curve():
    """Everyone starts recovery at once; the share still abstinent after t weeks is
    prod_{k<=t} exp(-hazard(k)) with hazard = late + (first - late) * k^-decay."""
    n = 20_000
    m = isolated_model(n, (CareProcess,), **QUIET_CARE, **NO_PREDICTORS)
    m.people.state[:] = Care.RECOVERY
    m.people.weeks_in_state[:] = 0
    c = m.scenario.care
    first = -np.log1p(-c.relapse_first_week_probability)
    late = c.relapse_late_rate_per_year / 52
    survival = 1.0
    for week in range(1, 53):
        m.step()
        survival *= np.exp(-(late + (first - late) * week**-c.relapse_hazard_decay_exponent))
        if week in (1, 4, 13, 52):
            observed = np.mean(m.people.state == Care.RECOVERY)
            assert within(observed, survival, binomial_se(survival, n)), (week, observed)
    assert survival < 0.2  # the curve falls steeply: the test above is not vacuous


def test_aftercare_lowers_relapse_by_its_hazard_ratio():
    n = 20_000
    hr = 0.4
    m = isolated_model(
        n,
        (CareProcess,),
        **QUIET_CARE,
        **{**NO_PREDICTORS, "care.aftercare_relapse_hazard_ratio": hr},
    )
    m.people.state[:] = Care.RECOVERY
    m.people.weeks_in_state[:] = 0
    m.people.aftercare[:] = True
    m.step()
    p1 = -np.expm1(-hr * -np.log1p(-m.scenario.care.relapse_first_week_probability))
    observed = 1 - np.mean(m.people.state == Care.RECOVERY)
    assert within(observed, p1, binomial_se(p1, n))


def test_contacts_who_use_raise_relapse_hazard():
    """Hazard x HR^(share of social contacts using - 0.5); shares counted independently
    on the networkx view of the ties."""
    hr = 2.0
    m = isolated_model(
        2000, (CareProcess,), **{**NO_PREDICTORS, "care.relapse_hr_all_contacts_using": hr}
    )
    care = next(p for p in m.processes if isinstance(p, CareProcess))
    rows = np.flatnonzero(m.people.target_social > 0)[:200]
    m.people.state[:] = Care.ACTIVE
    m.people.state[rows] = Care.RECOVERY
    m.people.weeks_in_state[rows] = 0
    hazard = care.relapse_hazard(m, rows)
    base = care.base_relapse_hazard(np.ones(rows.size))
    g = m.graph()
    for row, h, h0 in zip(rows, hazard, base, strict=True):
        social = [v for v in g[row] if "social" in g.edges[row, v]["layers"]]
        share = np.mean([m.people.state[v] == Care.ACTIVE for v in social]) if social else 0
        assert h == pytest.approx(h0 * hr ** (share - 0.5), rel=1e-9)


def test_buprenorphine_retention_curve():
    """From a fresh start, 12-month retention equals the scenario's 12-month retention."""
    n = 20_000
    m = isolated_model(n, (CareProcess,), **QUIET_CARE)
    m.people.state[:] = Care.BUPRENORPHINE
    m.people.weeks_in_state[:] = 1  # as if started last week: next week is week 1
    m.run(weeks=52)
    target = m.scenario.care.buprenorphine_retention_12_months
    observed = np.mean(m.people.state == Care.BUPRENORPHINE)
    assert within(observed, target, binomial_se(target, n))


def test_moud_capacity_is_never_exceeded():
    m = isolated_model(
        5000,
        (CareProcess,),
        **{
            "care.moud_capacity_fraction": 0.1,
            "population.moud_fraction": 0.0,
            "care.moud_initiation_rate_per_year": 5.0,
        },
    )
    places = m.hooks.moud_capacity_places
    on_moud = []
    for _ in range(20):
        m.step()
        on_moud.append(
            np.count_nonzero(np.isin(m.people.state, (Care.METHADONE, Care.BUPRENORPHINE)))
        )
    assert max(on_moud) <= places
    assert on_moud[-1] == places  # demand far above capacity keeps every place filled


def test_tolerance_decays_and_returns_exactly():
    m = isolated_model(100, (Tolerance,))
    half_life = m.scenario.tolerance.loss_half_life_weeks
    regain = m.scenario.tolerance.regain_fraction_per_week
    m.people.state[:25] = Care.PRISON
    m.people.state[25:50] = Care.JAIL  # custody of either kind: not using
    m.people.state[50:] = Care.ACTIVE
    m.people.tolerance[:] = 1.0
    m.people.tolerance[50:] = 0.0
    m.run(weeks=3)
    np.testing.assert_allclose(m.people.tolerance[:50], 0.5 ** (3 / half_life), rtol=1e-5)
    np.testing.assert_allclose(m.people.tolerance[50:], 1 - (1 - regain) ** 3, rtol=1e-5)


#: The response held to "a present witness gives naloxone, nobody calls EMS" (issue 13).
WITNESS_WITH_KIT_NO_EMS = {
    "response.bystander_able_probability": 1.0,
    "response.kit_at_hand_probability": 1.0,
    "response.ems_call_probability": 0.0,
    "response.ems_call_probability_protected": 0.0,
    "response.kit_loss_probability_per_week": 0.0,
    "response.kit_shelf_life_weeks": 5200,
    "response.kit_reacquire_probability_per_week": 1.0,
}


@pytest.fixture
def plain_overdose():
    """Everyone actively using, not injecting, light use, full tolerance, no fentanyl."""
    return {
        "supply.fentanyl_share_by_year": [0.0],
        "overdose.recent_overdose_rr": 1.0,
        "overdose.base_rate_per_year": 0.5,
        "population.inject_fraction": 0.0,
        "population.heavy_use_fraction": 0.0,
    }


def _everyone_active(m):
    m.people.state[:] = Care.ACTIVE
    m.people.tolerance[:] = 1.0
    m.people.weeks_since_moud_exit[:] = NEVER


def test_overdose_rate_is_the_weekly_hazard(plain_overdose):
    n, weeks = 20_000, 20
    m = isolated_model(n, (Overdose,), **plain_overdose)
    _everyone_active(m)
    m.run(weeks=weeks)
    ts = m.timeseries_frame()
    p = -np.expm1(-0.5 / 52)
    at_risk = ts["population"].to_numpy()[:-1]  # alive at the start of each week
    expected = float(np.sum(at_risk * p))
    observed = int(ts["overdoses_fatal"].sum() + ts["overdoses_nonfatal"].sum())
    assert within(observed, expected, np.sqrt(np.sum(at_risk * p * (1 - p))))


def test_overdose_alone_is_fatal_with_the_alone_probability(plain_overdose):
    n = 50_000
    m = isolated_model(
        n,
        (Overdose,),
        **{
            **plain_overdose,
            "population.uses_alone_probability": 1.0,
            "overdose.base_rate_per_year": 5.0,
        },
    )
    _everyone_active(m)
    m.run(weeks=10)
    ts = m.timeseries_frame()
    total = int(ts["overdoses_fatal"].sum() + ts["overdoses_nonfatal"].sum())
    assert ts["overdoses_witnessed"].sum() == 0
    share = ts["overdoses_fatal"].sum() / total
    p = m.scenario.overdose.fatal_probability_alone
    assert within(share, p, binomial_se(p, total))


def test_naloxone_with_every_witness_reverses_at_its_probability(plain_overdose):
    n = 30_000
    m = isolated_model(
        n,
        (Overdose,),
        **{
            **plain_overdose,
            "population.uses_alone_probability": 0.0,
            "population.naloxone_carrier_fraction": 1.0,
            "overdose.neighbour_present_probability": 1.0,
            "overdose.base_rate_per_year": 5.0,
            # Issue 13: the company always responds with the kit at hand and calls nobody;
            # kits never lapse and a used one is replaced the next week.
            **WITNESS_WITH_KIT_NO_EMS,
        },
    )
    _everyone_active(m)
    m.run(weeks=10)
    # Company at an overdose needs no network contact (issue 13), so the overdoses with a
    # kit in the room are the ones the process counts as witnessed by a kit holder.
    ts = m.timeseries_frame()
    ev = m.events_frame()
    od = ev[ev["kind"] == "overdose"]
    n = int(ts["overdoses_kit_holder_witnessed"].sum())
    assert n > 10_000
    assert ts["naloxone_kits_used"].sum() == n  # the kit is always at hand here
    reversed_share = np.count_nonzero(od["detail"] == "reversed_naloxone") / n
    o = m.scenario.overdose
    assert within(
        reversed_share,
        o.naloxone_reversal_probability,
        binomial_se(o.naloxone_reversal_probability, n),
    )
    fatal_share = ts["overdoses_fatal_kit_holder_witnessed"].sum() / n
    expected = (1 - o.naloxone_reversal_probability) * o.fatal_probability_witnessed
    assert within(fatal_share, expected, binomial_se(expected, n))


def test_overdose_rate_multipliers():
    m = isolated_model(1000, (Overdose,))
    o = m.scenario.overdose
    od = next(p for p in m.processes if isinstance(p, Overdose))
    p = m.people
    rows = np.arange(8)
    p.state[rows] = Care.ACTIVE
    p.injects[rows], p.heavy_use[rows] = False, False
    p.tolerance[rows] = 1.0
    p.weeks_since_overdose[rows] = NEVER
    p.weeks_since_moud_exit[rows] = NEVER
    p.weeks_in_state[rows] = 10
    p.injects[1] = True
    p.heavy_use[2] = True
    p.tolerance[3] = 0.0
    p.weeks_since_overdose[4] = 3
    p.state[5], p.weeks_in_state[5] = Care.METHADONE, 0
    p.state[6], p.weeks_in_state[6] = Care.METHADONE, 10
    p.weeks_since_moud_exit[7] = 1
    # Fentanyl is this week's draw per dose: hand-set it (row 8 is row 0 with fentanyl).
    rows = np.append(rows, 8)
    p.state[8], p.injects[8], p.heavy_use[8], p.tolerance[8] = Care.ACTIVE, False, False, 1.0
    p.weeks_since_overdose[8] = p.weeks_since_moud_exit[8] = NEVER
    p.weeks_in_state[8] = 10
    r = od.rate(m, rows, fentanyl_dose=rows == 8)
    np.testing.assert_allclose(
        r / r[0],
        [
            1,
            o.injecting_rr,
            o.heavy_use_rr,
            o.min_effective_tolerance**-o.potency_exponent,
            o.recent_overdose_rr,
            o.methadone_rate_ratio * o.methadone_induction_rr,
            o.methadone_rate_ratio,
            o.moud_exit_rr_weeks_1_2,
            m.scenario.supply.fentanyl_potency_ratio**o.potency_exponent,
        ],
        rtol=1e-9,
    )


def _expected_new_hcv(m):
    """Expected new HCV infections this week and their SE (sum of Bernoulli risks)."""
    risk = hcv_risk_per_person(m)
    return risk.sum(), np.sqrt(np.sum(risk * (1 - risk)))


def test_hcv_transmission_matches_per_exposure_probability():
    """One week's new HCV infections on the full network against the exact expectation."""
    settings = {
        "infection.hcv_testing_rate_per_year": 0.0,
        "population.inject_fraction": 1.0,
        "population.moud_fraction": 0.0,
        "population.recovery_fraction": 0.0,
        "population.detox_fraction": 0.0,
        "population.prison_fraction": 0.0,
    }
    observed, expected, var = 0, 0.0, 0.0
    for seed in range(3):
        m = isolated_model(20_000, (Infections,), seed=seed, **settings)
        p = m.people
        # This week's behaviour, hand-set (the injecting process does not run here): everyone
        # active injects, half of them with 10 receptive shared injections, all with 0.5
        # shared-equipment injections.
        injected = (p.state == Care.ACTIVE) & p.injects
        half = np.random.default_rng(seed).random(p.n) < 0.5
        p.injected_this_week[:] = injected
        p.receptive_shared_injections[:] = np.where(injected & half, 10.0, 0.0)
        p.equipment_shared_injections[:] = np.where(injected, 0.5, 0.0)
        e, sd = _expected_new_hcv(m)
        m.step()
        observed += int(m.timeseries_frame()["hcv_infections"].iloc[-1])
        expected += e
        var += sd**2
    assert expected > 100
    assert within(observed, expected, np.sqrt(var))


def test_no_sharing_means_no_syringe_transmission_but_equipment_still_transmits_hcv():
    m = isolated_model(
        5000,
        (Injecting, Infections),
        **{
            "injecting.sharing_episode_start_probability_per_week": 0.0,
            "infection.hiv_per_sex_act": 0.0,
        },
    )
    m.run(weeks=30)
    ev = m.events_frame()
    assert not ev["detail"].isin(["hiv_injecting", "hcv_injecting", "hiv_sexual"]).any()
    assert (ev["detail"] == "hcv_equipment").sum() > 0


def test_hcv_spontaneous_clearance_share():
    n = 20_000
    m = isolated_model(
        n,
        (Cascade,),
        **{
            "population.hcv_prevalence_inject": 0.0,
            "population.hcv_viraemic_prevalence_inject": 0.0,
            "population.hcv_prevalence_noninject": 0.0,
            "infection.hcv_testing_rate_per_year": 0.0,
        },
    )
    # Infect everyone at once as new infections (the process's own draw of who will clear).
    cascade = next(p for p in m.processes if isinstance(p, Cascade))
    frac = m.scenario.infection.hcv_spontaneous_clearance_fraction
    m.people.hcv[:] = True
    m.people.hcv_weeks[:] = 0
    m.people.hcv_will_clear[:] = m.streams.generator("test", 0).random(n) < frac
    m.run(weeks=m.scenario.infection.hcv_acute_weeks)
    cleared = 1 - np.mean(m.people.hcv)
    assert within(cleared, frac, binomial_se(frac, n))
    assert cascade.name == "cascade"


def test_other_cause_deaths_at_the_scenario_rate():
    """Men aged 40: weekly deaths are the life table's hazard x SMR (no initiates)."""
    n, weeks, smr = 20_000, 26, 50.0
    m = isolated_model(
        n,
        (Demography,),
        **{
            "population.moud_fraction": 0.0,
            "population.hiv_prevalence_inject": 0.0,
            "population.hiv_prevalence_noninject": 0.0,
            "demography.age_out_years": 120.0,
            "demography.other_cause_smr": smr,
            "demography.initiation_per_1000_by_year": [0.0],
        },
    )
    m.people.age[:n] = 40.0
    m.people.male[:n] = True
    m.run(weeks=weeks)
    deaths = m.timeseries_frame()["deaths_other"].sum()
    p = -np.expm1(-life_table_hazards()[1, 40] * smr / 52)
    # Nobody replaces the dead: the number at risk falls geometrically.
    expected = n * (1 - (1 - p) ** weeks)
    assert within(deaths, expected, np.sqrt(expected))


def test_entries_do_not_follow_exits():
    """Initiation is an incidence: the population changes by entries minus leavers."""
    m = HarmReductionModel(people=3000, years=3, seed=5, run__burn_in_years=0.0)
    m.run()
    ts = m.timeseries_frame()
    assert ts["exits"].sum() > 0 and ts["entries"].sum() > 0
    assert not (ts["entries"].to_numpy()[1:] == ts["exits"].to_numpy()[:-1]).all()
    assert ts["population"][0] == 3000 and ts["population"].nunique() > 1  # free to change


def test_thinning_bounds_are_upper_bounds():
    """Thinning is exact only if no person's probability exceeds the bound used to skip them."""
    m = HarmReductionModel(people=20_000, years=1, seed=9)
    m.run(weeks=20)
    p = m.people
    p.weeks_since_moud_exit[:300] = 1  # put some people in every high-risk window
    p.weeks_since_overdose[300:600] = 2
    p.tolerance[600:900] = 0.0
    p.weeks_in_state[900:1200] = 0
    rows = np.flatnonzero(p.alive)
    od = next(x for x in m.processes if isinstance(x, Overdose))
    exact = -np.expm1(-od.rate(m, rows))
    bound = -np.expm1(-od._rate_bound(m) * od.state_max[p.state[rows]])
    assert np.all(exact <= bound)
    care = next(x for x in m.processes if isinstance(x, CareProcess))
    rec = np.flatnonzero(p.state == Care.RECOVERY)
    hazard = care.relapse_hazard(m, rec)
    base = care.base_relapse_hazard(p.weeks_in_state[rec] + 1)
    assert np.all(hazard <= base * care.max_relapse_multiplier * (1 + 1e-12))


def test_moud_continued_at_release_keeps_tolerance_and_skips_induction():
    m = isolated_model(
        3000,
        (CareProcess,),
        **{
            "care.post_release_moud_fraction": 1.0,
            "care.moud_capacity_fraction": 1.0,
            "care.prison_mean_weeks": 1.0,
            "population.moud_fraction": 0.0,
        },
    )
    m.people.state[:] = Care.PRISON
    m.people.tolerance[:] = 0.0
    m.step()
    released = np.isin(m.people.state, (Care.METHADONE, Care.BUPRENORPHINE))
    assert released.sum() > 2500  # everyone leaves a 1-week sentence onto MOUD
    assert (m.people.tolerance[released] == 1.0).all()
    od = Overdose()
    od.init(m)
    rows = np.flatnonzero(released)
    rate = od.rate(m, rows)
    meth = m.people.state[rows] == Care.METHADONE
    o = m.scenario.overdose
    stable = np.where(meth, o.methadone_rate_ratio, o.buprenorphine_rate_ratio)
    # The same people in active use with full tolerance: on MOUD they must have exactly the
    # stable-treatment ratio of that rate (an induction peak would multiply it by up to 16.9).
    p = m.people
    p.state[rows[:10]] = Care.ACTIVE  # reference: the same people in active use
    p.weeks_since_moud_exit[rows[:10]] = NEVER
    active_rate = od.rate(m, rows[:10])
    np.testing.assert_allclose(rate[:10], active_rate * stable[:10], rtol=1e-9)
