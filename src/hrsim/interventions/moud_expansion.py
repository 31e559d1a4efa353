"""MOUD expansion.

A system-level programme: more treatment places, faster initiation (low-threshold, same-day
starts), and better retention (take-home doses, no discharge for use). Each lever is a
multiplier that moves linearly from 1 to its value as the programme ramps up. The model
counts the cost of the extra treatment itself, from person-time on methadone and
buprenorphine (scenario ``costs``); the programme adds only its fixed weekly cost. It has no
individual clients, so ``enrolled`` stays 0.

Inputs: the three multipliers. Expected to emerge, not assumed: what more places do depends
on demand. Where places bind (a MOUD waiting list, the default US setting), more places mean
more starts, shorter waits, more person-time on MOUD and fewer overdoses; where they do not,
``capacity_multiplier`` changes nothing at all (a run is identical with and without it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import Field

from hrsim.interventions.base import Intervention
from hrsim.interventions.params import InterventionParams
from hrsim.interventions.registry import register

if TYPE_CHECKING:
    from hrsim.core.context import WeekContext


class MoudExpansionParams(InterventionParams):
    """Multipliers on capacity, initiation and discontinuation."""

    capacity_multiplier: float = Field(ge=0.0, le=100.0)
    initiation_multiplier: float = Field(ge=0.0, le=100.0)
    discontinuation_hazard_ratio: float = Field(ge=0.0, le=10.0)


def ramped(value: float, scale: float) -> float:
    """A multiplier part-way from 1 (not started) to ``value`` (fully ramped up)."""
    return 1.0 + (value - 1.0) * scale


@register
class MoudExpansion(Intervention[MoudExpansionParams]):
    """More MOUD places, faster starts, longer retention."""

    type = "moud_expansion"
    Params = MoudExpansionParams
    outputs = ("enrolled", "capacity_places")

    def step(self, model: WeekContext) -> None:
        """Scale this week's MOUD hooks by the ramped multipliers."""
        p = self.params
        hooks = model.hooks
        s = self.scale(model.week)
        if s > 0:
            hooks.moud_capacity_places = int(
                round(hooks.moud_capacity_places * ramped(p.capacity_multiplier, s))
            )
            hooks.moud_initiation_multiplier *= ramped(p.initiation_multiplier, s)
            hooks.moud_discontinuation_hazard_ratio *= ramped(p.discontinuation_hazard_ratio, s)
        self.report(model, "capacity_places", hooks.moud_capacity_places)
