"""A population that moves (issue 13): initiation as incidence, life-table deaths, burn-in."""

from __future__ import annotations

import numpy as np
import pytest

from hrsim import HarmReductionModel
from hrsim.core.states import Care
from hrsim.processes import Demography
from hrsim.processes.base import weekly_probability
from hrsim.processes.demography import entrant_rows, life_table_hazards, weekly_entries_mean

QUIET = {
    "run__burn_in_years": 0.0,
    "demography__age_out_years": 120.0,
    "demography__sustained_recovery_exit_weeks": 5000,
}


def test_weekly_entries_are_poisson_with_the_incidence() -> None:
    """Entries per week: mean and variance both equal the incidence's weekly mean."""
    model = HarmReductionModel(
        people=5000,
        years=4,
        seed=3,
        processes=(Demography,),
        record_events=False,
        **QUIET,
        demography__initiation_per_1000_by_year=[100.0],
    ).run()
    entries = model.timeseries_frame()["entries"].to_numpy()[1:]
    lam = weekly_entries_mean(model.scenario, 1)
    assert lam == pytest.approx(100.0 * 5000 / 1000 / 52)
    n = entries.size  # 208 weeks
    assert abs(entries.mean() - lam) < 4 * np.sqrt(lam / n)
    # Var of the sample variance of a Poisson: ~ (lam + 2 lam^2) / n (fourth central moment).
    assert abs(entries.var(ddof=1) - lam) < 4 * np.sqrt((lam + 2 * lam**2) / n)


def test_population_size_follows_incidence() -> None:
    """With no deaths or exits, the population grows by exactly the entries."""
    model = HarmReductionModel(
        people=2000,
        years=2,
        seed=5,
        processes=(Demography,),
        record_events=False,
        **QUIET,
        demography__other_cause_smr=0.0,
        demography__hiv_untreated_extra_death_rate_per_year=0.0,
        infection__hiv_suppressed_extra_death_rate_per_year=0.0,
        demography__initiation_per_1000_by_year=[50.0, 200.0],
    ).run()
    ts = model.timeseries_frame()
    assert (ts["population"].iloc[1:].to_numpy() == 2000 + ts["entries"].cumsum()[1:]).all()
    first, second = ts["entries"][1:53].sum(), ts["entries"][53:105].sum()
    assert second > 2.5 * first  # 4x the incidence in year 2 (Poisson noise well inside)


def test_averting_a_death_adds_a_person_lifetime() -> None:
    """An arm with one death fewer has one person more afterwards, with the same entries."""
    kw = dict(
        people=1000,
        years=1,
        seed=8,
        processes=(Demography,),
        record_events=False,
        **QUIET,
        demography__other_cause_smr=0.0,
        demography__hiv_untreated_extra_death_rate_per_year=0.0,
        infection__hiv_suppressed_extra_death_rate_per_year=0.0,
    )
    with_death, averted = HarmReductionModel(**kw), HarmReductionModel(**kw)
    with_death.run(10)
    averted.run(10)
    with_death.people.state[7] = Care.DEAD  # the death the other arm averts
    with_death.run()
    averted.run()
    a, b = with_death.timeseries_frame(), averted.timeseries_frame()
    assert (a["entries"] == b["entries"]).all()
    assert a["entries"].sum() > 0
    assert (b["population"][11:] - a["population"][11:] == 1).all()
    # Each new initiate is the same person in both arms (id, traits) and in the same row, but
    # for one whose search for a free row passes the freed row 7 (and one it displaces that
    # week): the weekly draws over rows stay paired. Filling the lowest free rows would put
    # every later initiate one row over.
    rows = {}
    for name, m in (("with_death", with_death), ("averted", averted)):
        p = m.people
        new = np.flatnonzero(p.alive & (p.pid >= 1000))
        rows[name] = dict(zip(p.pid[new].tolist(), new.tolist(), strict=True))
        rows[name + "_age"] = dict(zip(p.pid[new].tolist(), p.age[new].tolist(), strict=True))
    assert len(rows["averted"]) > 20 and rows["with_death"].keys() == rows["averted"].keys()
    moved = [pid for pid, row in rows["averted"].items() if rows["with_death"][pid] != row]
    assert len(moved) <= 2, moved  # the one whose search passes row 7, and one it displaces
    assert rows["with_death_age"] == rows["averted_age"]


def test_other_cause_deaths_follow_life_table_times_smr() -> None:
    """Hand-set people (men 60, women 30, and men 60 on MOUD): deaths vs table x SMR."""
    smr, rr = 8.0, 0.5
    model = HarmReductionModel(
        people=30000,
        years=1,
        seed=11,
        processes=(Demography,),
        record_events=False,
        **QUIET,
        demography__other_cause_smr=smr,
        demography__moud_other_death_rr=rr,
        demography__initiation_per_1000_by_year=[0.0],
        demography__hiv_untreated_extra_death_rate_per_year=0.0,
    )
    p = model.people
    n = 30000
    groups = np.arange(n) % 3
    p.age[:n] = np.where(groups == 1, 30.0, 60.0)
    p.male[:n] = groups != 1
    p.state[:n] = np.where(groups == 2, Care.METHADONE, Care.ACTIVE)
    p.hiv[:] = False
    model.run(1)  # one week; ages move by 1/52 and stay in the same year of age
    dead = p.state[:n] == Care.DEAD
    h = life_table_hazards()
    for g, hazard in ((0, h[1, 60] * smr), (1, h[0, 30] * smr), (2, h[1, 60] * smr * rr)):
        expected = float(weekly_probability(hazard)) * n / 3
        observed = int(dead[groups == g].sum())
        assert abs(observed - expected) < 4 * np.sqrt(expected), (g, observed, expected)


def test_burn_in_is_not_reported_and_is_reproducible() -> None:
    """Burn-in weeks leave no rows, events or programme outputs; same seed, same result."""
    kw = dict(people=600, years=1, seed=4, run__burn_in_years=2.0)
    a = HarmReductionModel("scenarios/naloxone_distribution.toml", **kw).run()
    b = HarmReductionModel("scenarios/naloxone_distribution.toml", **kw).run()
    ts = a.timeseries_frame()
    assert ts["week"].tolist() == list(range(53))
    events = a.events_frame()
    assert events["week"].min() == 0
    assert (events[events["kind"] == "initial"]["week"] == 0).all()
    programmes = a.programme_frame()
    assert programmes["week"].min() == 0
    assert ts.equals(b.timeseries_frame())
    assert events.equals(b.events_frame())
    # Burn-in ran: people entered and died before week 0 (pids beyond the initial 600).
    assert a.people.pid[a.people.alive].max() >= 600
    none = HarmReductionModel(
        "scenarios/naloxone_distribution.toml", **kw | {"run__burn_in_years": 0.0}
    )
    assert not ts.equals(none.run().timeseries_frame())


def test_outgrowing_the_rows_is_one_clear_error() -> None:
    """A population that outgrows demography.row_headroom stops with the setting named."""
    model = HarmReductionModel(
        people=100,
        years=2,
        seed=1,
        processes=(Demography,),
        record_events=False,
        **QUIET,
        demography__row_headroom=1.2,
        demography__initiation_per_1000_by_year=[2000.0],
    )
    with pytest.raises(Exception, match="raise demography.row_headroom"):
        model.run()


def test_entrants_take_the_first_free_row_from_their_own_and_clashes_move_on() -> None:
    free = np.array([2, 5, 6, 9, 12])
    np.testing.assert_array_equal(entrant_rows(free, np.array([0, 7, 12])), [2, 9, 12])
    np.testing.assert_array_equal(entrant_rows(free, np.array([13, 10])), [2, 12])  # wraps
    # Three want row 5: in id order they take 5, 6 and the next free, 9.
    np.testing.assert_array_equal(entrant_rows(free, np.array([4, 5, 3, 11])), [5, 6, 9, 12])
    many = entrant_rows(free, np.full(5, 6))
    np.testing.assert_array_equal(many, [6, 9, 12, 2, 5])  # all five rows, each once
