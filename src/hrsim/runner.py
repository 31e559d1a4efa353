"""One run: build a model, run it to its horizon, collect its results and write them to disk."""

from __future__ import annotations

import json
import platform
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from hrsim._version import __version__
from hrsim.burn_in import BurnIn
from hrsim.core.capacity import check_memory
from hrsim.model import HarmReductionModel, WeekObserver
from hrsim.outputs import Output, prepare
from hrsim.scenario import Scenario

if TYPE_CHECKING:
    from matplotlib.figure import Figure


@dataclass
class RunResult:
    """What a finished run produced."""

    scenario: Scenario
    timeseries: pd.DataFrame
    events: pa.Table
    metadata: dict[str, Any]
    programmes: pd.DataFrame
    phase_seconds: dict[str, float] | None = None  # with ``profile``: seconds per phase

    def summary(self) -> dict[str, float]:
        """Totals over the run and the final week's levels."""
        ts = self.timeseries
        last = ts.iloc[-1]
        return {
            "weeks": int(last["week"]),
            "population_end": int(last["population"]),
            "overdoses_fatal": int(ts["overdoses_fatal"].sum()),
            "overdoses_nonfatal": int(ts["overdoses_nonfatal"].sum()),
            "overdoses_reversed": int(ts["overdoses_reversed"].sum()),
            "deaths_other": int(ts["deaths_other"].sum()),
            "hiv_infections": int(ts["hiv_infections"].sum()),
            "hcv_infections": int(ts["hcv_infections"].sum()),
            "moud_starts": int(ts["moud_starts"].sum()),
            "on_moud_end": int(last["methadone"] + last["buprenorphine"]),
            "hiv_prevalence_end": float(last["hiv_prevalence"]),
            "hcv_prevalence_end": float(last["hcv_prevalence"]),
        }

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
        """A grid of the run's weekly series; returns the matplotlib figure.

        The same plot as ``HarmReductionModel.plot`` (see
        :func:`hrsim.reporting.notebook_plots.plot_run`)::

            result = hrsim.run(hrsim.load_scenario("baseline", {"run.people": 2000}))
            result.plot(cumulative=True)
        """
        # The reporting floor draws; imported here so a run never loads matplotlib unasked.
        from hrsim.reporting.notebook_plots import plot_result

        return plot_result(
            self,
            columns,
            ax=ax,
            figsize=figsize,
            ncols=ncols,
            cumulative=cumulative,
            bin_weeks=bin_weeks,
            title=title,
        )


def format_profile(phase_seconds: dict[str, float], weeks: int) -> str:
    """A table of time per phase of the week, largest first (``hrsim run --profile``)."""
    total = sum(phase_seconds.values())
    width = max([len("phase"), *map(len, phase_seconds)])
    lines = [
        f"{'phase':<{width}}  {'total s':>8}  {'ms/week':>8}  {'share':>6}",
        f"{'-' * width}  {'-' * 8}  {'-' * 8}  {'-' * 6}",
    ]
    for name, seconds in sorted(phase_seconds.items(), key=lambda kv: -kv[1]):
        share = seconds / total if total > 0 else 0.0
        per_week = 1000.0 * seconds / max(weeks, 1)
        lines.append(f"{name:<{width}}  {seconds:>8.3f}  {per_week:>8.3f}  {share:>6.1%}")
    lines.append(f"{'all phases':<{width}}  {total:>8.3f}  {1000.0 * total / max(weeks, 1):>8.3f}")
    return "\n".join(lines)


def git_commit() -> str | None:
    """The current git commit of the source tree, if it is a checkout."""
    here = Path(__file__).resolve().parent
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=here,
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def run_model(
    scenario: Scenario,
    *,
    record_events: bool = False,
    progress: Any = None,
    profile: bool = False,
    observers: Sequence[Callable[[HarmReductionModel], WeekObserver]] = (),
    burn_in: BurnIn | None = None,
    keep_burn_in: bool = False,
) -> HarmReductionModel:
    """Build the model for ``scenario`` and run it to its horizon.

    The one place a model is built and run to the end: runs, comparisons, sweeps,
    validation, calibration and sensitivity all come through here. Each of ``observers`` is
    called with the built model and returns an observer that sees every week. ``burn_in``
    starts it from another arm's week 0 (``hrsim.burn_in``); ``keep_burn_in`` keeps its own
    as ``model.burn_in_state`` for the next arm.
    """
    check_memory(scenario.run.people, scenario.run.years, events=record_events)  # before allocating
    model = HarmReductionModel(
        scenario,
        record_events=record_events,
        profile=profile,
        burn_in=burn_in,
        keep_burn_in=keep_burn_in,
    )
    for make in observers:
        model.observers.append(make(model))
    model.run(progress=progress)
    return model


def run(
    scenario: Scenario, progress: Any = None, record_events: bool = True, profile: bool = False
) -> RunResult:
    """Build the model for ``scenario``, run it to its horizon, and collect its results."""
    start = time.perf_counter()
    model = run_model(scenario, record_events=record_events, progress=progress, profile=profile)
    wall = time.perf_counter() - start
    metadata: dict[str, Any] = {
        "hrsim_version": __version__,
        "git_commit": git_commit(),
        "scenario_name": scenario.run.name,
        "scenario_hash": scenario.hash(),
        "seed": scenario.run.seed,
        "people": scenario.run.people,
        "weeks": scenario.weeks,
        "wall_time_s": round(wall, 3),
        "python": platform.python_version(),
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    if model.phase_seconds is not None:
        metadata["phase_seconds"] = {k: round(v, 6) for k, v in model.phase_seconds.items()}
    return RunResult(
        scenario,
        model.timeseries_frame(),
        model.events.to_arrow(),
        metadata,
        model.programme_frame(),
        dict(model.phase_seconds) if model.phase_seconds is not None else None,
    )


def write_run(result: RunResult, out: Path | Output, *, force: bool = False) -> Path:
    """Write a run's files into ``out`` and return the folder.

    ``out`` is a folder path (checked here) or an :class:`~hrsim.outputs.Output` checked
    before the run by :func:`hrsim.outputs.prepare`. The files are written into a temporary
    sibling and renamed into place; an existing folder is replaced only if it is a previous
    run's (see :mod:`hrsim.outputs`), so nothing else is ever deleted.
    """
    output = out if isinstance(out, Output) else prepare(out, "run", force=force)
    with output.staging() as tmp:
        pq.write_table(
            pa.Table.from_pandas(result.timeseries, preserve_index=False),
            tmp / "timeseries.parquet",
        )
        pq.write_table(result.events, tmp / "events.parquet")
        pq.write_table(
            pa.Table.from_pandas(result.programmes, preserve_index=False),
            tmp / "programmes.parquet",
        )
        (tmp / "scenario.toml").write_text(result.scenario.to_toml(), encoding="utf-8")
        (tmp / "metadata.json").write_text(
            json.dumps(result.metadata, indent=2) + "\n", encoding="utf-8"
        )
    return output.path
