"""Contingency management as an adjunct to MOUD: incentives for staying in treatment.

Clients earn prizes ("fishbowl", prize-based contingency management) for verified
attendance and negative urine tests while on methadone or buprenorphine. A share of the
people on MOUD enrol; while the incentives run their hazard of leaving MOUD is multiplied by
``discontinuation_hr`` (the per-person hook ``moud_discontinuation_multiplier``, which care's
retention curve reads). After ``duration_weeks`` they leave (detail ``"completed"``) and
cannot enrol again until a new MOUD episode; a client who leaves MOUD leaves at once
(``"left_moud"``).

Inputs: ``coverage_fraction``, ``discontinuation_hr`` (from a trial's retention, see the
defaults), ``duration_weeks``, the prize cost. Expected to emerge, not assumed: longer MOUD
stays, person-time on MOUD, fewer overdoses during and just after treatment (through the
MOUD overdose ratios and the post-exit windows), and, where places bind, fewer places freed
for the waiting list. There is no relapse effect on people already abstinent (the evidence is
for clients in treatment), and the programme's effect on stimulant use, where most of its
evidence lies (Bolívar 2021), is out of scope: the model has no stimulant state yet.

Programmes run before care, so a person who starts MOUD this week can first be enrolled next
week.
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


class ContingencyManagementParams(InterventionParams):
    """Coverage, effect on leaving MOUD while enrolled, length of the programme, prize costs."""

    coverage_fraction: float = Field(ge=0.0, le=1.0)
    discontinuation_hr: float = Field(ge=0.0, le=10.0)
    duration_weeks: int = Field(ge=1, le=520)
    cost_usd_per_client_per_week: float = Field(ge=0.0, le=1e5)


@register
class ContingencyManagement(Intervention[ContingencyManagementParams]):
    """Prize-based incentives for people on MOUD, lowering their hazard of leaving it."""

    type = "contingency_management"
    Params = ContingencyManagementParams
    outputs = ("enrolled", "completions")

    def init(self, model: WeekContext) -> None:
        """Weeks each client has been enrolled, and who completed this MOUD episode."""
        super().init(model)
        self.weeks_enrolled = np.zeros(model.people.n, dtype=np.int32)
        self.completed = np.zeros(model.people.n, dtype=bool)

    def step(self, model: WeekContext) -> None:
        """Discharge leavers and completers, enrol toward coverage, write the hooks."""
        p = self.params
        people = model.people
        in_treatment = model.week_view.on_moud
        clients = self.clients
        self.leave(model, clients[~in_treatment[clients]], "left_moud")
        clients = self.clients
        done = clients[self.weeks_enrolled[clients] >= p.duration_weeks]
        self.leave(model, done, "completed")
        self.completed[done] = True
        # A completion holds for the current MOUD episode only (this also clears rows whose
        # occupant left treatment, died or was replaced).
        self.completed &= in_treatment
        before = self.enrolled.copy()
        self.enrol_to_coverage(
            model, in_treatment & ~self.completed, p.coverage_fraction * self.scale(model.week)
        )
        self.weeks_enrolled[self.enrolled & ~before] = 0
        clients = self.clients
        self.report(model, "completions", done.size)
        if clients.size == 0:
            return
        people.moud_discontinuation_multiplier[clients] *= p.discontinuation_hr
        self.weeks_enrolled[clients] += 1
        self.spend(model, clients.size * p.cost_usd_per_client_per_week)
