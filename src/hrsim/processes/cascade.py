"""The HIV and HCV care cascades and the course of HCV, once a week; infection at week 0.

HIV (people living with HIV, ``hiv``): undiagnosed -> diagnosed (weekly probability from
``hiv_testing_rate_per_year`` times the testing hook) -> linked to care at diagnosis with
``hiv_linkage_probability`` (the others stay out of care) -> on ART (``hiv_art_start_rate_per_year``
among people in care, times ``hooks.art_start_multiplier``) -> virally suppressed after
``hiv_weeks_to_suppression`` weeks on ART. People in care (on ART or not) drop out at
``hiv_art_dropout_rate_per_year``: ART and suppression stop. Diagnosed people out of care
re-engage at ``hiv_reengagement_rate_per_year``. ``hiv_weeks`` counts weeks since infection
(the acute phase of transmission, processes/infections.py).

HCV: ``hcv`` is current (viraemic) infection, ``hcv_antibody`` ever infected (kept after
clearance and cure). A new infection clears spontaneously after ``hcv_acute_weeks`` in a share
``hcv_spontaneous_clearance_fraction`` (drawn at infection). The DAA cascade: a test at
``hcv_testing_rate_per_year`` (times the testing hook) finds the antibody; with
``hcv_rna_confirmation_probability`` an RNA test confirms current infection (``hcv_diagnosed``);
treatment starts at ``hcv_treatment_start_rate_per_year`` (times ``hooks.hcv_treatment_multiplier``)
and lasts ``hcv_treatment_weeks``; from week ``hcv_daa_nonviraemic_from_week`` of a course the
person does not transmit. At the end of the course it is completed with
``hcv_treatment_completion_probability`` and the person cured with ``hcv_cure_probability``
(both per course started). A cured person is HCV-negative and undiagnosed again, keeps the
antibody, and can be reinfected by the same exposures as anyone else.

Inputs: the rates and probabilities above. Expected to emerge (not set): viral suppression
among people with diagnosed HIV (compare Karch 2016, 42.8%), HIV awareness, the viraemic
share of antibody-positive people, and reinfection after cure (Hajarizadeh 2020).

Runs right before ``infections``: this week's transmission sees this week's care states
(a person who reached suppression or week 4 of a DAA course this week transmits as such), and
a person infected this week enters the cascade next week.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from hrsim.core.rng import person_draws
from hrsim.core.states import Care as S
from hrsim.processes.base import Process, weekly_probability

if TYPE_CHECKING:
    from hrsim.core.context import WeekContext
    from hrsim.core.people import People
    from hrsim.core.rng import PersonDraw
    from hrsim.scenario import Scenario

#: Weeks since infection given to infections present at week 0 (chronic, past the acute phase).
CHRONIC_WEEKS = 52


class Cascade(Process):
    """HIV care (diagnosis, linkage, ART, suppression, dropout, re-engagement) and HCV's course."""

    name = "cascade"

    def init(self, model: WeekContext) -> None:
        """Weekly probabilities."""
        i = model.scenario.infection
        self.i = i
        self.p_hiv_test = float(weekly_probability(i.hiv_testing_rate_per_year))
        self.p_art = float(weekly_probability(i.hiv_art_start_rate_per_year))
        self.p_dropout = float(weekly_probability(i.hiv_art_dropout_rate_per_year))
        self.p_reengage = float(weekly_probability(i.hiv_reengagement_rate_per_year))
        self.p_hcv_test = float(weekly_probability(i.hcv_testing_rate_per_year))
        self.p_hcv_treat = float(weekly_probability(i.hcv_treatment_start_rate_per_year))

    def step(self, model: WeekContext) -> None:
        """HIV care, then the course of HCV."""
        # Each person's draws are keyed to them and the week (common random numbers: an arm
        # with one more person infected leaves everyone else's care course as it was).
        draw = person_draws(model.streams, self.name, model.week, model.people.pid)
        self._hiv(model, draw)
        self._hcv(model, draw)

    def _hiv(self, model: WeekContext, draw: PersonDraw) -> None:
        i, p, week = self.i, model.people, model.week
        rows = np.flatnonzero(p.hiv)
        rows = rows[p.state[rows] < S.DEAD]
        p.hiv_weeks[rows] += 1
        # One uniform per person: the transitions below are exclusive by state.
        u = draw("hiv", rows)
        dx, linked, art = p.hiv_diagnosed[rows], p.hiv_linked[rows], p.hiv_on_art[rows]
        tested = ~dx & (u < self.p_hiv_test * p.testing_multiplier[rows])
        reengaged = dx & ~linked & (u < self.p_reengage)
        p_start = min(self.p_art * model.hooks.art_start_multiplier, 1.0)
        starts = linked & ~art & (u < p_start)
        # In care: dropout (exclusive of starting ART this week for those not yet on it).
        drop_lo = np.where(art, 0.0, p_start)
        dropout = linked & (u >= drop_lo) & (u < drop_lo + self.p_dropout)
        on = art & ~dropout
        tested_rows = rows[tested]
        linked_now = tested_rows[draw("hiv_linkage", tested_rows) < i.hiv_linkage_probability]
        p.hiv_diagnosed[tested_rows] = True
        p.hiv_linked[linked_now] = True
        p.hiv_linked[rows[reengaged]] = True
        on_rows = rows[on]
        p.hiv_art_weeks[on_rows] += 1
        start_rows = rows[starts]
        p.hiv_on_art[start_rows] = True
        p.hiv_art_weeks[start_rows] = 0
        drop_rows = rows[dropout]
        p.hiv_linked[drop_rows] = False
        p.hiv_on_art[drop_rows] = False
        p.hiv_art_weeks[drop_rows] = 0
        p.hiv_suppressed[drop_rows] = False
        treated = np.concatenate([on_rows, start_rows])
        reach = treated[
            ~p.hiv_suppressed[treated] & (p.hiv_art_weeks[treated] >= i.hiv_weeks_to_suppression)
        ]
        p.hiv_suppressed[reach] = True
        for event_rows, detail in (
            (tested_rows, "hiv_diagnosed"),
            (linked_now, "hiv_linked"),
            (rows[reengaged], "hiv_reengaged"),
            (start_rows, "hiv_art_start"),
            (reach, "hiv_suppressed"),
            (drop_rows, "hiv_care_dropout"),
        ):
            state = p.state[event_rows]
            model.events.add(p.pid[event_rows], week, "clinical", state, state, detail)

    def _hcv(self, model: WeekContext, draw: PersonDraw) -> None:
        i, p, week = self.i, model.people, model.week
        infected = np.flatnonzero(p.hcv)
        infected = infected[p.state[infected] < S.DEAD]
        # Masks below are aligned with ``infected``: one gather per array, not one per subset.
        u = draw("hcv", infected)
        weeks = p.hcv_weeks[infected] + 1
        p.hcv_weeks[infected] = weeks
        clears = p.hcv_will_clear[infected] & (weeks >= i.hcv_acute_weeks)
        treatment_weeks = p.hcv_treatment_weeks[infected]
        on_treatment = treatment_weeks > 0
        treatment_weeks[on_treatment] += 1
        finished = on_treatment & (treatment_weeks > i.hcv_treatment_weeks)
        # Per course started: completed with the completion probability, cured with the cure
        # probability (cure <= completion, so the cured are among those who completed).
        completed = finished & (u < i.hcv_treatment_completion_probability)
        cured = finished & (u < i.hcv_cure_probability)
        treatment_weeks[finished] = 0
        p.hcv_treatment_weeks[infected] = treatment_weeks
        diagnosed = p.hcv_diagnosed[infected]
        p_test = self.p_hcv_test * p.testing_multiplier[infected]
        tested = ~clears & ~diagnosed & (u < p_test)
        confirmed = tested & (u < p_test * i.hcv_rna_confirmation_probability)
        start = (
            ~clears
            & diagnosed
            & (treatment_weeks == 0)
            & ~finished
            & (u < self.p_hcv_treat * model.hooks.hcv_treatment_multiplier)
        )
        for mask, detail in ((clears, "hcv_cleared"), (cured, "hcv_cured")):
            rows = infected[mask]
            p.hcv[rows] = False
            p.hcv_diagnosed[rows] = False
            p.hcv_weeks[rows] = 0
            p.hcv_will_clear[rows] = False
            model.events.add(p.pid[rows], week, "clinical", p.state[rows], p.state[rows], detail)
        tested_rows, confirmed_rows = infected[tested], infected[confirmed]
        start_rows = infected[start]
        p.hcv_antibody_diagnosed[tested_rows] = True
        p.hcv_diagnosed[confirmed_rows] = True
        p.hcv_treatment_weeks[start_rows] = 1
        model.timeseries.add("daa_starts", start_rows.size)  # each course costed once (costs)
        for event_rows, detail in (
            (tested_rows, "hcv_antibody_positive"),
            (confirmed_rows, "hcv_diagnosed"),
            (start_rows, "hcv_treatment_start"),
            (infected[completed & ~cured], "hcv_treatment_failed"),
            (infected[finished & ~completed], "hcv_treatment_incomplete"),
        ):
            state = p.state[event_rows]
            model.events.add(p.pid[event_rows], week, "clinical", state, state, detail)


def _logistic_intercept(x: np.ndarray, target: float) -> float:
    """``a`` with ``mean(1 / (1 + exp(-(a + x)))) == target`` (bisection on the few distinct x)."""
    if target <= 0.0 or target >= 1.0 or x.size == 0:
        return -np.inf if target <= 0.0 else np.inf
    values, counts = np.unique(x, return_counts=True)
    weights = counts / counts.sum()
    lo, hi = -50.0, 50.0
    for _ in range(100):
        mid = 0.5 * (lo + hi)
        mean = float(np.sum(weights / (1.0 + np.exp(-(mid + values)))))
        lo, hi = (mid, hi) if mean < target else (lo, mid)
    return 0.5 * (lo + hi)


def risk_probability(
    log_odds_offset: np.ndarray, groups: np.ndarray, targets: dict[bool, float]
) -> np.ndarray:
    """Per-person probability: logistic, one intercept per group solved to its target.

    ``log_odds_offset`` is each person's log-odds above the group's intercept; the groups
    (here: injects or not) each get the intercept that makes their mean probability the target.
    """
    prob = np.zeros(log_odds_offset.size)
    for group, target in targets.items():
        mask = groups == group
        a = _logistic_intercept(log_odds_offset[mask], target)
        prob[mask] = 1.0 / (1.0 + np.exp(-(a + log_odds_offset[mask])))
    return prob


def initialise_infections(people: People, scenario: Scenario, rng: np.random.Generator) -> None:
    """HIV, HCV antibody and viraemic HCV at week 0, correlated with risk, and HIV care states.

    The log-odds of HIV and of HCV antibody rise by ``log(initial_infection_or_heavy_use)``
    for daily or heavier use and ``log(initial_infection_or_sharing)`` for people in a
    syringe-sharing episode; the intercept for people who inject and for people who do not
    is solved so each group's expected prevalence equals the parameter (injecting's odds ratio
    is the one these two prevalences imply). Viraemic HCV is a fixed share of antibody-positive
    people (``hcv_viraemic_prevalence_inject / hcv_prevalence_inject``). Diagnosed HIV:
    ``hiv_diagnosed_fraction``; of those, ``hiv_in_care_fraction_of_diagnosed`` are in care, and of
    those ``hiv_suppressed_fraction_of_in_care`` on ART and suppressed (the rest in care, not yet
    on ART). Week-0 infections are chronic (past the acute phases).
    """
    pop = scenario.population
    p, n = people, people.n
    offset = np.log(pop.initial_infection_or_heavy_use) * p.heavy_use
    offset = offset + np.log(pop.initial_infection_or_sharing) * (p.sharing_episode & p.injects)
    inj = p.injects
    hiv_p = risk_probability(
        offset, inj, {True: pop.hiv_prevalence_inject, False: pop.hiv_prevalence_noninject}
    )
    hcv_p = risk_probability(
        offset, inj, {True: pop.hcv_prevalence_inject, False: pop.hcv_prevalence_noninject}
    )
    p.hiv[:] = rng.random(n) < hiv_p
    p.hiv_weeks[:] = np.where(p.hiv, CHRONIC_WEEKS, 0)
    p.hiv_diagnosed[:] = p.hiv & (rng.random(n) < pop.hiv_diagnosed_fraction)
    p.hiv_linked[:] = p.hiv_diagnosed & (rng.random(n) < pop.hiv_in_care_fraction_of_diagnosed)
    p.hiv_suppressed[:] = p.hiv_linked & (rng.random(n) < pop.hiv_suppressed_fraction_of_in_care)
    p.hiv_on_art[:] = p.hiv_suppressed
    p.hiv_art_weeks[:] = np.where(p.hiv_suppressed, CHRONIC_WEEKS, 0)
    p.hcv_antibody[:] = rng.random(n) < hcv_p
    viraemic_share = (
        pop.hcv_viraemic_prevalence_inject / pop.hcv_prevalence_inject
        if pop.hcv_prevalence_inject > 0
        else 0.0
    )
    p.hcv[:] = p.hcv_antibody & (rng.random(n) < viraemic_share)
    p.hcv_weeks[:] = np.where(p.hcv, CHRONIC_WEEKS, 0)  # prevalent infections are chronic
