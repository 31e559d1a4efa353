"""Entry and exit of people: initiation as incidence, life-table mortality, ageing.

New initiates arrive as a weekly Poisson count from an initiation incidence
(``demography.initiation_per_1000_by_year``: new initiates per year per 1,000 of the initial
population, a series by year with the last value carried on), drawn from a stream of its own,
so the number of entries never depends on how many people died: averting a death adds a
person-lifetime, it does not remove an initiate. The population size is free to change.

Initiates take free rows (rows never used, or of people who died or left, whose ties the
network removed at this week's turnover). People's arrays have ``demography.row_headroom``
times the initial population in rows; a run whose living population outgrows them stops with
a one-line error naming the setting (arrays are not grown: every programme, the naloxone kits,
the Mesa view and the dashboard hold per-row arrays of the same length).

Other-cause (non-overdose) death: the US life table's hazard for the person's age and sex
(``scenario/us_life_table.csv``) times ``other_cause_smr``, the excess for people who use
opioids, times ``moud_other_death_rr`` on MOUD (an explicit input, R, range 0.37-1.0), plus the
excess HIV mortality by stage. Everyone ages weekly; people leave at ``age_out_years`` and
after sustained recovery. With the lifetime horizon (issue 15) people who leave alive carry
their lifetime tail (``hrsim.economics.lifetime``): their remaining discounted life-years,
QALYs and care costs go into this week's ``exits_tail_*`` columns.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import TYPE_CHECKING

import numpy as np

from hrsim.core.people import NEVER
from hrsim.core.results import NO_STATE
from hrsim.core.sampling import thinned_draws
from hrsim.core.states import Care, on_moud
from hrsim.economics.costs import unit_costs
from hrsim.economics.lifetime import TailModel
from hrsim.errors import ScenarioError
from hrsim.processes.base import Process, move, weekly_probability

if TYPE_CHECKING:
    from hrsim.core.context import WeekContext
    from hrsim.scenario import Scenario

MAX_AGE = 119  # the life table's last single year of age


@cache
def life_table_hazards() -> np.ndarray:
    """Yearly hazards ``-ln(1 - qx)`` by sex (row 0 female, row 1 male) and age 0-119."""
    text = resources.files("hrsim.scenario").joinpath("us_life_table.csv").read_text("utf-8")
    rows = [line.split(",") for line in text.splitlines() if line and line[0].isdigit()]
    table = np.array(rows, dtype=np.float64)
    if table.shape[0] != MAX_AGE + 1 or not np.array_equal(table[:, 0], np.arange(MAX_AGE + 1)):
        raise ValueError("us_life_table.csv must hold ages 0-119 in order")
    hazards = -np.log1p(-table[:, [2, 1]].T)  # female_qx, male_qx
    hazards.flags.writeable = False
    return hazards


def weekly_entries_mean(scenario: Scenario, week: int) -> float:
    """Expected new initiates in ``week`` (the year's incidence; burn-in weeks use year 0)."""
    series = scenario.demography.initiation_per_1000_by_year
    per_1000 = series[min(max(week, 0) // 52, len(series) - 1)]
    return per_1000 * scenario.run.people / 1000.0 / 52.0


def other_cause_hazard(
    scenario: Scenario, age: np.ndarray, male: np.ndarray, moud: np.ndarray
) -> np.ndarray:
    """Yearly non-overdose, non-HIV death hazard: life table x SMR (x the MOUD rate ratio)."""
    d = scenario.demography
    years = np.clip(age.astype(np.intp), 0, MAX_AGE)
    h = life_table_hazards()[male.astype(np.intp), years] * d.other_cause_smr
    return np.where(moud, h * d.moud_other_death_rr, h)


class Demography(Process):
    """Initiates arrive at the incidence; people age, die of other causes, and leave."""

    name = "demography"

    def init(self, model: WeekContext) -> None:
        """The thinning bound for other-cause and HIV deaths."""
        d = model.scenario.demography
        top = min(int(d.age_out_years) + 1, MAX_AGE)  # nobody living is older
        h_max = float(life_table_hazards()[:, : top + 1].max()) * d.other_cause_smr
        h_max *= max(d.moud_other_death_rr, 1.0)
        self.p_hiv_extra = float(weekly_probability(d.hiv_untreated_extra_death_rate_per_year))
        i = model.scenario.infection  # HIV mortality by stage: suppressed vs not
        self.p_hiv_suppressed = float(
            weekly_probability(i.hiv_suppressed_extra_death_rate_per_year)
        )
        self.bound = min(
            float(weekly_probability(h_max)) + max(self.p_hiv_extra, self.p_hiv_suppressed), 1.0
        )
        # The lifetime tail of people who leave alive (issue 15): built once, used at exits.
        s = model.scenario
        self.tail: TailModel | None = None
        if s.economics.horizon == "lifetime":
            unit = unit_costs(s.costs, s.economics.price_year)
            self.tail = TailModel.from_scenario(s, life_table_hazards(), unit)

    def step(self, model: WeekContext) -> None:
        """This week's initiates, ageing, then this week's deaths and exits."""
        people, week, scenario = model.people, model.week, model.scenario
        # Thinning: only rows whose draw falls under the largest weekly probability can die
        # of other causes. Drawn over all rows before entry: a newcomer's row is a candidate
        # like any other.
        rng = model.streams.generator(self.name, week)
        rows, u = thinned_draws(rng, people.n, self.bound)

        free = np.flatnonzero(~people.alive)
        # Anyone still on the MOUD waiting list in a free row died after care ran (an
        # overdose): they leave the list (once: the field is cleared).
        gone = free[people.moud_waiting_since[free] != NEVER]
        if gone.size:
            people.moud_waiting_since[gone] = NEVER
            state = people.state[gone]
            model.events.add(people.pid[gone], week, "moud_waiting_list", state, state, "died")
            model.timeseries.add("moud_waitlist_exits", gone.size)
        # Initiation as incidence: a Poisson count from its own stream, whoever died.
        count = int(
            model.streams.generator("demography.entries", week).poisson(
                weekly_entries_mean(scenario, week)
            )
        )
        if count > free.size:
            alive = people.n - free.size
            raise ScenarioError(
                f"the population outgrew its rows in week {week}: {alive:,} people alive and "
                f"{count} new initiates, {people.n:,} rows (demography.row_headroom = "
                f"{scenario.demography.row_headroom} x run.people); raise demography.row_headroom"
            )
        if count:
            pids = np.arange(people.next_pid, people.next_pid + count)
            # A preferred row among the initial population's rows: a newcomer takes the
            # free row (mostly a row someone died in or left) at or after it, so newcomers
            # replace the dead across the communities (rows // community_size) as they did
            # when they took the lowest free rows, and the spare rows stay spare.
            at = model.streams.uniform("demography.entrant_row", 0, pids)
            new = entrant_rows(free, (at * scenario.run.people).astype(np.intp))
            people.fill(
                new, scenario, model.streams.generator("demography.entrants", week), entrants=True
            )
            model.events.add(people.pid[new], week, "entry", NO_STATE, Care.ACTIVE, "new_initiate")
            model.timeseries.add("entries", count)

        people.age += np.float32(1.0 / 52.0)
        state = people.state
        s = state[rows]
        h = other_cause_hazard(scenario, people.age[rows], people.male[rows], on_moud(s))
        p = weekly_probability(h)
        hiv_extra = np.where(people.hiv_suppressed[rows], self.p_hiv_suppressed, self.p_hiv_extra)
        p += np.where(people.hiv[rows], hiv_extra, 0.0)
        rows = rows[(s < Care.DEAD) & (u < p)]
        move(model, rows, Care.DEAD, "other_cause", flow="deaths_other")
        model.timeseries.add("exits", rows.size)

        d = scenario.demography
        aged = np.flatnonzero(people.alive & (people.age >= d.age_out_years))
        self._carry_tail(model, aged)
        move(model, aged, Care.EXITED, "aged_out", flow="exits")
        sustained = np.flatnonzero(
            (state == Care.RECOVERY) & (people.weeks_in_state >= d.sustained_recovery_exit_weeks)
        )
        self._carry_tail(model, sustained)
        move(model, sustained, Care.EXITED, "sustained_recovery", flow="exits")

    def _carry_tail(self, model: WeekContext, rows: np.ndarray) -> None:
        """People leaving alive keep their lifetime tail (their state now, held for life).

        Valued at this week (outcomes discount it to week 0), this week included: the
        end-of-week count of QALYs no longer sees them. Burn-in weeks write to a scratch
        timeseries, so exits before week 0 carry nothing.
        """
        if self.tail is None or rows.size == 0:
            return
        for key, value in self.tail.values(model.people, rows, extra_weeks=1).items():
            model.timeseries.add(f"exits_tail_{key}", value)


def entrant_rows(free: np.ndarray, preferred: np.ndarray) -> np.ndarray:
    """A row for each entrant: the first free row at or after its preferred row (wrapping).

    ``free`` is sorted; ``preferred[i]`` is entrant ``i``'s own row, keyed to its person id,
    and entrants claim rows in id order. Why not the lowest free rows: an arm with one death
    more or fewer has one free row more or fewer, and every later entrant would land one row
    over, where the weekly draws over rows are different ones. Here only an entrant whose
    search passes that row lands elsewhere.
    """
    pos = np.searchsorted(free, preferred) % free.size
    if np.unique(pos).size == pos.size:
        return free[pos]
    taken = np.zeros(free.size, dtype=bool)
    rows = np.empty(pos.size, dtype=free.dtype)
    for i, at in enumerate(pos.tolist()):  # a few entrants a week; clashes are rare
        while taken[at]:
            at = (at + 1) % free.size
        taken[at] = True
        rows[i] = free[at]
    return rows
