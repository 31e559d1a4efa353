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

import math
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import mesa
import numpy as np
from mesa.discrete_space import Network
from mesa.experimental.scenarios import Scenario as MesaScenario

from hrsim.burn_in import BurnIn
from hrsim.core.agents import MesaView, Person
from hrsim.core.hooks import Hooks
from hrsim.core.kits import NaloxoneKits
from hrsim.core.network import ContactNetwork
from hrsim.core.people import People, WeekView
from hrsim.core.results import (
    NO_STATE,
    STATE_COLUMNS,
    TIMESERIES_COLUMNS,
    EventLog,
    ProgrammeOutputs,
    Timeseries,
)
from hrsim.core.rng import Streams
from hrsim.core.states import Care
from hrsim.economics.costs import unit_costs
from hrsim.economics.lifetime import TailModel, end_of_run_tail
from hrsim.economics.utilities import UtilityWeights
from hrsim.interventions import Intervention, create
from hrsim.processes import DEFAULT_PROCESSES, Process
from hrsim.processes.cascade import initialise_infections
from hrsim.processes.demography import life_table_hazards
from hrsim.scenario import Scenario, load_scenario

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from hrsim.core.context import WeekContext

__all__ = ["CHANGEABLE_MID_RUN", "HarmReductionModel", "Hooks", "WeekObserver"]

#: What ``HarmReductionModel.continue_with`` may change in a run under way: the parameters
#: every week reads afresh from the scenario (the supply's shares by year, the MOUD places,
#: which become the week's hooks), the programmes, and the run's name. Everything else was
#: turned into people, ties or rates when the model was built.
CHANGEABLE_MID_RUN: tuple[str, ...] = (
    "supply.fentanyl_share_by_year",
    "supply.xylazine_share_by_year",
    "care.moud_capacity_fraction",
    "interventions",
    "run.name",
)


class WeekObserver(Protocol):
    """Sees every week: called before the week starts and after it is recorded."""

    def before_step(self, model: HarmReductionModel) -> None:
        """Called before the week's programmes and processes run."""
        ...

    def after_step(self, model: HarmReductionModel) -> None:
        """Called after the week is recorded."""
        ...


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
        profile: bool = False,
        burn_in: BurnIn | None = None,
        keep_burn_in: bool = False,
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
        super().__init__(rng=scenario.run.seed)
        self.scenario = scenario
        self.week = 0
        self._stepped = False  # a week has run (the record then advances times in state)
        self._burning_in = False
        self.weeks = scenario.weeks
        self.streams = Streams(scenario.run.seed)
        self.hooks = Hooks.from_scenario(scenario)
        self.events = EventLog(enabled=record_events)
        self.timeseries = Timeseries(self.weeks)
        self._hook_max: dict[str, float] = {}  # max_hook's values this week
        self._mesa = MesaView(self)
        self.observers: list[WeekObserver] = []  # see hrsim.runner.run_model
        # Seconds spent in each phase of the week, when asked for (``profile=True``).
        self.phase_seconds: dict[str, float] | None = defaultdict(float) if profile else None

        self.process_classes = processes
        self.burn_in_weeks = round(scenario.run.burn_in_years * 52)
        # QALYs lived each week (issue 15): exact arithmetic on the arrays, no random numbers.
        self.utility_weights = UtilityWeights.from_params(scenario.economics)
        self.interventions: list[Intervention] = []
        self.people: People
        self.kits: NaloxoneKits
        self.network: ContactNetwork
        self.processes: list[Process]
        if burn_in is not None:  # another arm's week 0 (hrsim.burn_in): the same by construction
            burn_in.restore_into(self)
        else:
            self._draw_and_burn_in(processes)
        # This model's week 0, for the next arm that shares it (before anything else runs).
        self.burn_in_state = BurnIn.capture(self) if keep_burn_in else burn_in
        self._log_initial()
        self.programme_outputs = ProgrammeOutputs(self.weeks)
        self.interventions = [create(p) for p in scenario.interventions]
        for programme in self.interventions:
            programme.init(self)
            self.programme_outputs.declare(programme.type, programme.outputs)

        self.datacollector = mesa.DataCollector(
            model_reporters={
                c: partial(_latest, column=c) for c in TIMESERIES_COLUMNS if c != "week"
            }
        )
        self._record()

    # Mesa 3.5 has a ``scenario`` of its own (``mesa.experimental.scenarios.Scenario``, set in
    # ``Model.__init__``). hrsim's ``model.scenario`` is the validated hrsim Scenario every
    # process reads; Mesa's is kept as ``mesa_scenario``.
    @property
    def scenario(self) -> Scenario:
        """The hrsim scenario this model runs (Mesa's own is ``mesa_scenario``)."""
        return self._hrsim_scenario

    @scenario.setter
    def scenario(self, value: Any) -> None:
        if isinstance(value, MesaScenario):
            self.mesa_scenario = value
            value.model = self
        else:
            self._hrsim_scenario = value

    def _draw_and_burn_in(self, processes: tuple[type[Process], ...]) -> None:
        """Draw the population and the network, start the processes, run the burn-in."""
        scenario = self.scenario
        n = scenario.run.people
        # Rows with headroom: the population size is free to change (initiation is an
        # incidence); rows past the initial population start unused (state EXITED, pid -1).
        self.people = People(math.ceil(n * scenario.demography.row_headroom))
        self.kits = NaloxoneKits(self.people)  # who carries naloxone, who gave it, kits used
        self.week_view = WeekView(self.people)
        self._initialise_people(self.streams.generator("init.people", 0), n)
        self.network = ContactNetwork(scenario, self.people.n)
        # The network as it stands the week before the first turnover (of burn-in or week 1).
        self.network.build(
            self.people, self.streams.generator("init.network", 0), week=-self.burn_in_weeks
        )
        self.processes = [cls() for cls in processes]
        for process in self.processes:
            process.init(self)
        self._burn_in()

    # -- initial population ----------------------------------------------------------------
    def _jail_share_of_custody(self) -> float:
        """Share of people in custody who are in jail, at the steady state of the stays."""
        c = self.scenario.care
        jail, prison = c.jail_mean_weeks, c.jail_to_prison_fraction * c.prison_mean_weeks
        return jail / (jail + prison)

    def _initialise_people(self, rng: np.random.Generator, n: int) -> None:
        pop, p = self.scenario.population, self.people
        p.state[:] = Care.EXITED  # unused rows: free for initiates
        p.pid[:] = -1
        rows = np.arange(n)
        p.fill(rows, self.scenario, rng, entrants=False)
        # Care states from the scenario's initial shares; the rest are in active use.
        shares = {
            Care.METHADONE: pop.moud_fraction * pop.methadone_share_of_moud,
            Care.BUPRENORPHINE: pop.moud_fraction * (1.0 - pop.methadone_share_of_moud),
            Care.RECOVERY: pop.recovery_fraction,
            Care.DETOX: pop.detox_fraction,
            # In custody at week 0, split by the expected stocks: jail stays of mean J weeks,
            # a share s of them followed by prison of mean P weeks (J : s P).
            Care.JAIL: pop.prison_fraction * self._jail_share_of_custody(),
            Care.PRISON: pop.prison_fraction * (1.0 - self._jail_share_of_custody()),
        }
        u = rng.random(n)
        edges = np.cumsum(list(shares.values()))
        pick = np.searchsorted(edges, u, side="right")
        states = np.array([*shares.keys(), Care.ACTIVE], dtype=np.int8)
        p.state[:n] = states[pick]
        # Time already spent in the state: people start part-way through, not all at week 0.
        p.weeks_in_state[:n] = rng.integers(1, 53, n)
        # Detox is a programme of set length: those in it are part-way through it.
        detox = p.state == Care.DETOX
        p.weeks_in_state[detox] %= self.scenario.care.detox_programme_weeks
        not_using = np.isin(p.state, (Care.DETOX, Care.RECOVERY, Care.PRISON, Care.JAIL))
        p.tolerance[not_using] = 0.0
        initialise_infections(p, self.scenario, rng)  # HIV, HCV and HIV care at week 0
        p.hiv[n:] = p.hcv[n:] = False  # unused rows (initialise_infections draws over all)

    def _log_initial(self) -> None:
        """Everyone's state at week 0 (after burn-in) and who is infected then."""
        p = self.people
        living = np.flatnonzero(p.alive)
        self.events.add(p.pid[living], 0, "initial", NO_STATE, p.state[living], "initial_state")
        for flag, detail in ((p.hiv, "hiv"), (p.hcv, "hcv")):
            rows_ = living[flag[living]]
            self.events.add(
                p.pid[rows_], 0, "infection", p.state[rows_], p.state[rows_], f"{detail}_initial"
            )

    def _burn_in(self) -> None:
        """Run ``run.burn_in_years`` before week 0, recording nothing.

        The processes run as in any week (no programmes: they start at week 0), on weeks
        ``-B + 1 .. 0`` with their own random streams, so week 0 is the end of burn-in and a
        run's weeks 1.. draw exactly what they would after any burn-in length. No events,
        timeseries rows, programme outputs or costs are kept.
        """
        if self.burn_in_weeks <= 0:
            return
        streams, events, timeseries = self.streams, self.events, self.timeseries
        self.streams = _BurnInStreams(streams)  # type: ignore[assignment]
        self.events = EventLog(enabled=False)
        self.timeseries = Timeseries(0)
        self.week = -self.burn_in_weeks
        self._burning_in = True
        try:
            for _ in range(self.burn_in_weeks):
                for _, phase in self._phases():
                    phase()
        finally:
            self.streams, self.events, self.timeseries = streams, events, timeseries
            self._burning_in = False
        self.week = 0
        self._stepped = False

    # -- the week --------------------------------------------------------------------------
    def step(self) -> None:
        """Advance one week.

        Programmes set this week's hooks, the processes run in order, then the week is recorded.
        """
        for observer in self.observers:
            observer.before_step(self)
        if self.phase_seconds is not None:
            self._profiled_step(self.phase_seconds)
        else:
            for _, phase in self._phases():
                phase()
        for observer in self.observers:
            observer.after_step(self)

    def _start_week(self) -> None:
        self._stepped = True
        self.week += 1
        self._hook_max = {}
        self.week_view = WeekView(self.people)  # masks shared by programmes and the network
        if self.interventions:
            self.programme_outputs.week = self.week
            self.hooks = Hooks.from_scenario(self.scenario)
            self.people.reset_programme_hooks()

    def _phases(self) -> Iterator[tuple[str, Callable[[], None]]]:
        """The week in order, each phase with its name (the one place the order is written)."""
        yield "week setup", self._start_week
        for programme in self.interventions:
            yield f"programme {programme.type}", partial(programme.week_step, self)
        for process in self.processes:
            yield f"process {process.name}", partial(process.step, self)
        for programme in self.interventions:
            yield f"programme {programme.type} (after week)", partial(programme.after_week, self)
        yield "record", self._record

    def _profiled_step(self, seconds: dict[str, float]) -> None:
        """The same week as ``step``, timing each phase (``hrsim run --profile``)."""
        for name, phase in self._phases():
            start = time.perf_counter()
            phase()
            seconds[name] += time.perf_counter() - start

    def _record(self) -> None:
        p = self.people
        if self._stepped:  # not at construction: a week has passed
            p.weeks_in_state += 1
            p.weeks_since_moud_exit += 1
            p.weeks_since_overdose += 1
        if self._burning_in:
            self.timeseries.close_week(0, p.state, p.hiv, p.hcv)  # a scratch row, not kept
            return
        ts = self.timeseries
        ts.close_week(self.week, p.state, p.hiv, p.hcv, self._care_levels())
        if self._stepped:  # week 0 is the starting population: it lives no QALYs
            # The week's state counts are in the row already: the weights need only them.
            counts = np.array([ts.data[c][self.week] for c in STATE_COLUMNS])
            ts.data["qalys"][self.week] = self.utility_weights.week_qalys(p, counts)
        self.datacollector.collect(self)
        if self._mesa.built:
            self._mesa.sync()

    def _care_levels(self) -> dict[str, float]:
        """People on ART, in HIV care before ART and with viraemic HCV (for the costs)."""
        p = self.people
        hiv = np.flatnonzero(p.hiv)
        hiv = hiv[p.state[hiv] < Care.DEAD]
        on_art = p.hiv_on_art[hiv]
        hcv = np.flatnonzero(p.hcv)
        return {
            "hiv_on_art": int(np.count_nonzero(on_art)),
            "hiv_in_care_not_on_art": int(np.count_nonzero(p.hiv_linked[hiv] & ~on_art)),
            "hcv_viraemic": int(np.count_nonzero(p.state[hcv] < Care.DEAD)),
        }

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

    def continue_with(self, scenario: Scenario) -> None:
        """From the next week on, run ``scenario``: a change made while the run is under way.

        Only the fields in ``CHANGEABLE_MID_RUN`` may differ from the current scenario (a
        ``ValueError`` names any other). A programme kept with other parameters keeps its
        clients and its queue and works at its new level from the next week; a new programme
        starts the next week (its ``start_week`` becomes that week, and its ramp-up runs from
        there); a removed one stops (its outputs stay as recorded). Draws are keyed to people,
        ties and weeks, so a change after week ``w`` gives exactly the run that had it written
        in from the start (a supply series that switches, a programme with ``start_week``
        ``w + 1``): tested in ``tests/test_continue_with.py``.
        """
        blocked = [f for f in _changed_fields(self.scenario, scenario) if not _changeable(f)]
        if blocked:
            raise ValueError(
                f"{', '.join(blocked)} cannot change in a run under way (only "
                f"{', '.join(CHANGEABLE_MID_RUN[:-1])}); start a new run instead"
            )
        kept = {programme.type: programme for programme in self.interventions}
        programmes: list[Intervention] = []
        for params in scenario.interventions:
            programme = kept.get(params.type)
            # A programme starts no earlier than the week after the change (or, if kept, the
            # week it started), so its ramp-up and fixed costs run from then.
            earliest = self.week + 1
            if programme is not None:
                earliest = min(programme.params.start_week, earliest)
            params = params.model_copy(update={"start_week": max(params.start_week, earliest)})
            if programme is None:
                programme = create(params)
                programme.init(self)
                self.programme_outputs.declare(programme.type, programme.outputs)
            else:
                programme.params = params
            programmes.append(programme)
        self.scenario = scenario.model_copy(
            update={"interventions": tuple(p.params for p in programmes)}
        )
        self.interventions = programmes
        # Hooks are rebuilt each week only while programmes run: rebuild them now for the
        # new MOUD places, and clear what a removed programme wrote into people's hooks.
        self.hooks = Hooks.from_scenario(scenario)
        self.people.reset_programme_hooks()

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
        index, contact = self.network.layers["social"].neighbours_by_index(rows)
        state = self.people.state[contact]
        # Ties to this week's dead end next week: they count for neither total nor using.
        total = np.bincount(index[state < Care.DEAD], minlength=rows.size)
        using = np.bincount(index[state == Care.ACTIVE], minlength=rows.size)
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

    def plot(
        self,
        columns: str | Sequence[str] | Mapping[str, Sequence[str]] | None = None,
        *,
        ax: Any = None,
        figsize: tuple[float, float] | None = None,
        ncols: int = 2,
        cumulative: bool = False,
        bin_weeks: int = 1,
        title: str | None = None,
    ) -> Figure:
        """A grid of the weekly results so far; returns the matplotlib figure.

        By default: people by care state, overdoses, new HIV and HCV infections, deaths,
        prevalence and population. ``columns`` names other series (one panel each, or
        ``{title: [names]}`` to share a panel); ``cumulative`` draws events as totals since
        week 0, ``bin_weeks=13`` per quarter. See
        :func:`hrsim.reporting.notebook_plots.plot_run` for every option::

            model = HarmReductionModel(people=2000, years=2, seed=1).run()
            model.plot()                                         # in a notebook: shown
            model.plot(["on_moud", "fatal_overdoses"], cumulative=True).savefig("run.png")
        """
        # The reporting floor draws; imported here so a model never loads matplotlib unasked.
        from hrsim.reporting.notebook_plots import plot_model

        return plot_model(
            self,
            columns,
            ax=ax,
            figsize=figsize,
            ncols=ncols,
            cumulative=cumulative,
            bin_weeks=bin_weeks,
            title=title,
        )

    def tail_model(self) -> TailModel | None:
        """The scenario's lifetime tail (None with ``economics.horizon = "run"``)."""
        s = self.scenario
        if s.economics.horizon != "lifetime":
            return None
        unit = unit_costs(s.costs, s.economics.price_year)
        return TailModel.from_scenario(s, life_table_hazards(), unit)

    def lifetime_tail(self) -> dict[str, float]:
        """The lifetime tail of everyone alive now, discounted to week 0 (issue 15).

        Keys ``life_years``, ``qalys``, ``treatment_usd``, ``chronic_usd``, ``productivity_usd``
        (``hrsim.economics.lifetime``); all 0 with ``economics.horizon = "run"``. The people who
        left the population alive during the run carry theirs in the timeseries
        (``exits_tail_*``, valued at their week). ``hrsim.batch.outcomes`` adds both.
        """
        rate = self.scenario.economics.discount_rate
        return end_of_run_tail(self.tail_model(), self.people, self.week, rate)

    # -- the Mesa view ---------------------------------------------------------------------
    @property
    def agents(self) -> mesa.agent.AgentSet:
        """Every living person as a ``Person`` agent (built on first use)."""
        return self._mesa.agents()

    @agents.setter
    def agents(self, value: Any) -> None:
        raise AttributeError("model.agents is read-only")

    def person(self, row: int) -> Person:
        """The ``Person`` agent living in ``row``."""
        return self._mesa.person(row)

    @property
    def space(self) -> Network:
        """A ``mesa.discrete_space.Network`` of the current ties with every Person placed."""
        return self._mesa.space()

    def graph(self) -> Any:
        """A networkx graph of living people and their current ties (see ``ContactNetwork``)."""
        return self.network.graph(self.people)


def _changed_fields(old: Scenario, new: Scenario) -> list[str]:
    """Dotted names of the fields that differ (``interventions`` as one field)."""
    a, b = old.model_dump(), new.model_dump()
    changed = []
    for section in a:
        if isinstance(a[section], dict):
            changed += [
                f"{section}.{key}" for key in a[section] if a[section][key] != b[section].get(key)
            ]
        elif a[section] != b[section]:
            changed.append(section)
    return changed


def _changeable(field: str) -> bool:
    return field in CHANGEABLE_MID_RUN


class _BurnInStreams:
    """The run's streams for burn-in weeks (``week <= 0``): keyed apart from every run week.

    A burn-in week ``w`` (``-B < w <= 0``) draws from the stream ``burn-in/<name>`` at week
    ``-w``: a different stream name, so no run week (1, 2, ...) ever shares its draws, and a
    non-negative week, as ``Streams`` keys weeks in ``[0, 2**32)``.
    """

    def __init__(self, streams: Streams) -> None:
        self.inner = streams
        self.seed = streams.seed

    def generator(self, name: str, week: int) -> np.random.Generator:
        """As ``Streams.generator``, for a burn-in week."""
        return self.inner.generator(f"burn-in/{name}", -week)

    def uniform(self, name: str, week: int, pids: np.ndarray) -> np.ndarray:
        """As ``Streams.uniform``, for a burn-in week."""
        return self.inner.uniform(f"burn-in/{name}", -week, pids)

    def pair_uniform(
        self, name: str, week: int, first: np.ndarray, second: np.ndarray
    ) -> np.ndarray:
        """As ``Streams.pair_uniform``, for a burn-in week."""
        return self.inner.pair_uniform(f"burn-in/{name}", -week, first, second)


def _latest(model: HarmReductionModel, column: str) -> float:
    """DataCollector model reporter: the latest weekly value of one declared result."""
    return model.timeseries.latest(column)


if TYPE_CHECKING:

    def _satisfies_week_context(model: HarmReductionModel) -> WeekContext:
        """Static check: the model is a ``WeekContext``.

        Mesa ships no types, so a plain ``mypy src`` accepts any subclass of ``mesa.Model``
        here; ``tests/test_context.py`` repeats the check with Mesa followed.
        """
        return model
