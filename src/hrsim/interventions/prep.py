"""HIV pre-exposure prophylaxis (PrEP) for people who inject.

A share of the HIV-negative people in active injecting use take oral tenofovir (a fixed
per-person draw, so a higher coverage reaches a superset). While on PrEP a person's HIV
acquisition multiplier (per-act probability, on injecting and sexual ties) is multiplied by
``1 - efficacy x adherence_fraction``. People stop when they acquire HIV (logged as
``seroconverted``) or stop injecting (detox, MOUD, recovery, prison: ``no_longer_eligible``),
and restart if they inject again and are still HIV-negative.

The default efficacy, 0.489, is the Bangkok Tenofovir Study's 48.9% lower HIV incidence
among people who inject (Choopanya et al. 2013). That is an intention-to-treat figure: it
already includes the trial's real-world adherence, so the default ``adherence_fraction`` is
1.0. Set efficacy to a per-protocol figure only together with an adherence below 1.

Inputs: coverage, efficacy, adherence. Expected to emerge: HIV infections averted, which depend
on how many exposures clients have (their receptive shared injections and sexual acts with
partners who have HIV, acute or not, suppressed or not: processes/infections.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from pydantic import Field

from hrsim.interventions.base import Intervention
from hrsim.interventions.params import InterventionParams
from hrsim.interventions.registry import register

if TYPE_CHECKING:
    from hrsim.core.context import WeekContext


class PrepParams(InterventionParams):
    """Coverage, protection and unit cost."""

    coverage_fraction: float = Field(ge=0.0, le=1.0)
    efficacy: float = Field(ge=0.0, le=1.0)
    adherence_fraction: float = Field(ge=0.0, le=1.0)
    cost_usd_per_person_week: float = Field(ge=0.0, le=1e5)


@register
class Prep(Intervention[PrepParams]):
    """Oral PrEP for HIV-negative people who actively inject."""

    type = "prep"
    Params = PrepParams
    outputs = ("enrolled", "person_weeks")

    def step(self, model: WeekContext) -> None:
        """Stop PrEP for new HIV infections, enrol toward coverage, protect this week's clients."""
        p = self.params
        people = model.people
        # Seroconversion first, so it is logged as such rather than as lost eligibility.
        self.leave(model, np.flatnonzero(self.enrolled & people.hiv), "seroconverted")
        eligible = model.week_view.injecting & ~people.hiv
        self.enrol_to_coverage(model, eligible, p.coverage_fraction * self.scale(model.week))
        clients = self.clients
        if clients.size == 0:
            return
        people.hiv_acquisition_multiplier[clients] *= 1.0 - p.efficacy * p.adherence_fraction
        self.report(model, "person_weeks", clients.size)
        self.spend(model, clients.size * p.cost_usd_per_person_week)
