"""The Mesa view of the arrays: ``Person`` agents and the network space, built on first use.

A ``Person`` holds only its row; every attribute reads and writes ``model.people``. The
``MesaView`` makes one agent per living person the first time ``model.agents`` is read (a
million-person run that never looks pays nothing), then touches only rows whose occupant
changed each week, and rebuilds the ``mesa.discrete_space.Network`` when asked for in a new
week. Looking at agents never changes results (a test checks it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from mesa.discrete_space import CellAgent, Network

from hrsim.core.people import set_route
from hrsim.core.states import MOUD_STATES, STATE_NAMES, Route

if TYPE_CHECKING:
    import mesa


def _array_property(name: str, doc: str) -> property:
    def getter(self: Person) -> Any:
        return getattr(self.model.people, name)[self.row].item()

    def setter(self: Person, value: Any) -> None:
        getattr(self.model.people, name)[self.row] = value

    return property(getter, setter, doc=doc)


class Person(CellAgent):
    """One person as a Mesa agent. Holds only its row; every attribute reads the arrays.

    ``person.care_state`` is the state's name (``"active"``, ``"methadone"``, ...); the other
    attributes are plain numbers and booleans. Writing an attribute writes the array, so a
    researcher's per-agent rule and the vectorised processes see the same person.
    """

    def __init__(self, model: Any, row: int) -> None:
        super().__init__(model)
        self.row = int(row)
        self.pid = int(model.people.pid[row])

    @property
    def care_state(self) -> str:
        """The care state's name."""
        return STATE_NAMES[int(self.model.people.state[self.row])]

    @care_state.setter
    def care_state(self, name: str) -> None:
        self.model.people.state[self.row] = STATE_NAMES.index(name)
        self.model.people.weeks_in_state[self.row] = 0

    @property
    def on_moud(self) -> bool:
        """On methadone or buprenorphine."""
        return int(self.model.people.state[self.row]) in MOUD_STATES

    @property
    def sex(self) -> str:
        """``"male"`` or ``"female"``."""
        return "male" if self.model.people.male[self.row] else "female"

    age = _array_property("age", "Age in years.")

    @property
    def route(self) -> int:
        """Route of use, a ``Route`` code (0 injecting, 1 smoking, 2 other).

        Writing it keeps ``injects`` in step.
        """
        return int(self.model.people.route[self.row])

    @route.setter
    def route(self, value: int) -> None:
        set_route(self.model.people, np.array([self.row]), int(value))

    @property
    def injects(self) -> bool:
        """Route of use is injecting; writing True or False sets the route."""
        return bool(self.model.people.injects[self.row])

    @injects.setter
    def injects(self, value: bool) -> None:
        if bool(value) != self.injects:
            route = Route.INJECTING if value else Route.SMOKING
            set_route(self.model.people, np.array([self.row]), route)

    heavy_use = _array_property("heavy_use", "Daily or heavier use (use intensity).")
    tolerance = _array_property("tolerance", "Opioid tolerance, 0 (none) to 1 (full).")
    housing_unstable = _array_property("housing_unstable", "Unstably housed.")
    prison_count = _array_property("prison_count", "Times in prison (prison history).")
    weeks_in_state = _array_property("weeks_in_state", "Completed weeks in the current state.")
    hiv = _array_property("hiv", "Living with HIV.")
    hiv_diagnosed = _array_property("hiv_diagnosed", "HIV diagnosed.")
    hiv_on_art = _array_property("hiv_on_art", "On antiretroviral treatment.")
    hiv_linked = _array_property("hiv_linked", "In HIV care (linked, not dropped out).")
    hiv_suppressed = _array_property("hiv_suppressed", "HIV virally suppressed.")
    hiv_weeks = _array_property("hiv_weeks", "Weeks since HIV infection.")
    hcv = _array_property("hcv", "Current (viraemic) HCV infection.")
    hcv_antibody = _array_property("hcv_antibody", "HCV antibody: ever infected.")
    hcv_diagnosed = _array_property("hcv_diagnosed", "Current HCV infection RNA-confirmed.")
    carries_naloxone = _array_property("carries_naloxone", "Carries a naloxone kit.")
    injected_this_week = _array_property("injected_this_week", "Injected this week.")
    sharing_episode = _array_property("sharing_episode", "In a receptive syringe-sharing episode.")

    def __repr__(self) -> str:
        return f"Person(pid={self.pid}, row={self.row}, {self.care_state})"


class MesaView:
    """One ``Person`` per living row and the Network space, kept in step with the arrays."""

    def __init__(self, model: Any) -> None:
        self.model = model
        self.persons: list[Person | None] | None = None
        self._viewed_pids = np.zeros(0, dtype=np.int64)
        self._space: Network | None = None
        self._space_week = -1

    @property
    def built(self) -> bool:
        """True once the agents have been asked for."""
        return self.persons is not None

    def agents(self) -> mesa.agent.AgentSet:
        """Every living person as a ``Person`` agent."""
        if self.persons is None:
            self.persons = [None] * self.model.people.n
            self._viewed_pids = np.full(self.model.people.n, -1, dtype=np.int64)
            self.sync()
        return self.model._all_agents  # Mesa's own set, which Person registers in

    def person(self, row: int) -> Person:
        """The ``Person`` agent living in ``row``."""
        self.agents()
        assert self.persons is not None
        agent = self.persons[row]
        if agent is None:
            raise KeyError(f"row {row} holds nobody alive")
        return agent

    def sync(self) -> None:
        """Remove agents of people who left and add agents for new people (changed rows only)."""
        assert self.persons is not None
        p = self.model.people
        # pid each row's agent stands for (-1: no agent); a mismatch means the row changed.
        wanted = np.where(p.alive, p.pid, -1)
        for row in np.flatnonzero(self._viewed_pids != wanted).tolist():
            agent = self.persons[row]
            if agent is not None:
                agent.cell = None
                agent.remove()
            self.persons[row] = Person(self.model, row) if wanted[row] >= 0 else None
        self._viewed_pids = wanted
        self._space_week = -1  # the space needs re-placing

    def space(self) -> Network:
        """A ``mesa.discrete_space.Network`` of the current ties with every Person placed."""
        model = self.model
        agents = self.agents()
        if self._space is None or self._space_week != model.week:
            graph = model.network.graph(model.people)
            for agent in agents:
                agent.cell = None
            # layout=None: Mesa 3.5 otherwise computes an (unseeded) spring layout of every
            # node, 5 s at 1,000 people; hrsim's ties carry no positions.
            self._space = Network(graph, random=model.random, layout=None)
            for agent in agents:
                agent.cell = self._space[agent.row]
            self._space_week = model.week
        return self._space
