"""Run one scenario to the end and write its results to disk."""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from hrsim.model import HarmReductionModel
from hrsim.scenario import Scenario


@dataclass
class RunResult:
    """What a finished run produced."""

    scenario: Scenario
    timeseries: pd.DataFrame
    events: pa.Table
    metadata: dict[str, Any]
    programmes: pd.DataFrame

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


def run(scenario: Scenario, progress: Any = None, record_events: bool = True) -> RunResult:
    """Build the model for ``scenario`` and run it to its horizon."""
    from hrsim import __version__

    start = time.perf_counter()
    model = HarmReductionModel(scenario, record_events=record_events)
    model.run(progress=progress)
    wall = time.perf_counter() - start
    metadata = {
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
    return RunResult(
        scenario,
        model.timeseries_frame(),
        model.events.to_arrow(),
        metadata,
        model.programme_frame(),
    )


def write_run(result: RunResult, out: Path) -> None:
    """Write a run's files into ``out`` atomically: a temporary sibling, then a rename."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o777 & ~umask)  # mkdtemp makes it private; results are ordinary files
    try:
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
        if out.exists():
            shutil.rmtree(out)
        os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
