"""Opioid tolerance.

Tolerance falls while a person is not using (detox, prison, recovery) and returns with use
or on MOUD. Low tolerance raises overdose risk through the dose's potency relative to the
person's effective tolerance (overdose.py: ``(potency / (m + (1 - m) tolerance))^k``), so a
dose with fentanyl after lost tolerance carries both.

A lapse (``people.lapsed_this_week``: one use in recovery, drawn by the overdose process)
does not restore tolerance: the person stays in recovery, whose target is 0 (R: one use is
not the regular use that rebuilds tolerance). Inputs: the regain fraction and loss half-life
(R); what emerges: how long the excess risk lasts after release, detox or in recovery.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from hrsim.core.states import Care
from hrsim.processes.base import Process

if TYPE_CHECKING:
    from hrsim.core.context import WeekContext


USING: tuple[int, ...] = (Care.ACTIVE, Care.METHADONE, Care.BUPRENORPHINE)  # target 1
NOT_USING: tuple[int, ...] = (Care.DETOX, Care.RECOVERY, Care.PRISON, Care.JAIL)  # target 0
# Tolerance under this is zero: left to decay, it would reach subnormal floats, whose
# arithmetic is tens of times slower. It changes the overdose rate by under a millionth.
FLOOR = np.float32(1e-6)


class Tolerance(Process):
    """``tolerance += (target - tolerance) * speed`` for every living person.

    The target is 1 with speed ``regain_fraction_per_week`` while using (or on MOUD) and 0
    with the speed of the loss half-life while not using. Below ``FLOOR`` it is zero.
    """

    name = "tolerance"

    def init(self, model: WeekContext) -> None:
        """Weekly speeds of regain and loss."""
        t = model.scenario.tolerance
        self.regain = np.float32(t.regain_fraction_per_week)
        self.loss = np.float32(1.0 - 0.5 ** (1.0 / t.loss_half_life_weeks))

    def step(self, model: WeekContext) -> None:
        """Move every person's tolerance toward their state's target."""
        state, tol = model.people.state, model.people.tolerance
        # Masks from comparisons, not table lookups by state: gathers are several times
        # slower. The products below are exact (a speed times 1 or 0), so this is the same
        # arithmetic as ``target[state]`` and ``speed[state]``.
        target = _any_of(state, USING).view(np.uint8).astype(np.float32)
        speed = target * self.regain
        speed += _any_of(state, NOT_USING).view(np.uint8).astype(np.float32) * self.loss
        target -= tol
        target *= speed
        tol += target
        np.multiply(tol, tol >= FLOOR, out=tol)


def _any_of(state: np.ndarray, states: tuple[int, ...]) -> np.ndarray:
    mask = state == states[0]
    for s in states[1:]:
        mask |= state == s
    return mask
