"""Pre-arrest diversion to case management and treatment referral (policing policy).

"You can't arrest your way out": police divert a share of the arrests of people in active use
to case management instead of custody (pre-arrest or pre-booking diversion, as in Seattle's
LEAD). Diversion does not send people to detox (which would cause tolerance loss): a diverted
person stays in active use and, with probability ``moud_referral_probability``, is referred to
MOUD, through the waiting list like anyone else when places are short. The programme sets
``hooks.arrest_diversion_fraction`` (ramped up from 0 to ``diversion_fraction``) and
``hooks.diversion_moud_referral_probability``; care does the rest (event kind ``diversion``,
detail ``"case_management"``, and MOUD starts with detail ``"diversion_referral"``).

Inputs: ``diversion_fraction``, ``moud_referral_probability`` (R), the cost per case.
Expected to emerge, not assumed: fewer people in custody and fewer releases (so fewer deaths
in the post-release weeks of lost tolerance), more MOUD starts where places are free (or a
longer list where they are not), and what follows from those. No effect of case management
on later arrests or on use is modelled: LEAD's evaluation found 1.4 fewer jail bookings a
year and 88% lower odds of prison (J Exp Criminol 2019, doi 10.1007/s11292-019-09352-7,
abstract, C), but part of that is the diversion itself, and no hazard ratio of later arrest
was read.

Care counts the week's diversions and referrals in the hooks; ``after_week`` reports them and
charges ``cost_usd_per_diversion`` (officers' and case managers' time) for each.
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
    """Share of arrests diverted, the MOUD referral that follows, the cost per diversion."""

    diversion_fraction: float = Field(ge=0.0, le=1.0)
    moud_referral_probability: float = Field(ge=0.0, le=1.0)
    cost_usd_per_diversion: float = Field(ge=0.0, le=1e6)


@register
class Diversion(Intervention[DiversionParams]):
    """Arrests diverted to case management, with a MOUD referral for some."""

    type = "diversion"
    Params = DiversionParams
    outputs = ("enrolled", "diversion_fraction", "diversions", "moud_referrals")

    def step(self, model: WeekContext) -> None:
        """Set this week's share of diverted arrests and their referral probability."""
        p = self.params
        f = p.diversion_fraction * self.scale(model.week)
        if f <= 0:
            return
        hooks = model.hooks
        # Combine with any other diversion as independent chances (f itself when alone).
        h = hooks.arrest_diversion_fraction
        hooks.arrest_diversion_fraction = h + f - h * f
        r = hooks.diversion_moud_referral_probability
        hooks.diversion_moud_referral_probability = max(r, p.moud_referral_probability)
        self.report(model, "diversion_fraction", f)

    def after_week(self, model: WeekContext) -> None:
        """Count this week's diversions and referrals (care wrote them) and pay for them."""
        if model.week < self.params.start_week:
            return
        hooks = model.hooks
        self.report(model, "diversions", hooks.diverted_this_week)
        self.report(model, "moud_referrals", hooks.diversion_referrals_this_week)
        self.spend(model, hooks.diverted_this_week * self.params.cost_usd_per_diversion)
