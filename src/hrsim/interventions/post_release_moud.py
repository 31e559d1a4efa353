"""MOUD continued at release from prison.

MOUD is started or continued in prison and carried on at release, so a share of the people
released go straight onto methadone or buprenorphine instead of into abstinence with lost
tolerance. The programme raises ``hooks.post_release_moud_fraction`` from its baseline
toward ``coverage_fraction`` as it ramps up (it never lowers it); care decides who is
released onto MOUD.

A start at release is a transfer of care: the person is already a patient, so, like MOUD
continued in custody, it takes a community place before the waiting list. Where places bind
(the defaults) each start at release is one admission from the list fewer, and what the
programme averts is the difference between the two groups' risks, which emerges. With no
place free at all the person leaves custody in active use with tolerance kept and joins the
list, as a custody-continued patient does. With the default places the displaced person's
loss outweighs the released person's gain (docs/programmes.md has the figures); add places
(``moud_expansion``'s capacity lever) when the programme funds its own.

People whose custody continued their community MOUD
(``care.custody_moud_continuation_fraction``, ``people.moud_in_custody``) are released onto
MOUD without the programme and are not its starts; under forced withdrawal (the rest) they
are released as anyone else, and the programme offers them MOUD at release like any
prisoner.

Inputs: ``coverage_fraction`` and the cost per start. Expected to emerge: starts at release
(fewer only when custody releases alone fill every free place), the admissions from the
waiting list they displace, and fewer deaths in the post-release weeks of lost tolerance.

``starts_at_release`` counts the people who were in prison (and not on MOUD continued in
custody) at the start of last week and are on MOUD at the start of this one: a prisoner can
reach MOUD within a week only by being released onto it. Programmes run before the
processes, so last week's starts are counted, and charged for, one week late;
someone who dies in their release week is not counted.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from pydantic import Field

from hrsim.core.states import in_custody, on_moud
from hrsim.interventions.base import Intervention
from hrsim.interventions.params import InterventionParams
from hrsim.interventions.registry import register

if TYPE_CHECKING:
    from hrsim.core.context import WeekContext


class PostReleaseMoudParams(InterventionParams):
    """Share of releases onto MOUD, and the cost of a start at release."""

    coverage_fraction: float = Field(ge=0.0, le=1.0)
    cost_usd_per_start_at_release: float = Field(ge=0.0, le=1e6)


@register
class PostReleaseMoud(Intervention[PostReleaseMoudParams]):
    """MOUD in prison, continued at release."""

    type = "post_release_moud"
    Params = PostReleaseMoudParams
    outputs = ("enrolled", "starts_at_release")

    def init(self, model: WeekContext) -> None:
        """Who was in custody (jail or prison) at the start of last week (rows and pids)."""
        super().init(model)
        self.prison_rows = np.zeros(0, dtype=np.intp)
        self.prison_pids = np.zeros(0, dtype=np.int64)
        self.ran_last_week = False

    def step(self, model: WeekContext) -> None:
        """Count and pay for last week's starts at release, then set this week's share."""
        p = self.params
        people, hooks = model.people, model.hooks
        if self.ran_last_week:
            rows = self.prison_rows
            treated = on_moud(people.state[rows])
            # The pid check skips rows that a new initiate has taken since.
            starts = int(np.count_nonzero(treated & (people.pid[rows] == self.prison_pids)))
            self.report(model, "starts_at_release", starts)
            self.spend(model, starts * p.cost_usd_per_start_at_release)
        s = self.scale(model.week)
        baseline = hooks.post_release_moud_fraction
        if s > 0 and p.coverage_fraction > baseline:
            hooks.post_release_moud_fraction = baseline + (p.coverage_fraction - baseline) * s
        # Starts are the programme's (and paid for) only while it runs.
        self.ran_last_week = s > 0 and p.coverage_fraction > 0
        if self.ran_last_week:
            self.prison_rows = np.flatnonzero(in_custody(people.state) & ~people.moud_in_custody)
            self.prison_pids = people.pid[self.prison_rows]
