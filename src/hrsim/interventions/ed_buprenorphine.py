"""ED-initiated buprenorphine after an overdose.

Emergency departments that take part (a share ``coverage_fraction`` of ED visits) offer
buprenorphine to people who reach them after a non-fatal overdose; a visitor starts with
``start_probability``. The programme turns one model-wide hook,
``hooks.ed_buprenorphine_probability``, for the week: the visit's probability of starting
becomes ``base + coverage x (start_probability - base)``, never lower than the scenario's
``response.ed_buprenorphine_probability``. The overdose response
(``processes/overdose_response.py``) draws each visit's start and refers the person to MOUD
(``people.referred_to_moud``): care admits them next week if there is a place, else they join
the waiting list. The programme spends ``cost_usd_per_ed_visit`` on each visit it covers,
counted after the week (``ed_visits`` in the timeseries).

Inputs (``interventions/defaults.toml``): coverage, the start probability, the cost. What
emerges: ED visits (who is there, EMS, transport), buprenorphine starts from the ED, whether
a place is free, retention on buprenorphine (care) and the overdoses averted while on it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import Field

from hrsim.interventions.base import Intervention
from hrsim.interventions.params import InterventionParams
from hrsim.interventions.registry import register

if TYPE_CHECKING:
    from hrsim.core.context import WeekContext


class EdBuprenorphineParams(InterventionParams):
    """Reach (share of ED visits), the chance a visitor starts, and the cost per visit."""

    coverage_fraction: float = Field(ge=0.0, le=1.0)
    start_probability: float = Field(ge=0.0, le=1.0)
    cost_usd_per_ed_visit: float = Field(ge=0.0, le=1e6)


@register
class EdBuprenorphine(Intervention[EdBuprenorphineParams]):
    """Emergency departments that start buprenorphine after an overdose."""

    type = "ed_buprenorphine"
    Params = EdBuprenorphineParams
    outputs = ("enrolled", "start_probability", "ed_visits_covered")

    def init(self, model: WeekContext) -> None:
        """This week's coverage (set by ``step``, read by ``after_week``)."""
        super().init(model)
        self.coverage = 0.0

    def step(self, model: WeekContext) -> None:
        """Raise this week's probability that an ED visit starts buprenorphine."""
        p, hooks = self.params, model.hooks
        coverage = p.coverage_fraction * self.scale(model.week)
        base = hooks.ed_buprenorphine_probability
        hooks.ed_buprenorphine_probability = max(
            base, base + coverage * (p.start_probability - base)
        )
        self.coverage = coverage
        self.report(model, "start_probability", hooks.ed_buprenorphine_probability)

    def after_week(self, model: WeekContext) -> None:
        """Count and pay for the ED visits the programme covered this week."""
        covered = model.timeseries.flows["ed_visits"] * self.coverage
        self.report(model, "ed_visits_covered", covered)
        self.spend(model, covered * self.params.cost_usd_per_ed_visit)
