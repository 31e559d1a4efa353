"""What every process is, and the shared helpers processes use.

A process is a named plug-in with ``init`` and ``step``; ``move`` changes care states and
logs the events.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import numpy as np

from hrsim.core.states import Care

if TYPE_CHECKING:
    from hrsim.core.context import WeekContext


class Process:
    """A plug-in piece of the weekly dynamics.

    ``name`` keys its random stream, so two processes never share draws. ``init`` runs once
    after the population and network exist; ``step`` runs once a week in the model's order.
    """

    name: ClassVar[str] = "process"

    def init(self, model: WeekContext) -> None:
        """Prepare anything derived from the scenario."""

    def step(self, model: WeekContext) -> None:
        """Advance one week."""
        raise NotImplementedError


def weekly_probability(rate_per_year: float | np.ndarray) -> float | np.ndarray:
    """Convert a yearly rate into the probability of at least one event in a week."""
    return -np.expm1(-np.asarray(rate_per_year) / 52.0)


def move(
    model: WeekContext, rows: np.ndarray, to_state: int, detail: str, flow: str | None = None
) -> None:
    """Move ``rows`` to ``to_state``: log a transition event each, reset time in state."""
    if rows.size == 0:
        return
    people = model.people
    kind = "death" if to_state == Care.DEAD else "exit" if to_state == Care.EXITED else "transition"
    model.events.add(people.pid[rows], model.week, kind, people.state[rows], to_state, detail)
    people.state[rows] = to_state
    people.weeks_in_state[rows] = 0
    if flow is not None:
        model.timeseries.add(flow, rows.size)
