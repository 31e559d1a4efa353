"""Contingency management for people in recovery.

Clients earn chances to draw prizes ("fishbowl", prize-based contingency management) for
verified abstinence. A share of the people in recovery enrol; while the incentives run their
relapse hazard is multiplied by ``relapse_hr``. After ``duration_weeks`` they leave (detail
``"completed"``) and cannot enrol again until a new recovery episode; a client who relapses
leaves at once (``"relapsed"``). Meta-analyses find abstinence effects while incentives run
that fade within months after they stop, which is why the effect ends with the enrolment.

Programmes run before care, so a person who enters recovery this week can first be enrolled
next week: their first week of recovery is not covered.
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
    """Coverage, effect while enrolled, length of the programme, and prize costs."""

    coverage_fraction: float = Field(ge=0.0, le=1.0)
    relapse_hr: float = Field(ge=0.0, le=10.0)
    duration_weeks: int = Field(ge=1, le=520)
    cost_usd_per_client_per_week: float = Field(ge=0.0, le=1e5)


@register
class ContingencyManagement(Intervention[ContingencyManagementParams]):
    """Prize-based incentives for abstinence during recovery."""

    type = "contingency_management"
    Params = ContingencyManagementParams
    outputs = ("enrolled", "completions")

    def init(self, model: WeekContext) -> None:
        """Weeks each client has been enrolled, and who completed this recovery episode."""
        super().init(model)
        self.weeks_enrolled = np.zeros(model.people.n, dtype=np.int32)
        self.completed = np.zeros(model.people.n, dtype=bool)

    def step(self, model: WeekContext) -> None:
        """Discharge relapsers and completers, enrol toward coverage, write the hooks."""
        p = self.params
        people = model.people
        in_recovery = model.week_view.recovery
        clients = self.clients
        self.leave(model, clients[~in_recovery[clients]], "relapsed")
        clients = self.clients
        done = clients[self.weeks_enrolled[clients] >= p.duration_weeks]
        self.leave(model, done, "completed")
        self.completed[done] = True
        # A completion holds for the current recovery episode only (this also clears rows
        # whose occupant died or was replaced: they are not in recovery).
        self.completed &= in_recovery
        before = self.enrolled.copy()
        self.enrol_to_coverage(
            model, in_recovery & ~self.completed, p.coverage_fraction * self.scale(model.week)
        )
        self.weeks_enrolled[self.enrolled & ~before] = 0
        clients = self.clients
        self.report(model, "completions", done.size)
        if clients.size == 0:
            return
        people.relapse_multiplier[clients] *= p.relapse_hr
        self.weeks_enrolled[clients] += 1
        self.spend(model, clients.size * p.cost_usd_per_client_per_week)
