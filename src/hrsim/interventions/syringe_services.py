"""Syringe services.

The programme acts on sharing only through syringe coverage: each client gets
``syringes_per_client_per_week`` sterile syringes, which adds ``syringes / injections per
week`` (the client's usual ``injection_frequency``) to their ``syringe_coverage`` hook. The
injecting process turns coverage into receptive shared injections,
``... x (1 - min(1, baseline_syringe_coverage + syringe_coverage))``, so more syringes lower
sharing until a client's injections are all covered, and then no further.

Inputs: reach (``coverage_fraction`` of people actively injecting), syringes handed out per
client, testing ratio, referral and naloxone probabilities, unit costs. Expected to emerge,
not set: the fall in receptive sharing (larger for clients who inject less often, none beyond
full coverage), and the infections averted. Clients are also tested more often, are referred
to MOUD, and can be given naloxone kits. The kits are kept in the run's kit ledger
(``model.kits``): a kit used at an overdose leaves circulation at the programme's next step
(``kits_used``), and a client without a kit can be given a new one. Syringes and kits are
counted and costed.
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


class SyringeServicesParams(InterventionParams):
    """Coverage, what clients get, and unit costs."""

    coverage_fraction: float = Field(ge=0.0, le=1.0)
    syringes_per_client_per_week: float = Field(ge=0.0, le=1000.0)
    cost_usd_per_syringe: float = Field(ge=0.0, le=1e4)
    testing_rr: float = Field(ge=0.0, le=100.0)
    moud_referral_probability_per_week: float = Field(ge=0.0, le=1.0)
    naloxone_kit_probability_per_week: float = Field(ge=0.0, le=1.0)
    cost_usd_per_naloxone_kit: float = Field(ge=0.0, le=1e4)


@register
class SyringeServices(Intervention[SyringeServicesParams]):
    """A syringe services programme for people who actively inject."""

    type = "syringe_services"
    Params = SyringeServicesParams
    outputs = ("enrolled", "visits", "syringes", "moud_referrals", "naloxone_kits", "kits_used")

    def step(self, model: WeekContext) -> None:
        """Retire used kits, enrol toward coverage, then write the clients' hooks for this week."""
        p = self.params
        people, kits = model.people, model.kits
        used = kits.retire_used(self.type)  # used at last week's overdoses
        kits.retire(self.type, model.week_view.left)  # a holder who died or left takes theirs
        self.report(model, "kits_used", used.size)
        eligible = model.week_view.injecting
        self.enrol_to_coverage(model, eligible, p.coverage_fraction * self.scale(model.week))
        clients = self.clients
        if clients.size == 0:
            return
        # Sterile syringes per injection: the syringes over the client's usual injections.
        per_injection = p.syringes_per_client_per_week / people.injection_frequency[clients]
        people.syringe_coverage[clients] += per_injection.astype(np.float32)
        people.testing_multiplier[clients] *= p.testing_rr
        referred = clients[
            self.uniform(model, "referral", clients) < p.moud_referral_probability_per_week
        ]
        people.referred_to_moud[referred] = True
        no_kit = np.flatnonzero(self.enrolled & ~people.carries_naloxone)
        u = self.uniform(model, "naloxone", no_kit)
        given = no_kit[u < p.naloxone_kit_probability_per_week]
        kits.give(self.type, given)
        syringes = clients.size * p.syringes_per_client_per_week
        self.report(model, "visits", clients.size)
        self.report(model, "syringes", syringes)
        self.report(model, "moud_referrals", referred.size)
        self.report(model, "naloxone_kits", given.size)
        self.spend(
            model, syringes * p.cost_usd_per_syringe + given.size * p.cost_usd_per_naloxone_kit
        )
