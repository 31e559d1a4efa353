"""An example plug-in: a "never use alone" hotline, written outside hrsim.

People in active use who join the line call it when they would otherwise use alone, so that
someone can send help if they stop answering. In hrsim's terms a client uses alone less often:
the programme multiplies the client's ``alone_multiplier`` hook by ``1 - call_probability``.
(Whether help arrives is then decided as for any overdose in company: a present contact, with
or without naloxone. The line's own dispatch of help is not modelled.)

Use it without editing hrsim::

    hrsim run docs/examples/never_use_alone.toml --plugin docs/examples/never_use_alone.py
    hrsim compare scenarios/baseline.toml docs/examples/never_use_alone.toml \
          --plugin docs/examples/never_use_alone.py --replicates 10
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import Field

from hrsim.interventions import Intervention, InterventionParams, register

if TYPE_CHECKING:
    from hrsim.core.context import WeekContext


class NeverUseAloneParams(InterventionParams):
    """What the line does and what it costs (every field needs a default, with its unit)."""

    coverage_fraction: float = Field(0.3, ge=0.0, le=1.0)  # of people in active use
    call_probability: float = Field(0.5, ge=0.0, le=1.0)  # of would-be solitary uses
    cost_usd_per_client_per_week: float = Field(2.0, ge=0.0, le=1e4)


@register
class NeverUseAlone(Intervention[NeverUseAloneParams]):
    """A hotline for people who use alone."""

    type = "never_use_alone"
    Params = NeverUseAloneParams
    outputs = ("enrolled", "clients_calling")

    def step(self, model: WeekContext) -> None:
        """Enrol people in active use up to coverage; clients use alone less this week."""
        p = self.params
        # People in active use join while their fixed place in the queue is within the
        # coverage (a higher coverage reaches a superset); clients who stop using leave.
        coverage = p.coverage_fraction * self.scale(model.week)
        self.enrol_to_coverage(model, model.week_view.active, coverage)
        clients = self.clients
        model.people.alone_multiplier[clients] *= 1.0 - p.call_probability
        self.report(model, "clients_calling", clients.size)
        self.spend(model, clients.size * p.cost_usd_per_client_per_week)
