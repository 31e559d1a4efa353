"""Peer navigation after a non-fatal overdose.

A peer (a recovery coach or navigator with lived experience) reaches a share of the people
who survived an overdose last week while in active use, stays with them for ``delay_weeks``,
and links some of them to MOUD at the end of that time: care then treats the person as
referred in that week (``people.moud_referral_week``) and starts MOUD if there is a place.

The overdose process sets ``weeks_since_overdose`` to 0 for survivors and the model adds 1
when it closes the week, so at the start of a week (when programmes run) last week's
survivors are exactly the people with ``weeks_since_overdose == 1``.

Inputs (``interventions/defaults.toml``): coverage of survivors, the linkage probability
(an upper bound: an RCT found no effect, so try 0), the delay and the cost per episode. What
emerges: MOUD starts after an overdose (only where a place is free), the time they spend on
MOUD (care's retention), and the overdoses and deaths averted through that time on MOUD.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from pydantic import Field

from hrsim.core.states import Care
from hrsim.interventions.base import Intervention
from hrsim.interventions.params import InterventionParams
from hrsim.interventions.registry import register

if TYPE_CHECKING:
    from hrsim.core.context import WeekContext


class PeerNavigationParams(InterventionParams):
    """Reach, linkage, time to linkage, and the cost of an episode."""

    coverage_fraction: float = Field(ge=0.0, le=1.0)
    linkage_probability: float = Field(ge=0.0, le=1.0)
    delay_weeks: int = Field(ge=0, le=520)
    cost_usd_per_navigation_episode: float = Field(ge=0.0, le=1e6)


@register
class PeerNavigation(Intervention[PeerNavigationParams]):
    """Peers who reach overdose survivors and link them to MOUD after a delay."""

    type = "peer_navigation"
    Params = PeerNavigationParams
    outputs = ("enrolled", "episodes", "linkages")

    def init(self, model: WeekContext) -> None:
        """Per-person week at which each client's navigation ends (their referral week)."""
        super().init(model)
        self.until = np.zeros(model.people.n, dtype=np.int64)

    def step(self, model: WeekContext) -> None:
        """End finished episodes, then reach last week's overdose survivors."""
        p = self.params
        people, week = model.people, model.week
        # An episode lasts up to and including its referral week.
        clients = self.clients  # few: people navigated after an overdose
        finished = clients[self.until[clients] < week]
        self.leave(model, finished, "completed")
        coverage = p.coverage_fraction * self.scale(week)
        if coverage <= 0:
            return
        # Survivors already with a peer stay in their current episode.
        survivors = np.flatnonzero(
            (people.weeks_since_overdose == 1) & (people.state == Care.ACTIVE) & ~self.enrolled
        )
        # Each overdose is a new chance to be reached (an ED visit, an outreach call), so the
        # draw is per episode, not a fixed per-person place in a queue.
        reached = survivors[self.uniform(model, "reach", survivors) < coverage]
        links = self.uniform(model, "linkage", reached) < p.linkage_probability
        linked, not_linked = reached[links], reached[~links]
        self.enrol(model, linked, "linked")
        self.enrol(model, not_linked, "not_linked")
        self.until[reached] = week + p.delay_weeks
        people.moud_referral_week[linked] = week + p.delay_weeks
        self.report(model, "episodes", reached.size)
        self.report(model, "linkages", linked.size)
        self.spend(model, reached.size * p.cost_usd_per_navigation_episode)
