"""Stimulant co-use: cocaine or methamphetamine with opioids, as a per-person state.

``people.uses_stimulants`` starts and stops by weekly probabilities: a spell ends with
``b = 1 / supply.stimulant_episode_mean_weeks`` and starts with ``a = b p / (1 - p)``
(``p = supply.stimulant_prevalence``), so the share in a spell is stationary at ``p``:
``a / (a + b) = p``. At week 0 and for every new initiate the state is drawn with
probability ``p`` (a keyed draw on the person's id, stream ``stimulants.initial``), so the
population starts at the stationary share. The overdose process multiplies the hazard of
people in a spell by ``overdose.stimulant_rr`` (Palis 2022, BC: HR 2.02).

Inputs: the prevalence (R, anchored to NHBS Denver 2015), the mean spell length (R), the rate
ratio (C). What emerges: the share of overdose deaths with stimulant co-use (SUDORS: about 40%
of IMF-involved deaths also involved stimulants is validation context, not an input).

Cheap: starts and stops are drawn by thinning (``thinned_draws`` at ``max(a, b)``), so the
weekly cost follows the number of transitions, not the population; new initiates are found
from ``people.filled``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from hrsim.core.sampling import thinned_draws
from hrsim.processes.base import Process

if TYPE_CHECKING:
    from hrsim.core.context import WeekContext

INITIAL_STREAM = "stimulants.initial"


class Stimulants(Process):
    """Stimulant co-use spells start and end, once a week."""

    name = "stimulants"

    def init(self, model: WeekContext) -> None:
        """Weekly start and stop probabilities; everyone's state at week 0."""
        s = model.scenario.supply
        self.prevalence = s.stimulant_prevalence
        self.stop = 1.0 / s.stimulant_episode_mean_weeks
        self.start = self.stop * self.prevalence / (1.0 - self.prevalence)
        self._fills_seen = 0
        self._draw_new(model)

    def _draw_new(self, model: WeekContext) -> None:
        """The state of every person filled (week 0, or new initiates) since the last call."""
        people = model.people
        for rows in people.filled[self._fills_seen :]:
            u = model.streams.uniform(INITIAL_STREAM, 0, people.pid[rows])
            people.uses_stimulants[rows] = u < self.prevalence
        self._fills_seen = len(people.filled)

    def step(self, model: WeekContext) -> None:
        """New initiates' state, then this week's starts and stops."""
        people = model.people
        self._draw_new(model)
        if self.start <= 0.0 and self.stop <= 0.0:
            return
        rng = model.streams.generator(self.name, model.week)
        rows, u = thinned_draws(rng, people.n, max(self.start, self.stop))
        using = people.uses_stimulants[rows]
        change = u < np.where(using, self.stop, self.start)
        rows, using = rows[change], using[change]
        people.uses_stimulants[rows] = ~using
        model.timeseries.add("stimulant_starts", int((~using).sum()))
        model.timeseries.add("stimulant_stops", int(using.sum()))
