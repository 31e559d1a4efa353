"""Detox as a programme of set length, jail and prison (issue 13), at the individual level.

Every expected value is derived from the parameters: the share of each kind of detox discharge
from the two weekly self-discharge probabilities, tolerance at discharge from the loss
half-life and the weeks in detox, custody stays from their geometric means, the jail-to-prison
share, and the Strang measures from a hand-built event log.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from conftest import binomial_se, isolated_model, within
from hrsim import HarmReductionModel
from hrsim.analysis.events import state_changes
from hrsim.analysis.validation import (
    STRANG_ADMISSIONS,
    STRANG_COMPLETERS,
    after_detox_targets,
    check_enough_data,
    detox_follow_up,
    release_follow_up,
    release_on_moud_follow_up,
    release_on_moud_target,
)
from hrsim.core.states import Care
from hrsim.processes import CareProcess, Tolerance
from hrsim.processes.care import DETOX_LEFT_EARLY, DETOX_LEFT_WITHDRAWAL
from hrsim.processes.tolerance import FLOOR as TOLERANCE_FLOOR

# Tolerance under the floor is set to zero (processes/tolerance.py).
FLOOR = float(TOLERANCE_FLOOR)

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


def _run_with_tolerance(m: HarmReductionModel, weeks: int) -> tuple[pd.DataFrame, np.ndarray]:
    """Run ``weeks`` steps; return the events and each event's mover's tolerance *before* the
    week's step (the tolerance the person left detox or custody with). No demography: a row
    is its pid."""
    start = m.week
    before = []
    for _ in range(weeks):
        before.append(m.people.tolerance.copy())
        m.step()
    ev = m.events_frame()
    ev = ev[ev.week > start]
    tol = np.array([before[w - start - 1][p] for w, p in zip(ev.week, ev.person, strict=True)])
    return ev, tol


def _detox_cohort(n: int, **overrides: object) -> HarmReductionModel:
    """``n`` people admitted to detox together (as if in the week before week 1), tolerance 1."""
    m = isolated_model(n, (CareProcess, Tolerance), **{**QUIET, **overrides})
    m.people.state[:] = Care.DETOX
    m.people.weeks_in_state[:] = 0
    m.people.tolerance[:] = 1.0
    return m


def test_detox_discharges_by_kind_follow_the_programme():
    """A 4-week programme with a 2-week withdrawal phase: one chance to leave in withdrawal
    (p1), two after it (p2), completion after 4 weeks. Shares p1, (1-p1)(1-(1-p2)^2),
    (1-p1)(1-p2)^2; with the defaults (from Strang) 0.31 / 0.42 / 0.27."""
    n = 20_000
    m = _detox_cohort(n, **{"care.moud_capacity_fraction": 1.0})
    c = m.scenario.care
    assert (c.detox_programme_weeks, c.detox_withdrawal_weeks) == (4, 2)
    p1, p2 = c.detox_self_discharge_probability_withdrawal, c.detox_self_discharge_probability_after
    ev, tol = _run_with_tolerance(m, 6)
    out = ev[(ev.kind == "transition") & (ev.from_state == "detox")]
    tol = tol[ev.index.isin(out.index)]
    assert len(out) == n  # every admission is discharged by the end of the programme
    failed = (out.detail == DETOX_LEFT_WITHDRAWAL).to_numpy()
    early = (out.detail == DETOX_LEFT_EARLY).to_numpy()
    completed = ~failed & ~early
    expected = {
        "failed": p1,
        "early": (1 - p1) * (1 - (1 - p2) ** 2),
        "completed": (1 - p1) * (1 - p2) ** 2,
    }
    for kind, mask in (("failed", failed), ("early", early), ("completed", completed)):
        assert within(mask.mean(), expected[kind], binomial_se(expected[kind], n)), kind
    # Strang's split (43 / 57 / 37 of 137) is what the derived probabilities carry over.
    np.testing.assert_allclose(list(expected.values()), [43 / 137, 57 / 137, 37 / 137], atol=0.01)
    # When each kind leaves: the withdrawal phase is week 2 (t = 1 completed week), early
    # leavers in weeks 3-4 (p2 then (1-p2) p2 of those left), completers all in week 5.
    weeks = out.week.to_numpy()
    assert (weeks[failed] == 2).all() and (weeks[completed] == 5).all()
    third = np.mean(weeks[early] == 3)
    share3 = p2 / (p2 + (1 - p2) * p2)
    assert within(third, share3, binomial_se(share3, int(early.sum())))
    # Where each kind goes: leavers back to active use (not recovery); completers to
    # recovery, or to MOUD for detox_to_moud_fraction of them (a place for everyone here).
    to = out.to_state.astype(str).to_numpy()
    assert (to[failed | early] == "active").all()
    assert set(to[completed]) <= {"recovery", "methadone", "buprenorphine"}
    moud = np.isin(to[completed], ["methadone", "buprenorphine"]).mean()
    f = c.detox_to_moud_fraction
    assert within(moud, f, binomial_se(f, int(completed.sum())))
    # Tolerance at discharge: half lost per week in detox (half-life 1 week), so 0.5 after
    # the withdrawal week, 0.25 / 0.125 for early leavers, 0.5**4 for completers.
    half = 0.5 ** (1 / m.scenario.tolerance.loss_half_life_weeks)
    np.testing.assert_allclose(tol, half ** (weeks - 1), rtol=1e-5, atol=FLOOR)
    assert np.isclose(tol[completed], half**4, rtol=1e-5).all()


def test_a_one_week_programme_has_no_early_leavers():
    """A US-style short detox (programme 1 week, withdrawal 1): everyone completes."""
    m = _detox_cohort(2000, **{"care.detox_programme_weeks": 1, "care.detox_withdrawal_weeks": 1})
    m.run(weeks=2)
    ev = m.events_frame()
    out = ev[(ev.kind == "transition") & (ev.from_state == "detox")]
    assert len(out) == 2000 and (out.week == 2).all()
    assert not out.detail.isin([DETOX_LEFT_WITHDRAWAL, DETOX_LEFT_EARLY]).any()


def _custody_cohort(n: int, state: int, **overrides: object) -> HarmReductionModel:
    m = isolated_model(n, (CareProcess, Tolerance), **{**QUIET, **overrides})
    m.people.state[:] = state
    m.people.weeks_in_state[:] = 0
    m.people.tolerance[:] = 1.0
    return m


def test_jail_stays_are_geometric_and_a_share_go_to_prison():
    """Jail: a weekly end hazard 1/jail_mean_weeks (mean stay jail_mean_weeks weeks, SE of a
    geometric mean sqrt(1-q)/q/sqrt(n)); at the end a share jail_to_prison_fraction go to
    prison, the rest are released (to recovery: no post-release MOUD by default)."""
    n = 20_000
    m = _custody_cohort(n, Care.JAIL)
    c = m.scenario.care
    ev, _ = _run_with_tolerance(m, 60)
    ends = ev[(ev.kind == "transition") & (ev.from_state == "jail")]
    assert len(ends) >= n - 5  # (1 - 1/3.7)^60 of them still inside: about 0
    q = 1 / c.jail_mean_weeks
    stay = ends.week.to_numpy()  # entered jail "in week 0"
    se = np.sqrt(1 - q) / q / np.sqrt(len(stay))
    assert within(stay.mean(), c.jail_mean_weeks, se)
    sentenced = np.mean(ends.to_state == "prison")
    s = c.jail_to_prison_fraction
    assert within(sentenced, s, binomial_se(s, len(ends)))
    assert (ends.detail[ends.to_state == "prison"] == "sentenced").all()
    released = ends[ends.to_state != "prison"]
    assert set(released.to_state.astype(str)) == {"recovery"}
    assert (released.detail == "release").all()


def test_prison_release_hazard_and_release_tolerance():
    """Prison: weekly release probability 1/prison_mean_weeks (binomial over person-weeks at
    risk); tolerance at release is half per week served (half-life 1 week), so a short jail
    stay loses less than a prison sentence."""
    n = 20_000
    weeks = 20
    m = _custody_cohort(n, Care.PRISON)
    c = m.scenario.care
    ev, tol = _run_with_tolerance(m, weeks)
    rel = ev[(ev.kind == "transition") & (ev.from_state == "prison")]
    week = rel.week.to_numpy()
    at_risk = int(week.sum() + (n - len(rel)) * weeks)  # person-weeks in prison
    q = 1 / c.prison_mean_weeks
    assert within(len(rel) / at_risk, q, binomial_se(q, at_risk))
    half = 0.5 ** (1 / m.scenario.tolerance.loss_half_life_weeks)
    np.testing.assert_allclose(
        tol[ev.index.isin(rel.index)], half ** (week - 1), rtol=1e-5, atol=FLOOR
    )


def test_arrest_goes_to_jail_and_release_tolerance_follows_the_stay():
    """People in active use arrested (all in one week) go to jail; released k weeks later
    with tolerance half**k (they were using, tolerance 1, until the arrest week)."""
    n = 5000
    m = isolated_model(
        n,
        (CareProcess, Tolerance),
        **{**QUIET, "care.arrest_rate_per_year": 1000.0, "care.jail_to_prison_fraction": 0.0},
    )
    m.people.state[:] = Care.ACTIVE
    m.people.tolerance[:] = 1.0
    m.step()
    ev = m.events_frame()
    arrests = ev[(ev.kind == "transition") & (ev.detail == "arrest")]
    assert len(arrests) > 0.99 * n and (arrests.to_state == "jail").all()
    m.scenario = m.scenario.with_overrides({"care.arrest_rate_per_year": 0.0})
    next(p for p in m.processes if isinstance(p, CareProcess)).init(m)
    ev, tol = _run_with_tolerance(m, 30)
    rel = ev[(ev.kind == "transition") & (ev.from_state == "jail")]
    rel_tol = tol[ev.index.isin(rel.index)]
    k = rel.week.to_numpy() - 1  # weeks since the arrest in week 1
    half = 0.5 ** (1 / m.scenario.tolerance.loss_half_life_weeks)
    np.testing.assert_allclose(rel_tol, half**k, rtol=1e-5, atol=FLOOR)
    assert k.min() == 1  # no release in the arrest week


def test_moud_continued_in_jail_carries_on_into_prison_and_at_release():
    """Continuation is decided at arrest and holds for the custody spell: continued in jail,
    sentenced to prison, released from prison onto MOUD with full tolerance."""
    m = isolated_model(
        10_000,
        (CareProcess, Tolerance),
        **{
            **QUIET,
            "care.arrest_rate_per_year": 1000.0,
            "care.arrest_hr_on_moud": 1.0,
            "care.custody_moud_continuation_fraction": 1.0,
            "care.jail_to_prison_fraction": 1.0,
            "care.jail_mean_weeks": 1.0,
            "care.prison_mean_weeks": 1.0,
            "care.moud_capacity_fraction": 1.0,
        },
    )
    p = m.people
    p.state[:] = Care.METHADONE
    p.weeks_in_state[:] = 30
    m.step()  # arrests of people on MOUD: the share of this week's leavers that are arrests
    arrested = np.flatnonzero(p.state == Care.JAIL)
    assert arrested.size > 50 and p.moud_in_custody[arrested].all()
    m.step()  # jail ends: every stay goes to prison (share 1)
    assert (p.state[arrested] == Care.PRISON).all() and p.moud_in_custody[arrested].all()
    m.step()  # released from prison (weekly probability 1)
    ev = m.events_frame()
    rel = ev[(ev.week == 3) & (ev.from_state == "prison") & (ev.kind == "transition")]
    assert set(rel.person) == set(p.pid[arrested])
    assert (rel.detail == "custody_continued").all()
    assert np.isin(p.state[arrested], (Care.METHADONE, Care.BUPRENORPHINE)).all()
    assert (p.tolerance[arrested] == 1.0).all()


def test_initial_custody_is_split_by_the_expected_stocks():
    """prison_fraction is everyone in custody at week 0, split jail : prison as
    jail_mean_weeks : jail_to_prison_fraction x prison_mean_weeks."""
    n = 40_000
    m = isolated_model(n, (CareProcess,), **{"population.prison_fraction": 0.2})
    c = m.scenario.care
    jail, prison = c.jail_mean_weeks, c.jail_to_prison_fraction * c.prison_mean_weeks
    share = jail / (jail + prison)
    in_jail = np.count_nonzero(m.people.state == Care.JAIL)
    in_custody = in_jail + np.count_nonzero(m.people.state == Care.PRISON)
    assert within(in_custody / n, 0.2, binomial_se(0.2, n))
    assert within(in_jail / in_custody, share, binomial_se(share, in_custody))
    detox = m.people.state == Care.DETOX
    assert (m.people.weeks_in_state[detox] < c.detox_programme_weeks).all()


def _log(rows: list[tuple[int, int, str, str, str, str]]) -> pd.DataFrame:
    return pd.DataFrame(
        rows, columns=["person", "week", "kind", "from_state", "to_state", "detail"]
    )


def test_strang_measures_compare_like_with_like_on_a_hand_built_log():
    """Ten discharges in week 10 of a 100-week run: 4 completers (one dies of overdose in
    week 13), 6 early leavers (one overdose death in week 15, one other death in week 40).
    Completers 1/4 overdose deaths within 4 months; all discharges 2/10; any death within 12
    months 3/10. Each against Strang's exact binomial interval; all validation."""
    rows = []
    for person in range(10):
        rows.append((person, 0, "initial", "", "detox", "initial_state"))
    for person in range(4):
        rows.append((person, 10, "transition", "detox", "recovery", "discharge_no_aftercare"))
    for person in range(4, 10):
        detail = DETOX_LEFT_WITHDRAWAL if person < 7 else DETOX_LEFT_EARLY
        rows.append((person, 10, "transition", "detox", "active", detail))
    rows.append((0, 12, "transition", "recovery", "active", "relapse"))
    rows.append((0, 13, "death", "active", "dead", "overdose"))
    rows.append((4, 15, "death", "active", "dead", "overdose"))
    rows.append((5, 40, "death", "active", "dead", "other_cause"))
    moves = state_changes(_log(rows))
    rep = detox_follow_up(moves, 100)
    assert rep["detox_completed"][0].tolist() == [10] * 4
    assert rep["detox_discharge"][0].size == 10
    results = after_detox_targets([rep], 100)
    assert [r.simulated for r in results] == [0.25, 0.2, 0.3]
    assert [r.published.value for r in results if r.published] == [
        3 / STRANG_COMPLETERS,
        3 / STRANG_ADMISSIONS,
        5 / STRANG_ADMISSIONS,
    ]
    assert all(r.role == "validation" for r in results)
    assert "completing" in results[0].name


def test_release_follow_up_separates_prison_from_jail():
    """A prison release and a jail release (and a jail stay that ends in prison, which is not
    a release): each is followed on its own list."""
    rows = [
        (0, 0, "initial", "", "prison", "initial_state"),
        (1, 0, "initial", "", "jail", "initial_state"),
        (2, 0, "initial", "", "jail", "initial_state"),
        (0, 5, "transition", "prison", "recovery", "release"),
        (0, 6, "death", "recovery", "dead", "overdose"),
        (1, 3, "transition", "jail", "recovery", "release"),
        (2, 4, "transition", "jail", "prison", "sentenced"),
    ]
    out = release_follow_up(state_changes(_log(rows)), 20)
    last, od_week = out["release"]
    assert last.tolist() == [2] and od_week.tolist() == [2]  # died in week 2 after release
    jail_last, jail_od = out["jail_release"]
    assert jail_last.tolist() == [18] and jail_od.tolist() == [0]


def test_marsden_measure_compares_releases_on_moud_with_the_rest_by_hand():
    """Releases on MOUD (continued, begun at release, or no place free: intention to treat)
    against the others; deaths from any cause in weeks 1-4 after release over the person-time
    of those weeks, follow-up ending at re-arrest. A 100-week run."""
    rows = [(p, 0, "initial", "", "jail", "initial_state") for p in range(8)]
    rows += [
        # On MOUD at release: 4 releases, 1 death in week 3 after release (other cause).
        (0, 10, "transition", "jail", "methadone", "custody_continued"),
        (1, 10, "transition", "jail", "buprenorphine", "at_release"),
        (2, 10, "transition", "jail", "active", "release_no_moud_place"),
        (2, 12, "death", "active", "dead", "other_cause"),
        (3, 10, "transition", "jail", "methadone", "custody_continued"),
        (3, 11, "transition", "methadone", "jail", "arrest"),  # re-arrested: 1 week at risk
        # Not on MOUD: 3 releases, 2 deaths within 4 weeks, 1 in week 6 (outside).
        (4, 20, "transition", "jail", "recovery", "release"),
        (4, 20, "death", "recovery", "dead", "overdose"),  # week 1, at risk in it
        (5, 20, "transition", "jail", "recovery", "release"),
        (5, 23, "death", "recovery", "dead", "overdose"),  # week 4
        (6, 20, "transition", "jail", "recovery", "release"),
        (6, 25, "death", "recovery", "dead", "other_cause"),  # week 6: not counted
        (7, 30, "transition", "jail", "prison", "sentenced"),  # not a release
    ]
    rep = release_on_moud_follow_up(state_changes(_log(rows)), 100)["release_on_moud"]
    assert rep["on_moud"][0].tolist() == [91, 91, 2, 1]  # weeks at risk (to the run's end)
    assert rep["on_moud"][1].tolist() == [0, 0, 3, 0]
    assert rep["not_on_moud"][1].tolist() == [1, 4, 6]
    result = release_on_moud_target([{"release_on_moud": rep}])
    # On: 1 death / (4+4+2+1 weeks); off: 2 deaths / (1+4+4 weeks, capped at 4).
    expected = (1 / 11) / (2 / 9)
    assert result.simulated == pytest.approx(expected)
    assert result.role == "validation"
    assert result.published is not None and result.published.value == 0.25
    # With no death in one group the ratio is not a number, and not a pass.
    none = {"on_moud": (np.array([4]), np.array([0])), "not_on_moud": rep["not_on_moud"]}
    assert not check_enough_data([release_on_moud_target([{"release_on_moud": none}])])[0].passed
