"""What every harm-reduction programme is: parameters, ramp-up, enrolment, outputs and costs.

A programme is a plug-in. It declares its ``type`` (the name used in scenarios), a pydantic
``Params`` class (start week, ramp-up, coverage or capacity, eligibility, unit costs), and the
weekly ``outputs`` it reports. Each week, before the processes run, the model resets the
per-person programme hooks to neutral and calls every programme's ``step``; a programme acts
only by writing hooks (``model.hooks`` and the hook arrays in ``model.people``), never by
editing another module's state. It draws from its own random stream, so a programme at zero
coverage leaves every other draw, and so every result, exactly as in the baseline.
"""

from __future__ import annotations

import builtins
from typing import TYPE_CHECKING, ClassVar

import numpy as np

from hrsim.economics.prices import factor
from hrsim.interventions.params import InterventionParams

if TYPE_CHECKING:
    from hrsim.core.context import WeekContext


class Intervention[P: InterventionParams]:
    """A programme. Subclasses set ``type``, ``Params`` and ``outputs``, and write ``step``.

    ``P`` is the programme's parameter class, so ``self.params`` has its fields' types::

        class Hotline(Intervention[HotlineParams]):
            type = "hotline"
            Params = HotlineParams      # what the registry validates a scenario table with

    ``Params`` names the same class at run time (a class variable cannot be typed ``P``).
    """

    type: ClassVar[str]
    Params: ClassVar[builtins.type[InterventionParams]] = InterventionParams
    outputs: ClassVar[tuple[str, ...]] = ("enrolled",)

    def __init__(self, params: P) -> None:
        self.params: P = params
        self._reset_enrolment(0)
        self.stream = f"programme.{self.type}"
        self._place = np.zeros(0)
        self._fills_seen = 0  # how many of ``people.filled`` the places account for
        self._reached = np.zeros(0, dtype=bool)  # place < self._reached_coverage
        self._reached_coverage = np.nan
        self._price_factor: float | None = None  # programme price year -> scenario's (spend)

    # -- life cycle ------------------------------------------------------------------------
    def init(self, model: WeekContext) -> None:
        """Prepare per-person state; called once after the population exists."""
        self._reset_enrolment(model.people.n)

    def _reset_enrolment(self, n: int) -> None:
        # ``enrolled`` is a read-only view: only ``enrol`` and ``leave`` change it, so the
        # client list can be kept until they do.
        self._enrolled = np.zeros(n, dtype=bool)
        self.enrolled = _read_only(self._enrolled.view())
        self._clients: np.ndarray | None = None

    # ``enrolled`` views ``_enrolled``; a pickled or deep-copied view would be a copy of its
    # own that no longer follows the array, so a copy of the programme makes the view afresh.
    def __getstate__(self) -> dict[str, object]:
        state = self.__dict__.copy()
        del state["enrolled"]
        return state

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__dict__.update(state)
        self.enrolled = _read_only(self._enrolled.view())

    @property
    def clients(self) -> np.ndarray:
        """Rows of the people enrolled, sorted (``np.flatnonzero(self.enrolled)``; read-only)."""
        if self._clients is None:
            self._clients = _read_only(np.flatnonzero(self._enrolled))
        return self._clients

    def step(self, model: WeekContext) -> None:
        """Advance one week: enrol, exit, and write this week's hooks."""
        raise NotImplementedError

    def after_week(self, model: WeekContext) -> None:
        """Optional: called after the week's processes, to count what happened this week."""

    def week_step(self, model: WeekContext) -> None:
        """The model's entry point: drop clients who left, charge fixed costs, then ``step``."""
        left = model.week_view.left
        self.leave(model, left[self.enrolled[left]], "left_population")
        if model.week >= self.params.start_week:
            self.spend(model, self.params.fixed_cost_usd_per_week)
        self.step(model)
        self.report(model, "enrolled", int(np.count_nonzero(self.enrolled)))

    # -- helpers for subclasses ------------------------------------------------------------
    def scale(self, week: int) -> float:
        """How far the programme has ramped up, from 0 (not started) to 1.

        It is 1/ramp_up_weeks in the programme's first week, 2/ramp_up_weeks in its second,
        and so on up to 1. The first simulated week is week 1, so ``start_week`` 0 and 1 both
        start at once.
        """
        p = self.params
        first = max(p.start_week, 1)
        if week < first:
            return 0.0
        if p.ramp_up_weeks == 0:
            return 1.0
        return min(1.0, (week - first + 1) / p.ramp_up_weeks)

    def place(self, model: WeekContext) -> np.ndarray:
        """Every person's fixed place in this programme's queue, a uniform in [0, 1).

        A person is reached at coverage c when their place is below c, so a higher coverage
        reaches a superset of the people a lower one reaches. Places are drawn once per person:
        only rows that ``People.fill`` gave a new person since the last call are drawn.
        """
        people = model.people
        if self._place.size != people.n:
            self._place = np.zeros(people.n)
            self._reached = np.zeros(people.n, dtype=bool)
            self._reached_coverage = np.nan
            self._fills_seen = 0
        for rows in people.filled[self._fills_seen :]:
            self._place[rows] = model.streams.uniform(f"{self.stream}.place", 0, people.pid[rows])
            self._reached[rows] = self._place[rows] < self._reached_coverage
        self._fills_seen = len(people.filled)
        return self._place

    def reached(self, model: WeekContext, coverage: float) -> np.ndarray:
        """Who the programme reaches at ``coverage``: ``place(model) < coverage``.

        Kept from week to week (places are fixed), so it costs a pass over the population
        only when the coverage changes, as during the ramp-up.
        """
        place = self.place(model)
        if coverage != self._reached_coverage:
            self._reached = place < coverage
            self._reached_coverage = coverage
        return self._reached

    def enrol_to_coverage(self, model: WeekContext, eligible: np.ndarray, coverage: float) -> None:
        """Enrol eligible people until ``coverage`` of them are clients.

        Clients who are no longer eligible leave. Who is enrolled is decided by each person's
        own fixed draw, so a higher coverage enrols a superset of the people a lower one
        would.
        """
        if coverage <= 0:
            self.leave(model, np.flatnonzero(self.enrolled & ~eligible), "no_longer_eligible")
            return
        # One pass finds every row whose enrolment may change: clients not in the target
        # (eligible and reached) and people in it who are not clients.
        target = eligible & self.reached(model, coverage)
        changed = np.flatnonzero(target ^ self.enrolled)
        was_client = self.enrolled[changed]
        self.leave(model, changed[was_client & ~eligible[changed]], "no_longer_eligible")
        self.enrol(model, changed[~was_client])

    def uniform(self, model: WeekContext, purpose: str, rows: np.ndarray) -> np.ndarray:
        """Per-person uniforms from this programme's own stream."""
        return model.streams.uniform(f"{self.stream}.{purpose}", model.week, model.people.pid[rows])

    def enrol(self, model: WeekContext, rows: np.ndarray, detail: str = "enrol") -> None:
        """Enrol ``rows`` (logged as events of kind ``type``)."""
        rows = rows[~self._enrolled[rows]]
        if rows.size:
            self._enrolled[rows] = True
            self._clients = None
        self._log(model, rows, detail)

    def leave(self, model: WeekContext, rows: np.ndarray, detail: str = "exit") -> None:
        """End the enrolment of ``rows``."""
        rows = rows[self._enrolled[rows]]
        if rows.size:
            self._enrolled[rows] = False
            self._clients = None
        self._log(model, rows, detail)

    def report(self, model: WeekContext, output: str, value: float) -> None:
        """Add ``value`` to this week's ``output``."""
        model.programme_outputs.add(self.type, output, value)

    def spend(self, model: WeekContext, usd: float) -> None:
        """Add to this week's cost (``usd`` in the programme's ``price_year`` dollars).

        The reported ``cost_usd`` is in the scenario's price year (``economics.price_year``):
        converted by the ratio of the CPI-U Medical Care index (``hrsim.economics.prices``).
        """
        if usd:
            price_factor = getattr(self, "_price_factor", None)  # a plug-in may skip __init__
            if price_factor is None:
                year = self.params.price_year
                target = model.scenario.economics.price_year
                price_factor = self._price_factor = 1.0 if year is None else factor(year, target)
            model.programme_outputs.add(self.type, "cost_usd", usd * price_factor)

    def _log(self, model: WeekContext, rows: np.ndarray, detail: str) -> None:
        if rows.size and model.events.enabled:
            p = model.people
            state = p.state[rows]
            model.events.add(p.pid[rows], model.week, self.type, state, state, detail)


def _read_only(array: np.ndarray) -> np.ndarray:
    array.flags.writeable = False
    return array


# Names that lived here in hrsim 0.1, kept for one release (see hrsim._compat).
_MOVED = {
    "multiply_where": "hrsim.interventions.helpers",
    "WeekView": "hrsim.core.people",
    "ProgrammeOutputs": "hrsim.core.results",
}


def __getattr__(name: str) -> object:
    if name in _MOVED:
        import importlib
        import warnings

        warnings.warn(
            f"hrsim.interventions.base.{name} is deprecated and will be removed in hrsim 0.3: "
            f"import it from {_MOVED[name]} instead",
            DeprecationWarning,
            stacklevel=2,
        )
        return getattr(importlib.import_module(_MOVED[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
