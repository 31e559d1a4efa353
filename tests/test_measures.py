"""PWID measures: checked against the model's own timeseries in populations where everyone,
or nobody, injects (then the PWID series must equal, or be empty of, the whole population's)."""

from __future__ import annotations

import numpy as np
import pytest

from hrsim import Scenario
from hrsim.measures import STATISTICS, observe_run, pwid_weekly, run_statistics

SMALL = {"run.people": 1500, "run.years": 2.0, "run.seed": 11}


def _scenario(inject: float) -> Scenario:
    return Scenario.default().with_overrides(
        {
            **SMALL,
            "population.inject_fraction": inject,
            "demography.entrant_inject_fraction": inject,
        }
    )


def test_when_everyone_injects_pwid_series_equal_the_population_series():
    run = observe_run(_scenario(1.0))
    w = pwid_weekly(run)
    ts = run.timeseries
    np.testing.assert_array_equal(w.person_weeks, ts["population"].to_numpy()[:-1])
    np.testing.assert_array_equal(w.overdose_deaths, ts["deaths_overdose"].to_numpy()[1:])
    np.testing.assert_array_equal(
        w.hiv_infections + w.hcv_infections,
        ts["hiv_infections"].to_numpy()[1:] + ts["hcv_infections"].to_numpy()[1:],
    )
    np.testing.assert_allclose(w.hiv_prevalence, ts["hiv_prevalence"].to_numpy())
    np.testing.assert_allclose(w.hcv_prevalence, ts["hcv_prevalence"].to_numpy())
    assert w.overdose_deaths.sum() > 0 and w.hcv_infections.sum() > 0


def test_when_nobody_injects_there_is_no_pwid_time():
    w = pwid_weekly(observe_run(_scenario(0.0)))
    assert w.person_weeks.sum() == 0 and w.overdose_deaths.sum() == 0


def test_every_statistic_is_a_finite_number_and_rates_match_the_timeseries():
    stats = run_statistics(_scenario(1.0))
    assert set(stats) == set(STATISTICS)
    assert all(np.isfinite(v) for v in stats.values())
    # Everyone injects: the PWID fatal overdose rate is the population's.
    assert stats["pwid_fatal_overdoses_per_1000_py"] == pytest.approx(
        stats["fatal_overdoses_per_1000_py"], rel=1e-9
    )
