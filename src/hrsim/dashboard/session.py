"""One dashboard session: the settings, the paired run, and a snapshot of the latest week.

Kept free of Solara so that tests and benchmarks can drive exactly what the page drives.
``step`` advances the scenario and its baseline together, then builds a new ``Snapshot``:
every figure, the clock and the counts of that week, frozen. The page only shows snapshots,
so all its panels always agree on the week even while Play steps the run in another thread;
a lock keeps two steps from overlapping (Play runs in a thread while the student can press
buttons).

``chance_spread`` answers "is this gap more than luck?": the same settings on a few other
seeds, run to the same week, and what each of them averted.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hrsim.dashboard import charts
from hrsim.dashboard.network_view import NetworkView
from hrsim.dashboard.paired_run import PairedRun
from hrsim.dashboard.parameters import Settings, scenario_toml, to_scenario
from hrsim.files import csv_text
from hrsim.scenario import parameter_table

WEEKS_PER_YEAR = 52
SPREAD_SEEDS = 4  # other seeds run for the spread (with the one on screen: five runs)


@dataclass(frozen=True)
class Clock:
    """Where the run is: week (0 = start), year and week within the year, horizon."""

    week: int
    weeks: int

    @property
    def year(self) -> int:
        """Year of the run the current week falls in (1-based; week 0 is the start)."""
        return max(1, (self.week - 1) // WEEKS_PER_YEAR + 1)

    @property
    def week_of_year(self) -> int:
        """Week within its year, 1 to 52 (0 at the start)."""
        return 0 if self.week == 0 else (self.week - 1) % WEEKS_PER_YEAR + 1

    def text(self) -> str:
        """E.g. "Week 60 of 520 · year 2, week 8"."""
        if self.week == 0:
            return f"Week 0 of {self.weeks:,} · the start"
        return f"Week {self.week:,} of {self.weeks:,} · year {self.year}, week {self.week_of_year}"


def retention_targets() -> dict[str, float]:
    """The model's 12-month MOUD retention inputs, to mark on the retention chart."""
    care = parameter_table()["care"]
    return {
        "methadone, 12 months (input)": care["methadone_retention_12_months"]["value"],
        "buprenorphine, 12 months (input)": care["buprenorphine_retention_12_months"]["value"],
    }


@dataclass(frozen=True)
class Snapshot:
    """Everything the page shows for one week of one session."""

    session: int  # id of the session it belongs to
    clock: Clock
    done: bool
    figures: dict[str, Any]


class DashboardSession:
    """Settings -> scenario -> paired run -> figures, for one browser tab."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.scenario = to_scenario(settings)  # raises ScenarioError on a bad value
        self.run = PairedRun(self.scenario)
        self.view = NetworkView(self.run.model)
        self.lock = threading.Lock()
        self._targets = retention_targets()
        self.snapshot = self._snap()

    @property
    def figures(self) -> dict[str, Any]:
        """The figures of the latest snapshot."""
        return self.snapshot.figures

    @property
    def clock(self) -> Clock:
        """The current week."""
        return Clock(self.run.week, self.run.weeks)

    @property
    def done(self) -> bool:
        """True once the horizon is reached."""
        return self.run.done

    def step(self, weeks: int = 1) -> int:
        """Advance both arms ``weeks`` weeks (not past the horizon) and redraw; returns how many."""
        with self.lock:
            done = 0
            for _ in range(weeks):
                if not self.run.step(1):
                    break
                self.view.observe(self.run.model)
                done += 1
            if done:
                self.snapshot = self._snap()
            return done

    def _snap(self) -> Snapshot:
        return Snapshot(id(self), self.clock, self.run.done, self.draw())

    def draw(self) -> dict[str, Any]:
        """Every figure of the current week (Vega-Lite specs, plain dicts)."""
        run, model = self.run, self.run.model
        return {
            "network": self.view.figure(model),
            "network_caption": self.view.caption(model),
            "care_states": charts.care_states(run),
            "overdoses": charts.overdoses(run),
            "incidence": charts.incidence(run),
            "retention": charts.retention(run, self._targets),
            "so_far": charts.so_far(run),
            "averted": run.averted(),
            "economics": run.economics(),
        }

    def results_csv(self) -> str:
        """Both arms' weekly results so far, as CSV text."""
        with self.lock:
            return csv_text(self.run.results_frame(), index=False)

    def scenario_toml(self) -> str:
        """The scenario as TOML, for ``hrsim run``."""
        return scenario_toml(self.settings)

    def file_stem(self) -> str:
        """A file name stem for downloads, e.g. ``full_package-2000people-seed1``."""
        s = self.settings
        return f"{self.scenario.run.name}-{s.people}people-seed{s.seed}"


@dataclass(frozen=True)
class Spread:
    """What the programmes averted by ``week`` on each of several seeds (one run per seed)."""

    week: int
    seeds: tuple[int, ...]
    averted: dict[str, tuple[int, ...]]  # outcome -> averted on each seed, in ``seeds`` order

    def text(self, outcome: str) -> str:
        """E.g. "5 seeds: -1 to 3, mean 0.8"."""
        values = self.averted[outcome]
        mean = sum(values) / len(values)
        return f"{len(values)} seeds: {min(values):,} to {max(values):,}, mean {mean:,.1f}"


def chance_spread(
    settings: Settings,
    week: int,
    seeds: int = SPREAD_SEEDS,
    progress: Callable[[int], None] | None = None,
) -> Spread:
    """The settings' averted counts at ``week`` on their own seed and ``seeds`` more.

    Each seed is a paired run of its own (scenario and baseline on that seed), so the spread
    is the run-to-run variation one community of this size shows by chance. ``progress`` is
    called with the number of runs done.
    """
    chosen = tuple(settings.seed + k for k in range(seeds + 1))
    results: list[dict[str, int]] = []
    for done, seed in enumerate(chosen):
        run = PairedRun(to_scenario(settings.changes(seed=seed)))
        run.step(week)
        results.append(run.averted().averted)
        if progress is not None:
            progress(done + 1)
    outcomes = results[0]
    return Spread(week, chosen, {k: tuple(r[k] for r in results) for k in outcomes})
