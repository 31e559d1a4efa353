"""Opioid tolerance.

Tolerance falls while a person is not using (detox, prison, recovery) and returns with use
or on MOUD. Low tolerance raises overdose risk (see overdose.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from hrsim.people import Care
from hrsim.processes.base import Process

if TYPE_CHECKING:
    from hrsim.model import HarmReductionModel


class Tolerance(Process):
    """``tolerance += (target[state] - tolerance) * speed[state]`` for every person."""

    name = "tolerance"

    def init(self, model: HarmReductionModel) -> None:
        """Target tolerance and speed of approach per care state."""
        t = model.scenario.tolerance
        loss = 1.0 - 0.5 ** (1.0 / t.loss_half_life_weeks)
        self.target = np.zeros(len(Care), dtype=np.float32)
        self.speed = np.zeros(len(Care), dtype=np.float32)
        for s in (Care.ACTIVE, Care.METHADONE, Care.BUPRENORPHINE):
            self.target[s], self.speed[s] = 1.0, t.regain_fraction_per_week
        for s in (Care.DETOX, Care.RECOVERY, Care.PRISON):
            self.target[s], self.speed[s] = 0.0, loss

    def step(self, model: HarmReductionModel) -> None:
        """Move every person's tolerance toward their state's target."""
        people = model.people
        tol = people.tolerance
        gap = self.target[people.state]
        gap -= tol
        gap *= self.speed[people.state]
        tol += gap
