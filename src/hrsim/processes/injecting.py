"""Injecting behaviour: route of use over time, who injects this week, sharing and coverage.

Runs after care (this week's care states are known) and before overdose and infections, which
read what it writes. Every week, in order:

1. **Route of use** (``people.route``; ``injects`` follows it through ``set_route``). People in
   active use who inject switch to smoking (the fentanyl-era switch) or stop injecting
   (cessation, to smoking or another route); on MOUD, injecting cessation is faster
   (``moud_cessation_hazard_ratio``). People in active use who do not inject start (never
   injected) or return (injected before) to injecting. Each change is a ``behaviour`` event.
2. **Injecting this week** (``injected_this_week``): everyone in active use whose route is
   injecting; on methadone or buprenorphine with route injecting, with a weekly probability
   per medication, at ``moud_injection_frequency_rr`` of the usual frequency. Detox,
   recovery, prison: no.
3. **Sharing episodes**: receptive syringe sharing (``sharing_episode``) and sharing of
   cookers, cotton and rinse water (``equipment_episode``) start and end by weekly
   probabilities, for people whose route is injecting and who use (active or MOUD).
4. **This week's shared injections** (expected numbers, for the infection process):

   ``receptive_shared_injections = injections x episode_shared_injection_fraction
   x (1 - sterile coverage) x (1 - supervised_fraction)`` while in a syringe episode, where
   sterile coverage ``= min(1, baseline_syringe_coverage + syringe_coverage)`` and the hook
   ``syringe_coverage`` is the programmes' sterile syringes per injection. Handing out more
   syringes lowers sharing in proportion until coverage reaches 1, then no further.

   ``equipment_shared_injections = injections x equipment_shared_injection_fraction
   x (1 - supervised_fraction)`` while in a syringe or an equipment episode (sterile syringes
   do not replace cookers; no equipment is shared at a supervised site). On MOUD both are
   scaled by ``moud_sharing_rr``.

Common random numbers: every decision is a uniform keyed to the person, the week and the
decision (``Streams.uniform``), never to a position among this week's eligible people, so an
arm with one more person injecting leaves everyone else's route, injecting and episodes alone.

Inputs are the individual-level rates in ``[injecting]`` (each with its source). What is
expected to emerge, not set: the share of people who inject who shared in the past year (the
episode start probability is fitted to it with the closed form in ``past_year_share``), the
route mix over time, injecting on MOUD at the population level, and the effect of a syringe
programme on sharing (from the syringes it hands out).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from hrsim.core.people import NEVER, past_year_share, set_route, stationary_share
from hrsim.core.rng import person_draws
from hrsim.core.states import Care, Route, on_moud
from hrsim.processes.base import Process, weekly_probability

if TYPE_CHECKING:
    from hrsim.core.context import WeekContext
    from hrsim.core.people import People
    from hrsim.core.rng import PersonDraw

__all__ = ["Injecting", "past_year_share", "receptive_shared", "stationary_share"]


def sterile_coverage(baseline: float, hook: np.ndarray) -> np.ndarray:
    """Share of injections with a sterile syringe: min(1, baseline + programme syringes)."""
    return np.minimum(1.0, baseline + hook.astype(np.float64))


def receptive_shared(
    injections: np.ndarray,
    shared_fraction: float | np.ndarray,
    coverage: np.ndarray,
    supervised: np.ndarray,
) -> np.ndarray:
    """Expected injections with a syringe someone else used (the formula in the docstring)."""
    return injections * shared_fraction * (1.0 - coverage) * (1.0 - supervised)


class Injecting(Process):
    """Route of use, injecting this week, sharing episodes and shared injections."""

    name = "injecting"

    def init(self, model: WeekContext) -> None:
        """Weekly probabilities from the ``[injecting]`` rates."""
        ij = model.scenario.injecting
        self.ij = ij
        switch, cease = ij.injecting_to_smoking_rate_per_year, ij.injecting_cessation_rate_per_year
        self.p_leave = float(weekly_probability(switch + cease))  # switch or cessation
        self.switch_share = switch / (switch + cease) if switch + cease > 0 else 0.0
        self.p_cease_moud = float(weekly_probability(cease * ij.moud_cessation_hazard_ratio))
        self.p_start = float(weekly_probability(ij.start_injecting_rate_per_year))
        self.p_return = float(weekly_probability(ij.return_to_injecting_rate_per_year))

    def step(self, model: WeekContext) -> None:
        """Routes, then this week's injecting, episodes and shared injections."""
        p = model.people
        draw = person_draws(model.streams, self.name, model.week, p.pid)
        active = p.state == Care.ACTIVE
        moud = on_moud(p.state)
        self._routes(model, draw, active, moud)
        injected = self._injecting_this_week(p, draw, active, moud)
        using = p.injects & (active | moud)
        ij = self.ij
        _episodes(
            draw,
            "sharing",
            p.sharing_episode,
            using,
            ij.sharing_episode_start_probability_per_week,
            ij.sharing_episode_mean_weeks,
        )
        _episodes(
            draw,
            "equipment",
            p.equipment_episode,
            using,
            ij.equipment_episode_start_probability_per_week,
            ij.equipment_episode_mean_weeks,
        )
        self._shared_injections(p, injected, moud)
        model.timeseries.add("people_injecting", int(np.count_nonzero(injected)))

    # -- 1. route of use -------------------------------------------------------------------
    def _routes(
        self, model: WeekContext, draw: PersonDraw, active: np.ndarray, moud: np.ndarray
    ) -> None:
        p, ij = model.people, self.ij
        injecting = np.flatnonzero(active & p.injects)
        u = draw("leave", injecting)
        leaving = u < self.p_leave
        switched = injecting[leaving & (u < self.p_leave * self.switch_share)]
        ceased = injecting[leaving & (u >= self.p_leave * self.switch_share)]
        on_moud_injecting = np.flatnonzero(moud & p.injects)
        ceased_moud = on_moud_injecting[draw("cease_moud", on_moud_injecting) < self.p_cease_moud]
        not_injecting = np.flatnonzero(active & ~p.injects)
        never = p.weeks_since_injected[not_injecting] == NEVER
        starts = draw("start", not_injecting) < np.where(never, self.p_start, self.p_return)
        started, returned = not_injecting[starts & never], not_injecting[starts & ~never]
        ceased = np.concatenate([ceased, ceased_moud])
        smoking = draw("smoking", ceased) < ij.noninjecting_smoking_fraction
        set_route(p, switched, Route.SMOKING)
        set_route(p, ceased, np.where(smoking, Route.SMOKING, Route.OTHER))
        set_route(p, started, Route.INJECTING)
        set_route(p, returned, Route.INJECTING)
        week = model.week
        for rows, detail in (
            (started, "started_injecting"),
            (returned, "returned_to_injecting"),
            (switched, "switched_to_smoking"),
            (ceased, "stopped_injecting"),
        ):
            state = p.state[rows]
            model.events.add(p.pid[rows], week, "behaviour", state, state, detail)
        model.timeseries.add("started_injecting", started.size + returned.size)
        model.timeseries.add("stopped_injecting", switched.size + ceased.size)

    # -- 2. who injects this week ----------------------------------------------------------
    def _injecting_this_week(
        self, p: People, draw: PersonDraw, active: np.ndarray, moud: np.ndarray
    ) -> np.ndarray:
        injected = active & p.injects
        on_treatment = np.flatnonzero(moud & p.injects)
        ij = self.ij
        methadone = ij.methadone_injecting_probability_per_week
        buprenorphine = ij.buprenorphine_injecting_probability_per_week
        chance = np.where(p.state[on_treatment] == Care.METHADONE, methadone, buprenorphine)
        injected[on_treatment[draw("moud_injects", on_treatment) < chance]] = True
        p.injected_this_week[:] = injected
        since = p.weeks_since_injected
        since += since < NEVER
        np.multiply(since, ~injected, out=since)  # 0 where injected (a mask product is faster)
        return injected

    # -- 4. shared injections --------------------------------------------------------------
    def _shared_injections(self, p: People, injected: np.ndarray, moud: np.ndarray) -> None:
        ij = self.ij
        p.receptive_shared_injections.fill(0.0)
        p.equipment_shared_injections.fill(0.0)
        rows = np.flatnonzero(injected & (p.sharing_episode | p.equipment_episode))
        on_treatment = moud[rows]
        injections = p.injection_frequency[rows].astype(np.float64)
        injections[on_treatment] *= ij.moud_injection_frequency_rr
        share_rr = np.where(on_treatment, ij.moud_sharing_rr, 1.0)
        supervised = p.supervised_fraction[rows].astype(np.float64)
        coverage = sterile_coverage(ij.baseline_syringe_coverage, p.syringe_coverage[rows])
        receptive = receptive_shared(
            injections, ij.episode_shared_injection_fraction * share_rr, coverage, supervised
        )
        receptive *= p.sharing_episode[rows]
        equipment = injections * (ij.equipment_shared_injection_fraction * share_rr)
        equipment *= 1.0 - supervised
        p.receptive_shared_injections[rows] = receptive
        p.equipment_shared_injections[rows] = equipment
        since = p.weeks_since_sharing
        since += since < NEVER
        since[rows[receptive > 0]] = 0


def _episodes(
    draw: PersonDraw,
    kind: str,
    episode: np.ndarray,
    eligible: np.ndarray,
    start: float,
    mean_weeks: float,
) -> None:
    """One week of a two-state chain: episodes end with ``1/mean_weeks``, start with ``start``.

    Only ``eligible`` people are in an episode; anyone else's ends now. Starts are drawn among
    those out of an episode before this week's ends, so the chain is the one
    ``past_year_share`` describes.
    """
    off = np.flatnonzero(eligible & ~episode)
    on = np.flatnonzero(episode)
    ends = draw(f"{kind}.end", on) < 1.0 / mean_weeks
    episode[on[ends | ~eligible[on]]] = False
    episode[off[draw(f"{kind}.start", off) < start]] = True
