"""Diversion from arrest to treatment (policing policy).

"You can't arrest your way out": police divert a share of the arrests of people in active
use to detox instead of prison (pre-arrest or pre-booking diversion). The programme sets
``hooks.arrest_diversion_fraction``, ramped up from 0 to ``diversion_fraction``; care sends
those arrests to detox (event detail ``"diversion"``).

Programmes run before care and cannot tell a diverted admission from an ordinary detox
admission afterwards, so there is no cost per diversion: the programme's cost is its fixed
weekly cost (officers' time, case management), and the detox stays it causes are counted in
the ``detox_admissions`` flow. It has no individual clients, so ``enrolled`` stays 0.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import Field

from hrsim.interventions.base import Intervention
from hrsim.interventions.params import InterventionParams
from hrsim.interventions.registry import register

if TYPE_CHECKING:
    from hrsim.core.context import WeekContext


class DiversionParams(InterventionParams):
    """Share of arrests of people in active use diverted to detox."""

    diversion_fraction: float = Field(ge=0.0, le=1.0)


@register
class Diversion(Intervention[DiversionParams]):
    """Arrests diverted to detox instead of prison."""

    type = "diversion"
    Params = DiversionParams
    outputs = ("enrolled", "diversion_fraction")

    def step(self, model: WeekContext) -> None:
        """Set this week's share of diverted arrests."""
        p = self.params
        f = p.diversion_fraction * self.scale(model.week)
        if f <= 0:
            return
        hooks = model.hooks
        # Combine with any other diversion as independent chances (f itself when alone).
        h = hooks.arrest_diversion_fraction
        hooks.arrest_diversion_fraction = h + f - h * f
        self.report(model, "diversion_fraction", f)
