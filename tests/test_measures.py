"""PWID measures, checked against the model's own timeseries in populations where the answer
is known: everyone injects (and, for the past-year measures, nobody ever stops), or nobody."""

from __future__ import annotations

import numpy as np
import pytest

from hrsim import Scenario
from hrsim.analysis.measures import STATISTICS, observe_run, pwid_weekly, run_statistics

SMALL = {"run.people": 1500, "run.years": 2.0, "run.seed": 11}
# Nobody leaves active use: no detox, MOUD, arrest, remission; everyone starts active.
ALWAYS_ACTIVE = {
    "care.detox_entry_rate_per_year": 0.0,
    "care.moud_initiation_rate_per_year": 0.0,
    "care.arrest_rate_per_year": 0.0,
    "care.spontaneous_remission_rate_per_year": 0.0,
    "care.overdose_referral_to_moud_probability": 0.0,
    "response.ed_buprenorphine_probability": 0.0,  # ED-started buprenorphine after an overdose
    "population.moud_fraction": 0.0,
    "population.recovery_fraction": 0.0,
    "population.detox_fraction": 0.0,
    "population.prison_fraction": 0.0,
}
# Nobody changes route of use: who injects is who injected at the start (or on entry).
NO_ROUTE_CHANGES = {
    "injecting.injecting_to_smoking_rate_per_year": 0.0,
    "injecting.injecting_cessation_rate_per_year": 0.0,
    "injecting.start_injecting_rate_per_year": 0.0,
    "injecting.return_to_injecting_rate_per_year": 0.0,
}


def _scenario(inject: float, **extra: object) -> Scenario:
    return Scenario.default().with_overrides(
        {
            **SMALL,
            **NO_ROUTE_CHANGES,
            "population.inject_fraction": inject,
            "demography.entrant_inject_fraction": inject,
            **extra,
        }
    )


def test_when_everyone_injects_the_cohort_series_equal_the_population_series():
    run = observe_run(_scenario(1.0))
    w = pwid_weekly(run)
    ts = run.timeseries
    np.testing.assert_array_equal(w.person_weeks, ts["population"].to_numpy()[:-1])
    np.testing.assert_array_equal(w.overdose_deaths, ts["deaths_overdose"].to_numpy()[1:])
    assert w.overdose_deaths.sum() > 0
    # Some people stop injecting for more than a year (recovery): fewer recent injectors.
    assert 0 < w.recent_weeks.sum() < w.person_weeks.sum()


def test_when_nobody_stops_injecting_past_year_series_equal_the_population_series():
    # Everyone HCV antibody-positive at week 0 is viraemic, so the event log names every
    # antibody-positive person (their "hcv_initial" event or an infection). No burn-in: week
    # 0 is the drawn population (after burn-in, people who cleared HCV or were cured before
    # week 0 are antibody-positive without a logged infection).
    antibody = Scenario.default().population.hcv_prevalence_inject
    viraemic = {"population.hcv_viraemic_prevalence_inject": antibody, "run.burn_in_years": 0.0}
    run = observe_run(_scenario(1.0, **ALWAYS_ACTIVE, **viraemic))
    w = pwid_weekly(run)
    ts = run.timeseries
    np.testing.assert_array_equal(w.recent_weeks, ts["population"].to_numpy()[:-1])
    # Infections of people at risk at the start of the week: all of them, except those of new
    # initiates infected in the week they arrived (no person-time yet). HCV incidence is
    # primary infection: a second HCV infection (after clearance or cure) is not counted.
    ev = run.events
    entries = ev[ev["kind"] == "entry"]
    for disease, series in (("hiv", w.hiv_infections), ("hcv", w.hcv_infections)):
        events = ev[(ev["kind"] == "infection") & ev["detail"].str.startswith(disease)]
        later = events.sort_values("week", kind="stable").duplicated("person")
        infections = events[events["week"] > 0]
        keys = entries[["person", "week"]].drop_duplicates()
        excluded = infections.merge(keys, on=["person", "week"])
        repeat = events[later & (events["week"] > 0)]
        per_week = np.bincount(excluded["week"], minlength=run.weeks + 1)[1:]
        per_week += np.bincount(repeat["week"], minlength=run.weeks + 1)[1:]
        expected = ts[f"{disease}_infections"].to_numpy()[1:] - per_week
        np.testing.assert_array_equal(series, expected)
    np.testing.assert_allclose(w.hiv_prevalence, ts["hiv_prevalence"].to_numpy())
    np.testing.assert_allclose(w.hcv_prevalence, ts["hcv_prevalence"].to_numpy())
    assert w.hcv_infections.sum() > 0 and w.hiv_infections.sum() > 0


def test_when_nobody_injects_there_is_no_pwid_time():
    w = pwid_weekly(observe_run(_scenario(0.0)))
    assert w.person_weeks.sum() == 0 and w.recent_weeks.sum() == 0
    assert w.overdose_deaths.sum() == 0 and w.hcv_infections.sum() == 0


def test_every_statistic_is_a_finite_number_and_rates_match_the_timeseries():
    stats = run_statistics(_scenario(1.0))
    assert set(stats) == set(STATISTICS)
    assert all(np.isfinite(v) for v in stats.values())
    # Everyone injects: the PWID fatal overdose rate is the population's.
    assert stats["pwid_fatal_overdoses_per_1000_py"] == pytest.approx(
        stats["fatal_overdoses_per_1000_py"], rel=1e-9
    )
