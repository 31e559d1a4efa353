"""ED peer navigation: recovery coaches in emergency departments after an overdose.

A peer (a recovery coach or navigator with lived experience) embedded in emergency
departments reaches a share of the people who visited an ED after a non-fatal overdose last
week while in active use, stays with them for ``delay_weeks``, and links some of them to MOUD
at the end of that time: care then treats the person as referred in that week
(``people.moud_referral_week``) and starts MOUD if there is a place.

Triggered at the ED visit, not at any overdose (issue 13): the evidence is ED-based (Samuels,
Rhode Island ED recovery coaches; Doran 2026's RCT of peer navigation after an ED visit), and
a survivor who never reaches an ED never meets the coach. The overdose response
(``processes/overdose_response.py``) writes ``people.ed_visit_week``; programmes run at the
start of a week, so last week's visitors are the people with ``ed_visit_week == week - 1``.
This programme was changed rather than a new one added, since it had no other trigger in
the evidence; an outreach team reaching survivors at home would be a different programme.

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
    """Reach (of ED visits after an overdose), linkage, time to linkage, cost per episode."""

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
        """End finished episodes, then reach last week's ED visitors after an overdose."""
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
            (people.ed_visit_week == week - 1) & (people.state == Care.ACTIVE) & ~self.enrolled
        )
        # Each ED visit is a new chance to be reached, so the draw is per episode, not a
        # fixed per-person place in a queue.
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
