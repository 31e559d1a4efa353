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
from functools import cached_property
from typing import TYPE_CHECKING, ClassVar

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from hrsim.people import Care

if TYPE_CHECKING:
    from hrsim.model import HarmReductionModel
    from hrsim.people import People


class InterventionParams(BaseModel):
    """Parameters every programme has. Subclasses add their own (with units in the names)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: str
    start_week: int = Field(0, ge=0, le=5200)
    ramp_up_weeks: int = Field(0, ge=0, le=5200)
    fixed_cost_usd_per_week: float = Field(0.0, ge=0.0, le=1e9)


class Intervention:
    """A programme. Subclasses set ``type``, ``Params`` and ``outputs``, and write ``step``."""

    type: ClassVar[str]
    Params: ClassVar[builtins.type[InterventionParams]] = InterventionParams
    outputs: ClassVar[tuple[str, ...]] = ("enrolled",)

    def __init__(self, params: InterventionParams) -> None:
        self.params = params
        self._reset_enrolment(0)
        self.stream = f"programme.{self.type}"
        self._place = np.zeros(0)
        self._fills_seen = 0  # how many of ``people.filled`` the places account for
        self._reached = np.zeros(0, dtype=bool)  # place < self._reached_coverage
        self._reached_coverage = np.nan

    # -- life cycle ------------------------------------------------------------------------
    def init(self, model: HarmReductionModel) -> None:
        """Prepare per-person state; called once after the population exists."""
        self._reset_enrolment(model.people.n)

    def _reset_enrolment(self, n: int) -> None:
        # ``enrolled`` is a read-only view: only ``enrol`` and ``leave`` change it, so the
        # client list can be kept until they do.
        self._enrolled = np.zeros(n, dtype=bool)
        self.enrolled = _read_only(self._enrolled.view())
        self._clients: np.ndarray | None = None

    @property
    def clients(self) -> np.ndarray:
        """Rows of the people enrolled, sorted (``np.flatnonzero(self.enrolled)``; read-only)."""
        if self._clients is None:
            self._clients = _read_only(np.flatnonzero(self._enrolled))
        return self._clients

    def step(self, model: HarmReductionModel) -> None:
        """Advance one week: enrol, exit, and write this week's hooks."""
        raise NotImplementedError

    def after_week(self, model: HarmReductionModel) -> None:
        """Optional: called after the week's processes, to count what happened this week."""

    def week_step(self, model: HarmReductionModel) -> None:
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

    def place(self, model: HarmReductionModel) -> np.ndarray:
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

    def reached(self, model: HarmReductionModel, coverage: float) -> np.ndarray:
        """Who the programme reaches at ``coverage``: ``place(model) < coverage``.

        Kept from week to week (places are fixed), so it costs a pass over the population
        only when the coverage changes, as during the ramp-up.
        """
        place = self.place(model)
        if coverage != self._reached_coverage:
            self._reached = place < coverage
            self._reached_coverage = coverage
        return self._reached

    def enrol_to_coverage(
        self, model: HarmReductionModel, eligible: np.ndarray, coverage: float
    ) -> None:
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

    def uniform(self, model: HarmReductionModel, purpose: str, rows: np.ndarray) -> np.ndarray:
        """Per-person uniforms from this programme's own stream."""
        return model.streams.uniform(f"{self.stream}.{purpose}", model.week, model.people.pid[rows])

    def enrol(self, model: HarmReductionModel, rows: np.ndarray, detail: str = "enrol") -> None:
        """Enrol ``rows`` (logged as events of kind ``type``)."""
        rows = rows[~self._enrolled[rows]]
        if rows.size:
            self._enrolled[rows] = True
            self._clients = None
        self._log(model, rows, detail)

    def leave(self, model: HarmReductionModel, rows: np.ndarray, detail: str = "exit") -> None:
        """End the enrolment of ``rows``."""
        rows = rows[self._enrolled[rows]]
        if rows.size:
            self._enrolled[rows] = False
            self._clients = None
        self._log(model, rows, detail)

    def report(self, model: HarmReductionModel, output: str, value: float) -> None:
        """Add ``value`` to this week's ``output``."""
        model.programme_outputs.add(self.type, output, value)

    def spend(self, model: HarmReductionModel, usd: float) -> None:
        """Add to this week's cost."""
        if usd:
            model.programme_outputs.add(self.type, "cost_usd", usd)

    def _log(self, model: HarmReductionModel, rows: np.ndarray, detail: str) -> None:
        if rows.size and model.events.enabled:
            p = model.people
            state = p.state[rows]
            model.events.add(p.pid[rows], model.week, self.type, state, state, detail)


def multiply_where(hook: np.ndarray, mask: np.ndarray, factor: float) -> None:
    """``hook[mask] *= factor`` for a mask that holds much of the population.

    ``m factor + (1 - m)`` is exactly ``factor`` where m is 1 and exactly 1 where it is 0, so
    this is the same arithmetic as the indexed product, in a few fast whole-array passes
    instead of a gather and a scatter over many rows.
    """
    m = mask.view(np.uint8).astype(hook.dtype)
    scaled = m * hook.dtype.type(factor)
    m -= 1
    scaled -= m
    hook *= scaled


def _read_only(array: np.ndarray) -> np.ndarray:
    array.flags.writeable = False
    return array


def retire_used_kits(model: HarmReductionModel, holds_kit: np.ndarray) -> np.ndarray:
    """Take a programme's kits used at last week's overdoses out of circulation.

    ``holds_kit`` marks who holds one of the programme's kits; it is updated in place and the
    rows whose kit was used are returned (a witness who used a kit twice counts once).
    """
    used = np.unique(model.naloxone_used)
    used = used[holds_kit[used]]
    holds_kit[used] = False
    model.people.carries_naloxone[used] = False
    return used


class WeekView:
    """Masks many programmes need, computed at most once a week (as programmes act)."""

    def __init__(self, people: People) -> None:
        self.people = people

    @cached_property
    def alive(self) -> np.ndarray:
        """Living people."""
        return self.people.alive

    @cached_property
    def left(self) -> np.ndarray:
        """Rows of people who died or left (sorted); a new person takes them this week."""
        return np.flatnonzero(~self.alive)

    @cached_property
    def active(self) -> np.ndarray:
        """In active use."""
        return self.people.state == Care.ACTIVE

    @cached_property
    def injecting(self) -> np.ndarray:
        """In active use and injecting."""
        return self.active & self.people.injects

    @cached_property
    def on_moud(self) -> np.ndarray:
        """On methadone or buprenorphine."""
        state = self.people.state
        return (state == Care.METHADONE) | (state == Care.BUPRENORPHINE)

    @cached_property
    def recovery(self) -> np.ndarray:
        """In recovery."""
        return self.people.state == Care.RECOVERY

    @cached_property
    def prison(self) -> np.ndarray:
        """In prison."""
        return self.people.state == Care.PRISON

    @cached_property
    def free(self) -> np.ndarray:
        """Alive and neither in prison nor in inpatient detox (can meet people)."""
        state = self.people.state
        return (state < Care.PRISON) & (state != Care.DETOX)


class ProgrammeOutputs:
    """Weekly outputs of every programme, in long form ``(week, programme, output, value)``."""

    def __init__(self, weeks: int) -> None:
        self.weeks = weeks
        self.series: dict[tuple[str, str], np.ndarray] = {}
        self.week = 0

    def declare(self, programme: str, outputs: tuple[str, ...]) -> None:
        """Create zero series for a programme's outputs (so they exist even if never used)."""
        for output in (*outputs, "cost_usd"):
            self.series.setdefault((programme, output), np.zeros(self.weeks + 1))

    def add(self, programme: str, output: str, value: float) -> None:
        """Add to the current week's value."""
        key = (programme, output)
        if key not in self.series:
            self.series[key] = np.zeros(self.weeks + 1)
        self.series[key][self.week] += value

    def to_frame(self, weeks: int) -> "pd.DataFrame":  # noqa: UP037
        """The recorded weeks as a long DataFrame."""
        import pandas as pd

        frames = [
            pd.DataFrame(
                {
                    "week": np.arange(weeks + 1),
                    "programme": prog,
                    "output": out,
                    "value": values[: weeks + 1],
                }
            )
            for (prog, out), values in sorted(self.series.items())
        ]
        if not frames:
            return pd.DataFrame(
                {
                    "week": pd.Series(dtype="int64"),
                    "programme": pd.Series(dtype="object"),
                    "output": pd.Series(dtype="object"),
                    "value": pd.Series(dtype="float64"),
                }
            )
        return pd.concat(frames, ignore_index=True)


if TYPE_CHECKING:
    import pandas as pd
