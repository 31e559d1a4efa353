"""HarmReductionModel: builds everything from a Scenario and runs the weekly steps in order.

The state of every person lives in NumPy arrays (``model.people``) and the processes advance
whole populations at once. Mesa is the frame users see: ``model.agents`` holds a
``Person(mesa.Agent)`` for every living person, placed on ``model.space`` (a
``mesa.discrete_space.Network`` of their current ties), and ``model.datacollector`` is a
``mesa.DataCollector`` over the declared weekly results. The agents and the space are views:
they are built the first time they are asked for (so a million-person run that never looks
at them does not pay for a million Python objects) and kept in step with the arrays after.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import mesa
import numpy as np
from mesa.discrete_space import Network

from hrsim.interventions import Intervention, ProgrammeOutputs, create
from hrsim.interventions.base import WeekView
from hrsim.network import ContactNetwork
from hrsim.people import Care, People, Person
from hrsim.processes import DEFAULT_PROCESSES, Process
from hrsim.results import NO_STATE, TIMESERIES_COLUMNS, EventLog, Timeseries
from hrsim.rng import Streams
from hrsim.scenario import Scenario, load_scenario


@dataclass
class Hooks:
    """Model-wide knobs that programmes turn (per-person hooks are arrays in People)."""

    moud_capacity_places: int
    moud_initiation_multiplier: float
    moud_discontinuation_hazard_ratio: float
    overdose_referral_to_moud_probability: float
    post_release_moud_fraction: float
    naloxone_reversal_probability: float
    neighbour_present_probability: float
    supervised_reversal_probability: float = 1.0
    arrest_diversion_fraction: float = 0.0
    art_start_multiplier: float = 1.0
    hcv_treatment_multiplier: float = 1.0
    methadone_share_of_starts: float = 0.5

    @classmethod
    def from_scenario(cls, scenario: Scenario) -> Hooks:
        """The hooks' baseline values."""
        c, o = scenario.care, scenario.overdose
        return cls(
            moud_capacity_places=int(round(c.moud_capacity_fraction * scenario.run.people)),
            moud_initiation_multiplier=1.0,
            moud_discontinuation_hazard_ratio=c.moud_discontinuation_hazard_ratio,
            overdose_referral_to_moud_probability=c.overdose_referral_to_moud_probability,
            post_release_moud_fraction=c.post_release_moud_fraction,
            naloxone_reversal_probability=o.naloxone_reversal_probability,
            neighbour_present_probability=o.neighbour_present_probability,
            methadone_share_of_starts=c.methadone_share_of_starts,
        )


class HarmReductionModel(mesa.Model):
    """People who use opioids on a network, through the care cascade, week by week.

    Build it from a :class:`Scenario`, a scenario file, or keyword arguments::

        HarmReductionModel("scenarios/baseline.toml", people=2000, seed=3)
        HarmReductionModel(people=2000, care__moud_capacity_fraction=0.4)

    Keyword arguments ``people``, ``years``, ``seed`` set the run; ``section__key=value`` sets
    any scenario parameter (the form SolaraViz uses when it rebuilds a model).
    """

    def __init__(
        self,
        scenario: Scenario | str | Path | None = None,
        *,
        people: int | None = None,
        years: float | None = None,
        seed: int | None = None,
        record_events: bool = True,
        processes: tuple[type[Process], ...] = DEFAULT_PROCESSES,
        **params: Any,
    ) -> None:
        if not isinstance(scenario, Scenario):
            scenario = load_scenario(scenario)
        overrides = {key.replace("__", ".", 1): value for key, value in params.items()}
        for key, value in (("run.people", people), ("run.years", years), ("run.seed", seed)):
            if value is not None:
                overrides[key] = value
        if overrides:
            scenario = scenario.with_overrides(overrides)
        super().__init__(seed=scenario.run.seed)
        self.scenario = scenario
        self.week = 0
        self.weeks = scenario.weeks
        self.streams = Streams(scenario.run.seed)
        self.hooks = Hooks.from_scenario(scenario)
        self.events = EventLog(enabled=record_events)
        self.timeseries = Timeseries(self.weeks)
        self._persons: list[Person | None] | None = None
        self.naloxone_used = np.zeros(0, dtype=np.intp)  # rows whose kit was used this week
        self._hook_max: dict[str, float] = {}  # max_hook's values this week
        self._viewed_pids = np.zeros(0, dtype=np.int64)
        self._space: Network | None = None
        self._space_week = -1

        n = scenario.run.people
        self.people = People(n)
        self.week_view = WeekView(self.people)
        self._initialise_people(self.streams.generator("init.people", 0))
        self.network = ContactNetwork(scenario, n)
        self.network.build(self.people, self.streams.generator("init.network", 0))
        self.processes: list[Process] = [cls() for cls in processes]
        for process in self.processes:
            process.init(self)
        self.programme_outputs = ProgrammeOutputs(self.weeks)
        self.interventions: list[Intervention] = [create(p) for p in scenario.interventions]
        for programme in self.interventions:
            programme.init(self)
            self.programme_outputs.declare(programme.type, programme.outputs)

        self.datacollector = mesa.DataCollector(
            model_reporters={
                c: partial(_latest, column=c) for c in TIMESERIES_COLUMNS if c != "week"
            }
        )
        self._record()

    # -- initial population ----------------------------------------------------------------
    def _initialise_people(self, rng: np.random.Generator) -> None:
        pop, p = self.scenario.population, self.people
        rows = np.arange(p.n)
        p.fill(rows, self.scenario, rng, entrants=False)
        # Care states from the scenario's initial shares; the rest are in active use.
        shares = {
            Care.METHADONE: pop.moud_fraction * pop.methadone_share_of_moud,
            Care.BUPRENORPHINE: pop.moud_fraction * (1.0 - pop.methadone_share_of_moud),
            Care.RECOVERY: pop.recovery_fraction,
            Care.DETOX: pop.detox_fraction,
            Care.PRISON: pop.prison_fraction,
        }
        u = rng.random(p.n)
        edges = np.cumsum(list(shares.values()))
        pick = np.searchsorted(edges, u, side="right")
        states = np.array([*shares.keys(), Care.ACTIVE], dtype=np.int8)
        p.state[:] = states[pick]
        # Time already spent in the state: people start part-way through, not all at week 0.
        p.weeks_in_state[:] = rng.integers(1, 53, p.n)
        not_using = np.isin(p.state, (Care.DETOX, Care.RECOVERY, Care.PRISON))
        p.tolerance[not_using] = 0.0
        inj = p.injects
        p.hiv[:] = rng.random(p.n) < np.where(
            inj, pop.hiv_prevalence_inject, pop.hiv_prevalence_noninject
        )
        p.hiv_diagnosed[:] = p.hiv & (rng.random(p.n) < pop.hiv_diagnosed_fraction)
        p.hiv_on_art[:] = p.hiv_diagnosed & (rng.random(p.n) < pop.hiv_on_art_fraction_of_diagnosed)
        p.hcv[:] = rng.random(p.n) < np.where(
            inj, pop.hcv_prevalence_inject, pop.hcv_prevalence_noninject
        )
        p.hcv_weeks[:] = np.where(p.hcv, 52, 0)  # prevalent infections are chronic
        self.events.add(p.pid, 0, "initial", NO_STATE, p.state, "initial_state")
        for flag, detail in ((p.hiv, "hiv"), (p.hcv, "hcv")):
            rows_ = np.flatnonzero(flag)
            self.events.add(
                p.pid[rows_], 0, "infection", p.state[rows_], p.state[rows_], f"{detail}_initial"
            )

    # -- the week --------------------------------------------------------------------------
    def step(self) -> None:
        """Advance one week.

        Programmes set this week's hooks, the processes run in order, then the week is recorded.
        """
        self.week += 1
        self._hook_max = {}
        if self.interventions:
            self.week_view = WeekView(self.people)  # masks shared by programmes this week
            self.programme_outputs.week = self.week
            self.hooks = Hooks.from_scenario(self.scenario)
            self.people.reset_programme_hooks()
            for programme in self.interventions:
                programme.week_step(self)
        for process in self.processes:
            process.step(self)
        for programme in self.interventions:
            programme.after_week(self)
        self._record()

    def _record(self) -> None:
        p = self.people
        if self.week > 0:
            p.weeks_in_state += 1
            p.weeks_since_moud_exit += 1
            p.weeks_since_overdose += 1
        self.timeseries.close_week(self.week, p.state, p.hiv, p.hcv)
        self.datacollector.collect(self)
        if self._persons is not None:
            self._sync_persons()

    def run(self, weeks: int | None = None, progress: Any = None) -> HarmReductionModel:
        """Run ``weeks`` more weeks (default: to the scenario's horizon).

        ``progress`` is an optional callable, called with 1 after every week.
        """
        remaining = self.weeks - self.week if weeks is None else weeks
        for _ in range(max(remaining, 0)):
            self.step()
            if progress is not None:
                progress(1)
        return self

    @property
    def running(self) -> bool:
        """True until the scenario's horizon is reached (Mesa's run loop reads this)."""
        return self.week < self.weeks

    @running.setter
    def running(self, value: bool) -> None:
        pass  # Mesa's Model.__init__ assigns it; the horizon decides.

    # -- hooks other code uses -------------------------------------------------------------
    def max_hook(self, name: str) -> float:
        """The largest value of a per-person programme hook (1.0 when no programme runs).

        Computed once a week: programmes set the hooks before the processes read them.
        """
        if not self.interventions:
            return 1.0
        if name not in self._hook_max:
            self._hook_max[name] = float(getattr(self.people, name).max())
        return self._hook_max[name]

    def share_of_contacts_using(self, rows: np.ndarray) -> np.ndarray:
        """For each row, the share of its social contacts in active use (0 with none)."""
        row, contact = self.network.neighbours_of(rows, ("social",))
        living = self.people.state[contact] < Care.DEAD  # ties of the week's dead end next week
        row, contact = row[living], contact[living]
        index = np.searchsorted(rows, row)
        total = np.bincount(index, minlength=rows.size)
        using = np.bincount(
            index, weights=self.people.state[contact] == Care.ACTIVE, minlength=rows.size
        )
        return np.divide(using, total, out=np.zeros(rows.size), where=total > 0)

    # -- results ---------------------------------------------------------------------------
    def timeseries_frame(self) -> Any:
        """The weekly results as a pandas DataFrame."""
        return self.timeseries.to_frame()

    def events_frame(self) -> Any:
        """The event log as a pandas DataFrame."""
        return self.events.to_frame()

    def programme_frame(self) -> Any:
        """Weekly programme outputs (enrolled, visits, kits, referrals, cost) in long form."""
        return self.programme_outputs.to_frame(self.week)

    # -- the Mesa view ---------------------------------------------------------------------
    @property
    def agents(self) -> mesa.agent.AgentSet:
        """Every living person as a ``Person`` agent (built on first use)."""
        if self._persons is None:
            self._persons = [None] * self.people.n
            self._viewed_pids = np.full(self.people.n, -1, dtype=np.int64)
            self._sync_persons()
        return self._all_agents

    @agents.setter
    def agents(self, value: Any) -> None:
        raise AttributeError("model.agents is read-only")

    def person(self, row: int) -> Person:
        """The ``Person`` agent living in ``row``."""
        self.agents  # noqa: B018  (materialise the view)
        assert self._persons is not None
        agent = self._persons[row]
        if agent is None:
            raise KeyError(f"row {row} holds nobody alive")
        return agent

    def _sync_persons(self) -> None:
        """Remove agents of people who left and add agents for new people (changed rows only)."""
        assert self._persons is not None
        p = self.people
        # pid each row's agent stands for (-1: no agent); a mismatch means the row changed.
        viewed = self._viewed_pids
        wanted = np.where(p.alive, p.pid, -1)
        for row in np.flatnonzero(viewed != wanted).tolist():
            agent = self._persons[row]
            if agent is not None:
                agent.cell = None
                agent.remove()
            self._persons[row] = Person(self, row) if wanted[row] >= 0 else None
        self._viewed_pids = wanted
        self._space_week = -1  # the space needs re-placing

    @property
    def space(self) -> Network:
        """A ``mesa.discrete_space.Network`` of the current ties with every Person placed."""
        agents = self.agents
        if self._space is None or self._space_week != self.week:
            graph = self.network.graph(self.people)
            for agent in agents:
                agent.cell = None
            self._space = Network(graph, random=self.random)
            for agent in agents:
                agent.cell = self._space[agent.row]
            self._space_week = self.week
        return self._space

    def graph(self) -> Any:
        """A networkx graph of living people and their current ties (see ``ContactNetwork``)."""
        return self.network.graph(self.people)


def _latest(model: HarmReductionModel, column: str) -> float:
    """DataCollector model reporter: the latest weekly value of one declared result."""
    return model.timeseries.latest(column)
