"""Naloxone distribution.

The programme reaches a share of the people at risk of overdose: people in active use, on
MOUD, or released from prison in the last few weeks. Each week a client without a kit gets
one with some probability, and each kit handed to a client may bring a second kit for one of
the client's contacts (injecting or social) who has none. The programme's kits are kept in
the run's kit ledger (``model.kits``, see ``hrsim.core.kits``): a kit used at an overdose or
lost leaves circulation, as does the kit of a holder who dies or leaves. A holder without a
kit can be given a new one. A witness with a kit reverses an overdose with
``hooks.naloxone_reversal_probability``; the programme's training can raise it.

Inputs (``interventions/defaults.toml``): coverage, the weekly probability of a kit, the
network share, kit losses, the post-release window, the trained reversal probability and the
kit's cost. What emerges: kits in circulation, the overdoses a carrier witnesses, reversals
and deaths averted. None of these is set: a kit averts a death only if its holder is present
at an overdose that is not used alone (the overdose process's presence and alone draws) and
the reversal succeeds where the overdose would otherwise have been fatal.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from pydantic import Field

from hrsim.core.sampling import bernoulli_positions
from hrsim.core.states import Care, in_custody
from hrsim.interventions.base import Intervention
from hrsim.interventions.helpers import pick_contact
from hrsim.interventions.params import InterventionParams
from hrsim.interventions.registry import register

if TYPE_CHECKING:
    from hrsim.core.context import WeekContext

NEVER_RELEASED = -1_000_000


class NaloxoneDistributionParams(InterventionParams):
    """Reach, how often kits are handed out, kit losses, training and the kit's cost."""

    coverage_fraction: float = Field(ge=0.0, le=1.0)
    kit_probability_per_week: float = Field(ge=0.0, le=1.0)
    network_share: float = Field(ge=0.0, le=1.0)
    kit_loss_probability_per_week: float = Field(ge=0.0, le=1.0)
    release_window_weeks: int = Field(ge=0, le=520)
    reversal_probability: float = Field(ge=0.0, le=1.0)
    cost_usd_per_kit: float = Field(ge=0.0, le=1e4)


@register
class NaloxoneDistribution(Intervention[NaloxoneDistributionParams]):
    """Take-home naloxone for people at risk of overdose and their contacts."""

    type = "naloxone_distribution"
    Params = NaloxoneDistributionParams
    outputs = ("enrolled", "kits_given", "network_kits", "kits_used", "kits_lost", "carriers")

    def init(self, model: WeekContext) -> None:
        """Per-person books: the week of each person's last release from custody."""
        super().init(model)
        n = model.people.n
        self.released_week = np.full(n, NEVER_RELEASED, dtype=np.int32)
        self.last_state = model.people.state.copy()

    def _track_releases(self, model: WeekContext) -> None:
        """Note who left custody since last week (a refilled row's newcomer was never there)."""
        people = model.people
        # Released from custody: from jail or from prison (``state < PRISON``: free, alive).
        released = in_custody(self.last_state) & (people.state < Care.PRISON)
        self.released_week[released] = model.week - 1  # released during last week's step
        self.released_week[model.week_view.left] = NEVER_RELEASED
        self.last_state = people.state.copy()

    def step(self, model: WeekContext) -> None:
        """Retire used and lost kits, then hand out new ones."""
        p = self.params
        people, kits = model.people, model.kits
        self._track_releases(model)

        used = kits.retire_used(self.type)  # used at last week's overdoses
        # Kits of holders who died or left go with them; the rest may be lost this week.
        gone = kits.retire(self.type, model.week_view.left)
        # Each living holder's kit is lost with its probability: rows drawn by geometric gaps
        # (the cost follows the rows drawn), kept if they hold one of the programme's kits.
        loss = model.streams.generator(f"{self.stream}.loss", model.week)
        lost = bernoulli_positions(loss, people.n, p.kit_loss_probability_per_week)
        lost = kits.retire(self.type, lost[model.week_view.alive[lost]])

        state = people.state
        recently_released = (state < Care.PRISON) & (
            self.released_week >= model.week - p.release_window_weeks
        )
        eligible = model.week_view.active | model.week_view.on_moud | recently_released
        reach = p.coverage_fraction * self.scale(model.week)
        self.enrol_to_coverage(model, eligible, reach)
        given = np.zeros(0, dtype=np.intp)
        network = np.zeros(0, dtype=np.intp)
        if self.enrolled.any():
            if reach > 0 and p.reversal_probability > model.hooks.naloxone_reversal_probability:
                # Training raises the reversal probability; it never lowers it.
                model.hooks.naloxone_reversal_probability = p.reversal_probability
            no_kit = np.flatnonzero(self.enrolled & ~people.carries_naloxone)
            given = no_kit[self.uniform(model, "kit", no_kit) < p.kit_probability_per_week]
            kits.give(self.type, given)
            passing = given[self.uniform(model, "network", given) < p.network_share]
            free = model.week_view.free
            network = pick_contact(
                model, f"{self.stream}.contact", passing, free & ~people.carries_naloxone
            )
            kits.give(self.type, network)

        handed_out = given.size + network.size
        self.report(model, "kits_given", handed_out)
        self.report(model, "network_kits", network.size)
        self.report(model, "kits_used", used.size)
        self.report(model, "kits_lost", gone.size + lost.size)
        self.report(model, "carriers", kits.count(self.type))
        self.spend(model, handed_out * p.cost_usd_per_kit)
