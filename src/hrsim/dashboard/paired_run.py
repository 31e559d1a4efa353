"""A scenario and its baseline stepped together, week by week, on the same seed.

The dashboard shows what a scenario's programmes change *so far*, while the run unfolds. The
baseline is the same scenario with every programme removed: the same people, seed, fentanyl
supply and MOUD capacity, no ``[[interventions]]``. Both models draw from the same named
random streams, and programmes draw only from their own, so the two runs share their random
numbers (common random numbers) and a difference between them is mostly the programmes' doing,
not chance. ``hrsim compare`` does the same over many replicates, to the horizon, with
intervals; this module is one replicate, watched as it goes.

Also here: MOUD retention as a Kaplan-Meier curve over the treatment episodes that start
during the run (episodes under way at week 0 started before anyone was watching, so they are
left out).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from hrsim.analysis.stats import kaplan_meier_curve
from hrsim.core.people import People
from hrsim.core.results import TIMESERIES_COLUMNS
from hrsim.core.states import on_moud
from hrsim.model import HarmReductionModel
from hrsim.scenario import Scenario

ARMS: tuple[str, ...] = ("scenario", "baseline")

# Cumulative outcomes (names as in hrsim.batch.outcomes) -> the timeseries columns they add up.
OUTCOME_COLUMNS: dict[str, tuple[str, ...]] = {
    "deaths_all_causes": ("deaths_overdose", "deaths_other"),
    "fatal_overdoses": ("overdoses_fatal",),
    "nonfatal_overdoses": ("overdoses_nonfatal",),
    "new_hiv": ("hiv_infections",),
    "new_hcv": ("hcv_infections",),
}


def without_programmes(scenario: Scenario) -> Scenario:
    """The baseline of ``scenario``: the same parameters with no programmes."""
    return scenario.model_copy(update={"interventions": ()})


class MoudRetention:
    """Retention on MOUD, by weeks since starting, for episodes that start during the run.

    Call :meth:`update` after every week. An episode runs from the first week a person is seen
    on MOUD to the first week they are not (a switch between methadone and buprenorphine
    continues it); a new person in a reused row starts afresh.
    """

    def __init__(self, people: People) -> None:
        self._on = on_moud(people.state)
        self._pid = people.pid.copy()
        self._start = np.full(people.n, -1, dtype=np.int64)  # -1: not a tracked episode
        self._ended: list[np.ndarray] = []
        self.week = 0

    def update(self, people: People, week: int) -> None:
        """Record the episodes that started and ended in ``week``."""
        on = on_moud(people.state)
        continuing = on & self._on & (people.pid == self._pid)
        ended = self._on & ~continuing
        tracked = ended & (self._start >= 0)
        if tracked.any():
            self._ended.append(week - self._start[tracked])
        self._start[ended] = -1
        self._start[on & ~continuing] = week
        self._on = on
        self._pid[:] = people.pid
        self.week = week

    @property
    def episodes(self) -> int:
        """Episodes started during the run so far."""
        return int(sum(e.size for e in self._ended) + np.count_nonzero(self._start >= 0))

    def curve(self, max_weeks: int = 52) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Kaplan-Meier retention: ``(weeks, share still on MOUD, number at risk)``.

        ``weeks`` runs from 0 to ``max_weeks`` or the longest episode seen, whichever is
        shorter; episodes still under way are censored at their current length.
        """
        ended = np.concatenate(self._ended) if self._ended else np.zeros(0, dtype=np.int64)
        ongoing = self.week - self._start[self._start >= 0]
        longest = int(max(ended.max(initial=0), ongoing.max(initial=0)))
        t_max = min(max_weeks, longest)
        lengths = np.concatenate([ended, ongoing])
        stopped = np.arange(lengths.size) < ended.size  # the rest are censored (still on)
        share, _ = kaplan_meier_curve(lengths, stopped, t_max)
        # At risk at t: every episode that lasted at least t weeks.
        at_risk = np.bincount(np.minimum(lengths, t_max + 1), minlength=t_max + 2)
        at_risk = at_risk[::-1].cumsum()[::-1][: t_max + 1]
        return np.arange(t_max + 1), share, at_risk


@dataclass(frozen=True)
class Averted:
    """Outcomes so far in both arms; ``averted`` is baseline minus scenario."""

    scenario: dict[str, int]
    baseline: dict[str, int]

    @property
    def averted(self) -> dict[str, int]:
        """Baseline minus scenario for each outcome (negative: more in the scenario)."""
        return {k: self.baseline[k] - self.scenario[k] for k in self.scenario}


class PairedRun:
    """``scenario`` and its baseline (no programmes), on the same seed, advanced together.

    ``run.model`` is the scenario, ``run.baseline`` the baseline; both are ordinary
    :class:`HarmReductionModel` objects and can be inspected while the run goes on.
    """

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self.models: dict[str, HarmReductionModel] = {
            "scenario": HarmReductionModel(scenario),
            "baseline": HarmReductionModel(without_programmes(scenario)),
        }
        self.retention = {arm: MoudRetention(m.people) for arm, m in self.models.items()}

    @property
    def model(self) -> HarmReductionModel:
        """The scenario's model."""
        return self.models["scenario"]

    @property
    def baseline(self) -> HarmReductionModel:
        """The baseline's model."""
        return self.models["baseline"]

    @property
    def week(self) -> int:
        """Weeks simulated so far (0 = the starting population)."""
        return self.model.week

    @property
    def weeks(self) -> int:
        """The horizon in weeks."""
        return self.model.weeks

    @property
    def done(self) -> bool:
        """True once the horizon is reached."""
        return self.week >= self.weeks

    def step(self, weeks: int = 1) -> int:
        """Advance both arms by up to ``weeks`` weeks (not past the horizon); returns how many."""
        n = max(0, min(weeks, self.weeks - self.week))
        for _ in range(n):
            for arm, model in self.models.items():
                model.step()
                self.retention[arm].update(model.people, model.week)
        return n

    def series(self, arm: str, column: str) -> np.ndarray:
        """One weekly timeseries column of one arm, weeks 0 to now (a read-only view)."""
        ts = self.models[arm].timeseries
        view = ts.data[column][: ts.rows]
        view.flags.writeable = False
        return view

    def totals(self, arm: str) -> dict[str, int]:
        """Each outcome added up over weeks 1 to now (week 0 is the starting population)."""
        return {
            outcome: int(sum(self.series(arm, c)[1:].sum() for c in columns))
            for outcome, columns in OUTCOME_COLUMNS.items()
        }

    def averted(self) -> Averted:
        """Outcomes so far in both arms, and what the programmes averted."""
        return Averted(self.totals("scenario"), self.totals("baseline"))

    def results_frame(self) -> pd.DataFrame:
        """Both arms' weekly results in one table: ``arm, week, year, <timeseries columns>``."""
        frames = []
        for arm, model in self.models.items():
            df = model.timeseries_frame()
            df.insert(0, "arm", arm)
            df.insert(2, "year", df["week"] / 52.0)
            frames.append(df)
        out = pd.concat(frames, ignore_index=True)
        return out[["arm", "week", "year", *[c for c in TIMESERIES_COLUMNS if c != "week"]]]
