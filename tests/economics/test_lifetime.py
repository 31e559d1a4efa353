"""The lifetime tail: discounted life expectancy against its closed form, the tail of a death."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import isolated_model
from hrsim.batch.outcomes import outcomes_of
from hrsim.core.states import Care
from hrsim.economics.costs import unit_costs
from hrsim.economics.lifetime import (
    TailModel,
    discount_factors,
    life_years_table,
    remaining_life_years,
)
from hrsim.processes import Demography

AGES = 120


def _geometric(h: float, r: float, weeks: float) -> float:
    """sum_{j=1..weeks} (exp(-h/52) (1+r)^(-1/52))^j / 52: the discrete convention, by hand."""
    x = np.exp(-h / 52) * (1 + r) ** (-1 / 52)
    return float(x * (1 - x**weeks) / (1 - x) / 52)


@pytest.mark.parametrize("r", [0.03, 0.0, 0.07])
def test_constant_hazard_life_years_equal_the_geometric_series(r):
    h = 0.05  # yearly hazard, the same at every age
    x, e = life_years_table(np.full(AGES, h), r)
    for age in (0, 38, 100, 119):
        weeks_left = 52 * (AGES - age)
        assert e[age] == pytest.approx(_geometric(h, r, weeks_left), rel=1e-10), age
    assert e[AGES] == 0.0
    # Far from the table's end, nearly the infinite series x / (1 - x) / 52 (the truncation
    # at 120 years is x**(52 x 120), under 0.3% at this hazard)
    x0 = np.exp(-h / 52) * (1 + r) ** (-1 / 52)
    infinite = x0 / (1 - x0) / 52
    assert e[0] == pytest.approx(infinite * (1 - x0 ** (52 * AGES)), rel=1e-10)
    assert e[0] == pytest.approx(infinite, rel=3e-3)


def test_undiscounted_life_expectancy_is_the_closed_form_at_r_zero():
    h = 0.1  # life expectancy 10 years, far from the table's end at 30 + 90
    x, e = life_years_table(np.full(AGES, h), 0.0)
    q = np.exp(-h / 52)
    n = 52 * (AGES - 30)
    assert e[30] == pytest.approx(q * (1 - q**n) / (1 - q) / 52, rel=1e-12)
    # close to the continuous 1/h (minus the half week of the end-of-week count)
    assert e[30] == pytest.approx(1 / h - 0.5 / 52, rel=1e-3)


def test_fractional_age_adds_the_rest_of_its_year():
    h, r = 0.04, 0.03
    x, e = life_years_table(np.full((2, AGES), h), r)  # two sexes, same table
    age = np.array([40.5, 40.0, 119.75])
    got = remaining_life_years(x, e, (np.array([0, 1, 0]),), age)
    expected = [
        _geometric(h, r, 26 + 52 * 79),
        _geometric(h, r, 52 * 80),
        _geometric(h, r, 13),
    ]
    np.testing.assert_allclose(got, expected, rtol=1e-10)


def test_tail_model_uses_the_models_excess_mortality():
    m = isolated_model(20, ())
    s = m.scenario.with_overrides(
        {
            "demography.other_cause_smr": 2.0,
            "economics.tail_overdose_death_rate_per_year_using": 0.01,
        }
    )
    life_table = np.full((2, AGES), 0.005)  # a constant synthetic life table
    tail = TailModel.from_scenario(s, life_table, unit_costs(s.costs, s.economics.price_year))
    p = m.people
    p.state[:] = Care.ACTIVE
    p.hiv[:] = p.hcv[:] = False
    p.age[:] = 40.0
    years = tail.life_years(p, np.arange(3))
    h = 0.005 * 2.0 + 0.01  # life table x SMR + overdose excess (no HIV)
    assert years == pytest.approx([_geometric(h, s.economics.discount_rate, 52 * 80)] * 3)
    # untreated HIV adds its excess death rate
    p.hiv[0] = True
    h_hiv = h + s.demography.hiv_untreated_extra_death_rate_per_year
    got = tail.life_years(p, np.array([0]))[0]
    assert got == pytest.approx(_geometric(h_hiv, s.economics.discount_rate, 52 * 80))
    # on MOUD: the SMR times the MOUD rate ratio, and the methadone overdose excess
    p.hiv[0] = False
    p.state[1] = Care.METHADONE
    h_m = 0.005 * 2.0 * s.demography.moud_other_death_rr
    h_m += s.economics.tail_overdose_death_rate_per_year_methadone
    got = tail.life_years(p, np.array([1]))[0]
    assert got == pytest.approx(_geometric(h_m, s.economics.discount_rate, 52 * 80))


def _frozen_run(weeks: int, kill: bool):
    """No processes: a fixed population; optionally person 0 dies in the last week."""
    m = isolated_model(12, (), **{"run.years": weeks / 52})
    m.people.state[:] = Care.ACTIVE
    m.people.hiv[:] = m.people.hcv[:] = False
    m.run(weeks - 1)
    if kill:
        m.people.state[0] = Care.DEAD
        m.timeseries.add("deaths_other", 1)
    m.step()
    return m


def test_a_death_in_the_last_week_loses_the_tail():
    weeks = 52
    alive, dead = _frozen_run(weeks, False), _frozen_run(weeks, True)
    out = {}
    for name, m in (("alive", alive), ("dead", dead)):
        ts, progs = m.timeseries_frame(), m.programme_frame()
        out[name] = outcomes_of(m.scenario, ts, progs, m.lifetime_tail())
    s = alive.scenario
    tail = alive.tail_model()
    assert tail is not None
    d_end = float(discount_factors(np.array([weeks]), s.economics.discount_rate)[0])
    person = tail.values(alive.people, np.array([0]))
    u = s.economics.utility_active
    # The dead person loses their last week (counted at its end) and their whole tail.
    lost = u / 52 * d_end + person["qalys"] * d_end
    assert person["qalys"] > 5 * u  # decades of life left at the default age
    assert out["alive"]["qalys"] - out["dead"]["qalys"] == pytest.approx(lost, rel=1e-9)
    assert out["alive"]["qalys_tail"] - out["dead"]["qalys_tail"] == pytest.approx(
        person["qalys"] * d_end, rel=1e-9
    )
    assert out["alive"]["qalys_run"] - out["dead"]["qalys_run"] == pytest.approx(u / 52)


def test_horizon_run_has_no_tail():
    m = isolated_model(30, (), **{"economics.horizon": "run", "run.years": 0.5})
    m.run()
    assert m.tail_model() is None
    assert set(m.lifetime_tail().values()) == {0.0}
    out = outcomes_of(m.scenario, m.timeseries_frame(), m.programme_frame(), m.lifetime_tail())
    assert out["qalys_tail"] == 0.0 and out["cost_tail_usd"] == 0.0
    d = discount_factors(
        m.timeseries_frame()["week"].to_numpy(), m.scenario.economics.discount_rate
    )
    assert out["qalys"] == pytest.approx(float(m.timeseries_frame()["qalys"].to_numpy() @ d))


def test_people_leaving_alive_keep_their_tail():
    # Everyone just under the age-out age: they leave in the first weeks and carry their tail.
    m = isolated_model(200, (Demography,), **{"run.years": 0.2})
    m.people.age[:] = m.scenario.demography.age_out_years - 0.01
    m.run()
    ts = m.timeseries_frame()
    assert ts["exits"].sum() > 150
    assert ts["exits_tail_life_years"].sum() > ts["exits"].sum()  # more than a year each
    assert 0 < ts["exits_tail_qalys"].sum() < ts["exits_tail_life_years"].sum()
    # without the lifetime horizon they carry nothing
    run = isolated_model(200, (Demography,), **{"run.years": 0.2, "economics.horizon": "run"})
    run.people.age[:] = run.scenario.demography.age_out_years - 0.01
    run.run()
    assert run.timeseries_frame()["exits_tail_qalys"].sum() == 0.0
