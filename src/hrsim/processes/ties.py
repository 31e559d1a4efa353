"""Ties end and form each week (the rules live in ``hrsim.core.network``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from hrsim.processes.base import Process

if TYPE_CHECKING:
    from hrsim.core.context import WeekContext


class Ties(Process):
    """Weekly turnover of the injecting, social and sexual layers."""

    name = "ties"

    def step(self, model: WeekContext) -> None:
        """End ties (including every tie of people who left), then form new ones."""
        model.network.turnover(model.people, model.week_view, model.streams, model.week)
