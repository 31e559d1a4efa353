"""MOUD as treatment (issue 12): the waiting list, capacity that binds, custody, induction,
non-overdose deaths on MOUD. Individual-level checks against the parameters (fixed seeds,
tolerances of 3 binomial or Poisson standard errors)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from conftest import binomial_se, isolated_model, within
from hrsim import HarmReductionModel
from hrsim.core.people import NEVER
from hrsim.core.states import Care
from hrsim.processes import DEFAULT_PROCESSES, CareProcess, Demography, Overdose, Tolerance
from hrsim.processes.demography import life_table_hazards
from hrsim.scenario import build_scenario

QUIET = {
    "care.detox_entry_rate_per_year": 0.0,
    "care.moud_initiation_rate_per_year": 0.0,
    "care.arrest_rate_per_year": 0.0,
    "care.spontaneous_remission_rate_per_year": 0.0,
    "care.moud_waitlist_leave_rate_per_year": 0.0,
    "population.moud_fraction": 0.0,
    "population.recovery_fraction": 0.0,
    "population.detox_fraction": 0.0,
    "population.prison_fraction": 0.0,
}


def _on_moud(m: HarmReductionModel) -> np.ndarray:
    return np.isin(m.people.state, (Care.METHADONE, Care.BUPRENORPHINE))


def test_waiting_list_is_first_come_first_served_and_reports_the_wait():
    """100 people wait, each joined in a different week; 10 places, then 10 more: the
    longest-waiting are admitted, in order, and the weekly wait sum is theirs."""
    m = isolated_model(2000, (CareProcess,), **QUIET)
    p = m.people
    rows = np.arange(100)
    order = m.streams.generator("test", 0).permutation(100)
    p.moud_waiting_since[rows] = -order  # row r joined order[r] weeks before week 0
    m.hooks.moud_capacity_places = 10
    m.step()
    first = np.flatnonzero(_on_moud(m))
    assert set(first) == set(rows[order >= 90])  # the ten who joined earliest
    ts = m.timeseries_frame()
    assert ts["moud_waitlist_admissions"].iloc[1] == 10
    assert ts["moud_wait_weeks"].iloc[1] == int(np.sum(1 + order[order >= 90]))
    assert ts["moud_waiting"].iloc[1] == 90
    m.hooks.moud_capacity_places = 10 + np.count_nonzero(_on_moud(m))
    m.step()
    second = np.setdiff1d(np.flatnonzero(_on_moud(m) | (p.weeks_since_moud_exit == 0)), first)
    assert set(second) == set(rows[(order >= 80) & (order < 90)])
    ev = m.events_frame()
    started = ev[(ev.kind == "transition") & (ev.detail == "from_waiting_list")]
    assert len(started) == 20


def test_no_admission_beyond_capacity_and_the_rest_wait():
    """Demand far above places: every place is used, never more, and the rest are listed."""
    m = isolated_model(5000, (CareProcess,), **{**QUIET, "care.moud_initiation_rate_per_year": 5.0})
    m.hooks.moud_capacity_places = 300
    for _ in range(15):
        m.step()
        assert np.count_nonzero(_on_moud(m)) <= 300
    assert np.count_nonzero(_on_moud(m)) == 300
    waiting = m.people.moud_waiting_since != NEVER
    assert waiting.sum() > 1000
    assert (m.people.state[waiting] == Care.ACTIVE).all()


def test_leaving_the_list_follows_its_hazard():
    """With no places, the share still waiting after k weeks is exp(-rate * k / 52)."""
    n, rate = 20_000, 2.0
    m = isolated_model(
        n, (CareProcess,), **{**QUIET, "care.moud_waitlist_leave_rate_per_year": rate}
    )
    m.people.moud_waiting_since[:] = 0
    m.hooks.moud_capacity_places = 0
    for week in range(1, 9):
        m.step()
        expected = np.exp(-rate * week / 52)
        observed = np.mean(m.people.moud_waiting_since != NEVER)
        assert within(observed, expected, binomial_se(expected, n)), week
    ev = m.events_frame()
    left = ev[ev.kind == "moud_waiting_list"]
    assert set(left.detail) == {"gave_up"}
    assert m.timeseries_frame()["moud_waitlist_exits"].sum() == len(left)


def test_arrest_and_remission_take_people_off_the_list():
    m = isolated_model(
        5000,
        (CareProcess,),
        **{
            **QUIET,
            "care.arrest_rate_per_year": 5.0,
            "care.spontaneous_remission_rate_per_year": 5.0,
        },
    )
    m.people.moud_waiting_since[:] = 0
    m.hooks.moud_capacity_places = 0
    m.step()
    ev = m.events_frame()
    left = ev[ev.kind == "moud_waiting_list"].set_index("person")["detail"]
    moved = ev[(ev.kind == "transition") & ev.detail.isin(["arrest", "remission"])]
    moved = moved.set_index("person")["to_state"]  # (not the same week's relapses)
    assert len(left) == len(moved) > 100
    expected = moved.map({"jail": "arrested", "recovery": "recovered"})  # arrest: jail
    assert (left.loc[moved.index].astype(str) == expected.astype(str)).all()


def _capacity_pair(people: int, capacity_fraction: float) -> tuple[HarmReductionModel, ...]:
    """The same scenario with MOUD places as they are and doubled (a programme that only
    doubles places), run on the same seed; returns the two models and expected overdoses."""
    out = []
    for mult in (1.0, 2.0):
        scenario = build_scenario(
            {
                "run": {"name": "t", "people": people, "years": 3.0, "seed": 4},
                "care": {"moud_capacity_fraction": capacity_fraction},
                "interventions": [
                    {
                        "type": "moud_expansion",
                        "capacity_multiplier": mult,
                        "initiation_multiplier": 1.0,
                        "discontinuation_hazard_ratio": 1.0,
                    }
                ],
            }
        )
        m = HarmReductionModel(scenario, processes=DEFAULT_PROCESSES)
        od = next(p for p in m.processes if isinstance(p, Overdose))
        expected = 0.0
        while m.running:
            m.step()  # (the hazard is evaluated on the week's end state: a fixed rule)
            alive = np.flatnonzero(m.people.alive)
            expected += float(np.sum(-np.expm1(-od.rate(m, alive))))
        out.append((m, expected))
    return tuple(out)


def test_doubling_capacity_matters_when_there_is_a_waiting_list():
    """Default US setting: places bind. Doubling them: more starts, more person-time on
    MOUD, fewer expected overdoses (the sum of everyone's weekly hazards)."""
    (base, e_base), (double, e_double) = _capacity_pair(3000, 0.22)
    b, d = base.timeseries_frame(), double.timeseries_frame()
    assert b["moud_waiting"].iloc[26:].min() > 0  # a list in the baseline
    assert d["moud_starts"].sum() > 1.2 * b["moud_starts"].sum()
    pw = lambda ts: (ts["methadone"] + ts["buprenorphine"]).sum()  # noqa: E731
    assert pw(d) > 1.2 * pw(b)
    assert e_double < 0.95 * e_base


def test_doubling_capacity_changes_nothing_when_places_do_not_bind():
    """Places for everyone: nobody ever waits, and doubling them gives the same run."""
    (base, _), (double, _) = _capacity_pair(2000, 1.0)
    assert base.timeseries_frame()["moud_waiting"].sum() == 0
    pd.testing.assert_frame_equal(base.timeseries_frame(), double.timeseries_frame())
    pd.testing.assert_frame_equal(base.events_frame(), double.events_frame())


def test_custody_continues_moud_for_its_share_and_tolerance_at_release():
    """People on methadone arrested: a share continue MOUD in custody and are released onto
    it with full tolerance; the rest withdraw and lose tolerance in custody."""
    share = 0.4
    m = isolated_model(
        20_000,
        (CareProcess, Tolerance),
        **{
            **QUIET,
            "care.arrest_rate_per_year": 4.0,
            "care.arrest_hr_on_moud": 1.0,
            "care.arrest_hr_housing_unstable": 1.0,
            "care.arrest_hr_prison_history": 1.0,
            "care.custody_moud_continuation_fraction": share,
            "care.moud_capacity_fraction": 1.0,
            # Arrest goes to jail; no sentences, so every custody spell ends by release.
            "care.jail_mean_weeks": 3.0,
            "care.jail_to_prison_fraction": 0.0,
        },
    )
    p = m.people
    p.state[:] = Care.METHADONE
    p.weeks_in_state[:] = 30
    m.run(weeks=10)
    ev = m.events_frame()
    custody = ev[ev.kind == "custody"]
    continued = np.mean(custody.detail == "moud_continued")
    assert within(continued, share, binomial_se(share, len(custody)))
    assert len(custody) > 500
    # Tolerance just after the last week's releases (no demography: a row is its pid).
    final = ev[ev.week == 10]
    rel = final[(final.kind == "transition") & (final.from_state == "jail")]
    kept = rel[rel.detail == "custody_continued"].person.to_numpy()
    withdrawn = rel[rel.detail == "release"].person.to_numpy()
    assert kept.size > 10 and withdrawn.size > 10
    assert (p.tolerance[kept] == 1.0).all()
    assert np.isin(p.state[kept], (Care.METHADONE, Care.BUPRENORPHINE)).all()
    # Forced withdrawal: at least one week in custody and the release week without use, with
    # a half-life of one week.
    # (Those who relapsed in their release week are using again: left out.)
    withdrawn = withdrawn[p.state[withdrawn] == Care.RECOVERY]
    assert withdrawn.size > 10
    half = 0.5 ** (1 / m.scenario.tolerance.loss_half_life_weeks)
    assert (p.tolerance[withdrawn] <= half**2 + 1e-6).all()


def test_methadone_induction_ratio_and_the_closed_form_stable_ratio():
    """Weeks 1-2 on methadone carry Cousins 2011's 2.60 over later weeks; and the stable ratio
    in the defaults is the closed form its source field gives (Sordo's 2.6/12.7)."""
    m = isolated_model(100, (Overdose, CareProcess))
    o = m.scenario.overdose
    assert o.methadone_induction_rr == 2.60
    od = next(x for x in m.processes if isinstance(x, Overdose))
    p = m.people
    rows = np.arange(3)
    p.state[rows] = Care.METHADONE
    p.injects[rows], p.heavy_use[rows], p.tolerance[rows] = False, False, 1.0
    p.weeks_since_overdose[rows] = NEVER
    p.weeks_in_state[rows] = [0, 1, 2]
    r = od.rate(m, rows)
    np.testing.assert_allclose(r / r[2], [2.60, 2.60, 1.0], rtol=1e-12)
    care = next(x for x in m.processes if isinstance(x, CareProcess))
    late = care.moud_late_hazard[Care.METHADONE]
    c = m.scenario.care
    t = np.arange(1, 20_000)
    h = late * np.where(
        t <= 4,
        c.moud_early_hazard_ratio_weeks_1_4,
        np.where(t <= 26, c.moud_mid_hazard_ratio_weeks_5_26, 1.0),
    )
    survival = np.concatenate([[1.0], np.exp(-np.cumsum(h))])
    f = survival[:2].sum() / survival.sum()
    implied = o.methadone_rate_ratio * (1 + (o.methadone_induction_rr - 1) * f)
    assert abs(implied - 2.6 / 12.7) < 0.005  # rounding of the default to 2 decimals


def test_other_cause_deaths_on_and_off_moud_follow_the_rate_ratio():
    rate, rr = 0.2, 0.4
    m = isolated_model(
        40_000,
        (Demography,),
        **{
            "population.hiv_prevalence_inject": 0.0,
            "population.hiv_prevalence_noninject": 0.0,
            "demography.age_out_years": 120.0,
            "demography.other_cause_smr": rate / life_table_hazards()[1, 40],
            "demography.moud_other_death_rr": rr,
            "demography.initiation_per_1000_by_year": [0.0],
        },
    )
    p = m.people
    p.state[:] = Care.EXITED  # unused rows stay unused (no initiates)
    p.state[:40_000] = Care.ACTIVE
    p.state[:40_000:2] = Care.METHADONE
    p.age[:] = 40.0  # the life table's hazard at 40 x SMR = rate (6 weeks stay within 40)
    p.male[:] = True
    p_off, p_on = -np.expm1(-rate / 52), -np.expm1(-rate * rr / 52)
    expected = {"on": 0.0, "off": 0.0}
    for _ in range(6):
        on = np.count_nonzero(p.state == Care.METHADONE)
        off = np.count_nonzero(p.alive) - on  # nobody replaces the dead
        expected["on"] += on * p_on
        expected["off"] += off * p_off
        m.step()
    ev = m.events_frame()
    deaths = ev[ev.kind == "death"]
    observed_on = int((deaths.from_state == "methadone").sum())
    observed_off = int((deaths.from_state == "active").sum())
    assert within(observed_on, expected["on"], np.sqrt(expected["on"]))
    assert within(observed_off, expected["off"], np.sqrt(expected["off"]))


def test_an_admission_a_week_later_starts_the_same_medication():
    """Common random numbers through the waiting list (issue 14): the medication of a MOUD
    episode is keyed to the person and the episode's number, not to the week it starts. The
    same 1,000 people admitted in week 1 in one world and in week 2 in another start the
    same medications, and the methadone share is the configured share of starts."""
    worlds = [isolated_model(3000, (CareProcess,), **QUIET) for _ in range(2)]
    rows = np.arange(1000)
    for m in worlds:
        m.people.moud_waiting_since[rows] = -1
        m.people.weeks_since_moud_exit[rows] = NEVER
    early, late = worlds
    early.hooks.moud_capacity_places = 1000
    late.hooks.moud_capacity_places = 0
    early.step()
    late.step()
    late.hooks.moud_capacity_places = 1000
    late.step()
    assert _on_moud(early)[rows].all() and _on_moud(late)[rows].all()
    # Nobody has left MOUD yet in either world (a first-week exit would differ by a week).
    np.testing.assert_array_equal(early.people.state[rows], late.people.state[rows])
    assert (early.people.moud_starts[rows] == 1).all()
    share = early.hooks.methadone_share_of_starts
    methadone = np.mean(early.people.state[rows] == Care.METHADONE)
    assert within(methadone, share, binomial_se(share, rows.size))


def test_a_higher_initiation_rate_changes_only_the_decisions_it_must():
    """Common random numbers through care (issue 14): each person's weekly draw in active use
    is keyed to them, so an arm with twice the MOUD initiation rate (MOUD expansion) has every
    care event of the baseline arm's people among its own: a person with no event there has
    none here. Positional thinning, whose bound moves with the rate, reshuffled everyone."""
    worlds = [
        isolated_model(20_000, (CareProcess,), **{"care.moud_capacity_fraction": 1.0})
        for _ in range(2)
    ]
    base, expanded = worlds
    expanded.hooks.moud_initiation_multiplier = 2.0
    active = np.flatnonzero(base.people.state == Care.ACTIVE)
    np.testing.assert_array_equal(active, np.flatnonzero(expanded.people.state == Care.ACTIVE))
    for m in worlds:
        m.step()
    moved_base = base.people.state[active] != Care.ACTIVE
    moved_expanded = expanded.people.state[active] != Care.ACTIVE
    assert moved_base.sum() > 100 and moved_expanded.sum() > moved_base.sum()
    assert not (moved_base & ~moved_expanded).any()
