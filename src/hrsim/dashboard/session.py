"""One dashboard session: the settings, the paired run, and a snapshot of the latest week.

Kept free of Solara so that tests and benchmarks can drive exactly what the page drives.
``step`` advances the scenario and its baseline together, then builds a new ``Snapshot``:
every figure, the clock and the counts of that week, frozen. The page only shows snapshots,
so all its panels always agree on the week even while Play steps the run in another thread;
a lock keeps two steps from overlapping (Play runs in a thread while the student can press
buttons).

``change`` is "play from here": new settings take effect from the week on screen, and the run
as it was goes on beside it as a faint line (``hrsim.dashboard.earlier_runs``); a new
session starts at week 0 and keeps the runs before it as lines (``kept_runs``).

``chance_spread`` answers "is this gap more than luck?": the same run (with the same changes
at the same weeks) on a few other seeds, run to the same week, and what each of them averted.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from hrsim.dashboard import charts
from hrsim.dashboard.earlier_runs import EarlierRun, keep
from hrsim.dashboard.network_view import NetworkView
from hrsim.dashboard.paired_run import PairedRun
from hrsim.dashboard.parameters import (
    Settings,
    describe_changes,
    restarts,
    scenario_toml,
    to_scenario,
)
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

    session: tuple[int, int]  # the session it belongs to, and which change of its settings
    clock: Clock
    done: bool
    figures: dict[str, Any]


class DashboardSession:
    """Settings -> scenario -> paired run -> figures, for one browser tab."""

    def __init__(self, settings: Settings, earlier: Sequence[EarlierRun] = ()) -> None:
        self.settings = settings
        self.scenario = to_scenario(settings)  # raises ScenarioError on a bad value
        self.run = PairedRun(self.scenario)
        self.view = NetworkView(self.run.model)
        self.lock = threading.Lock()
        self._targets = retention_targets()
        # The settings and the week each took effect: (0, the first), then each change.
        self.history: list[tuple[int, Settings]] = [(0, settings)]
        self.changes = 0
        # Earlier runs of another population size are not comparable in counts.
        self.earlier = [run for run in earlier if run.people == settings.people]
        self.snapshot = self._snap()

    def can_continue(self, settings: Settings) -> bool:
        """Whether ``settings`` can take effect from this week ("play from here").

        Not before the first week (there is nothing to continue), not at the horizon, and
        not for another scenario file, population size or seed (a new community or a new
        run of chance starts at week 0).
        """
        return 0 < self.run.week < self.run.weeks and not restarts(self.settings, settings)

    def change(self, settings: Settings) -> None:
        """From the next week on, run ``settings`` (``can_continue`` must hold).

        The run as it was goes on beside it, unchanged, as a faint line on the charts.
        Raises ``ScenarioError`` on a bad value (nothing changes then).
        """
        if not self.can_continue(settings):
            raise ValueError("these settings start a new run: build a new session")
        scenario = to_scenario(settings)
        with self.lock:
            week = self.run.week
            changed = describe_changes(self.settings, settings)
            before = "; ".join(f"{what} {old}" for what, old, _ in changed)
            after = "; ".join(f"{what} {old} → {new}" for what, old, new in changed)
            branch = EarlierRun.branch(
                self.run.model,
                f"without the change at week {week}",
                f"Faint line: the same run without the change at week {week} ({before}); "
                f"with it: {after}.",
            )
            self.run.continue_with(scenario)
            self.scenario = self.run.scenario
            self.settings = settings
            self.history.append((week, settings))
            self.changes += 1
            self.earlier = keep(self.earlier, branch)
            self.snapshot = self._snap()

    def kept_runs(self) -> list[EarlierRun]:
        """For the next session: the earlier runs and this one (if it started), all frozen."""
        runs = list(self.earlier)
        if self.run.week > 0:
            number = len(self.history) - 1
            what = f", changed {number} time{'s' * (number != 1)}" if number else ""
            runs = keep(
                runs,
                EarlierRun.kept(
                    self.run.model,
                    f"earlier run (seed {self.settings.seed})",
                    f"Faint line: the earlier run on seed {self.settings.seed}, to week "
                    f"{self.run.week}{what}.",
                ),
            )
        for run in runs:
            run.freeze()
        return runs

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
                for run in self.earlier:
                    run.step_to(self.run.week)
                done += 1
            if done:
                self.snapshot = self._snap()
            return done

    def _snap(self) -> Snapshot:
        return Snapshot((id(self), self.changes), self.clock, self.run.done, self.draw())

    def draw(self) -> dict[str, Any]:
        """Every figure of the current week (Vega-Lite specs, plain dicts)."""
        run, model = self.run, self.run.model
        return {
            "network": self.view.figure(model),
            "network_caption": self.view.caption(model),
            "care_states": charts.care_states(run),
            "overdoses": charts.overdoses(run, self.earlier),
            "incidence": charts.incidence(run),
            "retention": charts.retention(run, self._targets),
            "so_far": charts.so_far(run, self.earlier),
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
    history: Sequence[tuple[int, Settings]],
    week: int,
    seeds: int = SPREAD_SEEDS,
    progress: Callable[[int], None] | None = None,
) -> Spread:
    """The averted counts at ``week`` of the same run on its own seed and ``seeds`` more.

    ``history`` is the session's settings and the week each took effect
    (``DashboardSession.history``): every seed's run makes the same changes at the same
    weeks. Each seed is a paired run of its own (scenario and baseline on that seed), so the
    spread is the run-to-run variation one community of this size shows by chance.
    ``progress`` is called with the number of runs done.
    """
    first = history[0][1]
    chosen = tuple(first.seed + k for k in range(seeds + 1))
    results: list[dict[str, int]] = []
    for done, seed in enumerate(chosen):
        run = PairedRun(to_scenario(first.changes(seed=seed)))
        for at, settings in history[1:]:
            if at >= week:
                break
            run.step(at - run.week)
            run.continue_with(to_scenario(settings.changes(seed=seed)))
        run.step(week - run.week)
        results.append(run.averted().averted)
        if progress is not None:
            progress(done + 1)
    outcomes = results[0]
    return Spread(week, chosen, {k: tuple(r[k] for r in results) for k in outcomes})
