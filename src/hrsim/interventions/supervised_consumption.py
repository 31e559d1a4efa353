"""Supervised consumption site.

People who actively inject and live within reach of the site inject part of the time there.
That share is limited by the opening hours and by the site's capacity spread over its clients.
Injections at the site are supervised: staff reverse overdoses
(``hooks.supervised_reversal_probability``), and no injecting equipment is shared there (the
injecting process scales receptive and equipment shared injections by
``1 - supervised_fraction``). Staff refer
clients to MOUD (a hook) and to detox. No hook admits a person to detox, so detox referrals
are only counted. Costs are the site's fixed weekly cost and a cost per supervised visit.

Inputs (``interventions/defaults.toml``): capacity, opening hours, reach, injections per
client, the staff reversal probability, referral probabilities and costs. What emerges: the
supervised share of each client's injections (from capacity over demand), overdoses reversed
at the site and the deaths averted (only overdoses that happen during supervised injections,
at each client's own hazard), shared injections and infections averted, and MOUD starts
from referrals (if a place is free).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import Field

from hrsim.interventions.base import Intervention
from hrsim.interventions.params import InterventionParams
from hrsim.interventions.registry import register

if TYPE_CHECKING:
    from hrsim.core.context import WeekContext


class SupervisedConsumptionParams(InterventionParams):
    """Capacity, opening hours, reach, staffing, referrals and unit costs."""

    capacity_visits_per_week: float = Field(ge=0.0, le=1e7)
    open_hours_fraction: float = Field(ge=0.0, le=1.0)
    reach_fraction: float = Field(ge=0.0, le=1.0)
    injections_per_client_per_week: float = Field(gt=0.0, le=1000.0)
    staff_reversal_probability: float = Field(ge=0.0, le=1.0)
    moud_referral_probability_per_week: float = Field(ge=0.0, le=1.0)
    detox_referral_probability_per_week: float = Field(ge=0.0, le=1.0)
    cost_usd_per_visit: float = Field(ge=0.0, le=1e4)


@register
class SupervisedConsumption(Intervention[SupervisedConsumptionParams]):
    """A supervised consumption site for people who actively inject."""

    type = "supervised_consumption"
    Params = SupervisedConsumptionParams
    outputs = ("enrolled", "visits", "supervised_fraction", "moud_referrals", "detox_referrals")

    def supervised_share(self, clients: int) -> float:
        """Share of each client's injections at the site, given ``clients`` clients.

        The site is open for ``open_hours_fraction`` of the time, and its capacity is shared
        equally among its clients when they would need more visits than it has.
        """
        p = self.params
        if clients == 0:
            return 0.0
        by_capacity = p.capacity_visits_per_week / (clients * p.injections_per_client_per_week)
        return float(min(p.open_hours_fraction, by_capacity))

    def step(self, model: WeekContext) -> None:
        """Enrol the people within reach who inject, then write this week's hooks."""
        p = self.params
        people = model.people
        eligible = model.week_view.injecting
        # Who is within reach is each person's fixed draw (enrol_to_coverage's queue place).
        self.enrol_to_coverage(model, eligible, p.reach_fraction * self.scale(model.week))
        clients = self.clients
        share = self.supervised_share(clients.size)
        if share <= 0.0:
            return  # a site with no capacity or no opening hours changes nothing
        people.supervised_fraction[clients] = share
        model.hooks.supervised_reversal_probability = p.staff_reversal_probability
        visits = clients.size * p.injections_per_client_per_week * share
        to_moud = clients[
            self.uniform(model, "moud_referral", clients) < p.moud_referral_probability_per_week
        ]
        people.referred_to_moud[to_moud] = True
        # No hook admits a person to detox: the referrals are counted, not acted on, so only
        # their number is drawn.
        to_detox = model.streams.generator(f"{self.stream}.detox_referral", model.week).binomial(
            clients.size, p.detox_referral_probability_per_week
        )
        self.report(model, "visits", visits)
        self.report(model, "supervised_fraction", share)
        self.report(model, "moud_referrals", to_moud.size)
        self.report(model, "detox_referrals", int(to_detox))
        self.spend(model, visits * p.cost_usd_per_visit)
