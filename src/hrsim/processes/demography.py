"""Entry and exit of people.

New initiates replace people who left, everyone ages, and people die of other causes, age
out, or leave the at-risk population after sustained recovery. Other-cause death on MOUD is
the off-MOUD rate times ``moud_other_death_rr``, an explicit input (R, range 0.37-1.0);
Santo 2021's all-cause on/off ratio is an outcome to compare with.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from hrsim.core.people import NEVER
from hrsim.core.results import NO_STATE
from hrsim.core.sampling import thinned_draws
from hrsim.core.states import Care, on_moud
from hrsim.processes.base import Process, move, weekly_probability

if TYPE_CHECKING:
    from hrsim.core.context import WeekContext


class Demography(Process):
    """Keeps the population at its size: one new initiate for every person who left."""

    name = "demography"

    def init(self, model: WeekContext) -> None:
        """Precompute weekly death probabilities."""
        d = model.scenario.demography
        self.p_other_off = float(weekly_probability(d.other_death_rate_per_year_off_moud))
        # On MOUD: the off-MOUD rate times an explicit rate ratio for non-overdose causes
        # (``moud_other_death_rr``: the observed 0.37 is an upper bound of the causal effect).
        self.p_other_on = float(
            weekly_probability(d.other_death_rate_per_year_off_moud * d.moud_other_death_rr)
        )
        self.p_hiv_extra = float(weekly_probability(d.hiv_untreated_extra_death_rate_per_year))
        i = model.scenario.infection  # HIV mortality by stage: suppressed vs not
        self.p_hiv_suppressed = float(
            weekly_probability(i.hiv_suppressed_extra_death_rate_per_year)
        )

    def step(self, model: WeekContext) -> None:
        """Replace last week's leavers, age everyone, then this week's deaths and exits."""
        people, week = model.people, model.week
        rng = model.streams.generator(self.name, week)
        # Thinning: only rows whose draw falls under the largest weekly probability can die
        # of other causes. Drawn over all rows before the refill: a newcomer's row is a
        # candidate like any other.
        bound = max(self.p_other_on, self.p_other_off) + max(
            self.p_hiv_extra, self.p_hiv_suppressed
        )
        rows, u = thinned_draws(rng, people.n, bound)

        # Rows of people who died or left last week take new initiates.
        free = np.flatnonzero(~people.alive)
        # Anyone still on the MOUD waiting list in a freed row died last week after care
        # ran (an overdose): they leave the list before a new initiate takes the row.
        gone = free[people.moud_waiting_since[free] != NEVER]
        if gone.size:
            people.moud_waiting_since[gone] = NEVER
            state = people.state[gone]
            model.events.add(people.pid[gone], week, "moud_waiting_list", state, state, "died")
            model.timeseries.add("moud_waitlist_exits", gone.size)
        if free.size:
            people.fill(free, model.scenario, rng, entrants=True)
            model.events.add(people.pid[free], week, "entry", NO_STATE, Care.ACTIVE, "new_initiate")
            model.timeseries.add("entries", free.size)

        people.age += np.float32(1.0 / 52.0)
        state = people.state
        s = state[rows]
        p = np.where(on_moud(s), self.p_other_on, self.p_other_off)
        hiv_extra = np.where(people.hiv_suppressed[rows], self.p_hiv_suppressed, self.p_hiv_extra)
        p += np.where(people.hiv[rows], hiv_extra, 0.0)
        rows = rows[(s < Care.DEAD) & (u < p)]
        move(model, rows, Care.DEAD, "other_cause", flow="deaths_other")
        model.timeseries.add("exits", rows.size)

        d = model.scenario.demography
        aged = np.flatnonzero(people.alive & (people.age >= d.age_out_years))
        move(model, aged, Care.EXITED, "aged_out", flow="exits")
        sustained = np.flatnonzero(
            (state == Care.RECOVERY) & (people.weeks_in_state >= d.sustained_recovery_exit_weeks)
        )
        move(model, sustained, Care.EXITED, "sustained_recovery", flow="exits")
