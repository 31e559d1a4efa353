"""Earlier runs, kept on the charts as faint lines to compare against.

Two kinds. When a student changes a setting while the run is under way ("play from here"),
the run goes on with the change, and a copy of its scenario arm as it was goes on beside it
without the change: same people, same chance (common random numbers), so the two lines
match up to the change and the gap after it is the change's doing. When a new run starts
(Reset, another seed, another scenario or population size), the run that was on
screen stays as a line, frozen at the week it had reached (unless the new run has another
population size: counts of another size are not comparable, so those lines are dropped).

A running copy costs a third more stepping per copy, so only ``LIVE`` of them keep running;
an older one freezes where it is. At most ``KEPT`` earlier runs are drawn.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

import numpy as np

from hrsim.model import HarmReductionModel

KEPT = 3  # earlier runs on the charts
LIVE = 2  # of which still running beside the session (the newest)

#: The weekly columns the charts draw for an earlier run (what a frozen run keeps).
COLUMNS: tuple[str, ...] = (
    "overdoses_fatal",
    "deaths_overdose",
    "deaths_other",
    "hiv_infections",
    "hcv_infections",
)


@dataclass
class EarlierRun:
    """One earlier run's scenario arm: still running (``model``) or frozen (``frozen``)."""

    label: str  # short, for a legend: "before the change at week 60"
    detail: str  # what it was, in a sentence
    people: int
    model: HarmReductionModel | None = None
    frozen: dict[str, np.ndarray] = field(default_factory=dict)

    @classmethod
    def branch(cls, model: HarmReductionModel, label: str, detail: str) -> EarlierRun:
        """A copy of ``model`` that goes on as it is (call before changing ``model``)."""
        return cls(label, detail, model.scenario.run.people, model=copy.deepcopy(model))

    @classmethod
    def kept(cls, model: HarmReductionModel, label: str, detail: str) -> EarlierRun:
        """``model``'s weeks so far, frozen."""
        run = cls(label, detail, model.scenario.run.people, model=model)
        run.freeze()
        return run

    @property
    def running(self) -> bool:
        """True while a copy of the model still steps beside the session."""
        return self.model is not None

    @property
    def week(self) -> int:
        """The last week it has (0 before its first step)."""
        if self.model is not None:
            return self.model.week
        return len(self.frozen[COLUMNS[0]]) - 1

    def series(self, column: str) -> np.ndarray:
        """One weekly column, weeks 0 to ``week``."""
        if self.model is None:
            return self.frozen[column]
        ts = self.model.timeseries
        return ts.data[column][: ts.rows]

    def step_to(self, week: int) -> None:
        """Step a running copy up to ``week`` (not past its horizon)."""
        model = self.model
        while model is not None and model.week < min(week, model.weeks):
            model.step()

    def freeze(self) -> None:
        """Stop stepping: keep the columns the charts draw, drop the model."""
        if self.model is not None:
            self.frozen = {c: self.series(c).copy() for c in COLUMNS}
            self.model = None


def keep(runs: list[EarlierRun], new: EarlierRun) -> list[EarlierRun]:
    """``runs`` with ``new`` added: the newest ``KEPT``, of which the newest ``LIVE`` run."""
    runs = [*runs, new][-KEPT:]
    for run in runs[:-LIVE]:
        run.freeze()
    return runs
