"""What ``hrsim calibrate`` writes: the calibrated scenario, the trials, two plots, a summary.

``calibration.json`` (what ``--json`` prints) also holds the calibration's ``inputs``
(:func:`calibration_inputs`, a :mod:`hrsim.reporting.provenance` record), so that a rerun into
the same ``--out`` replaces it only when it would find the same trials.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from hrsim.analysis.calibration import CalibrationResult, CalibrationSpec, calibrated_scenario
from hrsim.analysis.measures import STATISTICS
from hrsim.files import write_csv_atomic, write_text_atomic
from hrsim.reporting import provenance
from hrsim.reporting.figures import PALETTE, save_png
from hrsim.scenario import Scenario

#: The file whose ``inputs`` record says what a calibration's folder was made from.
RECORD = "calibration.json"


def calibration_inputs(
    run_scenario: Scenario, scenario: Scenario, spec: CalibrationSpec, targets_file: str
) -> dict[str, Any]:
    """What a calibration's results depend on, as a provenance record.

    ``run_scenario``: the scenario the trials run (with ``--people`` and ``--years``);
    ``scenario``: the one ``calibrated.toml`` carries; ``spec``: the targets file, read, with
    the command line's settings. The targets file's name is shown, not fingerprinted: the same
    targets from another file give the same trials.
    """
    inputs = {
        "scenario": run_scenario.hash(),
        "calibrated_scenario": scenario.hash(),
        "parameters": [dataclasses.asdict(p) for p in spec.parameters],
        "targets": [dataclasses.asdict(t) for t in spec.targets],
        "settings": dict(spec.settings),
    }
    return provenance.record(
        inputs,
        scenario_name=scenario.run.name,
        targets_file=targets_file,
        trials=spec.settings.get("trials"),
    )


def describe_calibration(before: Mapping[str, Any]) -> str:
    """A previous calibration's record in words, for the refusal to replace it."""
    if not before:
        return "a calibration"
    trials = before.get("trials")
    return (
        f"a calibration of {before.get('scenario_name', '?')} to"
        f" {before.get('targets_file', '?')}" + (f", {trials} trials" if trials else "")
    )


def write_outputs(
    result: CalibrationResult,
    scenario: Scenario,
    out: Path,
    source: str,
    inputs: Mapping[str, Any] | None = None,
) -> dict[str, Path]:
    """Write the calibrated scenario, the trial history, the plots and a JSON summary.

    ``scenario`` is the one to carry the fitted values (its run size as the user gave it);
    ``inputs`` (:func:`calibration_inputs`) goes into ``calibration.json`` as ``inputs``.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    best = result.best
    fitted = calibrated_scenario(scenario, result)
    header = (
        f"# Calibrated by hrsim calibrate from {source}: trial {best.number} of "
        f"{len(result.trials)}, loss {best.loss:.4g}.\n"
        + "".join(f"# {k} = {v!r}\n" for k, v in best.params.items())
    )
    paths = {
        "scenario": write_text_atomic(out / "calibrated.toml", header + fitted.to_toml()),
        "trials": out / "trials.csv",
        "loss": save_png(loss_figure(result), out / "loss.png"),
        "fit": save_png(fit_figure(result), out / "fit.png"),
    }
    write_trials(result, paths["trials"])
    summary = {
        "best_trial": best.number,
        "best_loss": best.loss,
        "best_params": best.params,
        "settings": result.spec.settings,
        "seeds": result.seeds,
        "targets": [
            {
                "statistic": t.statistic,
                "value": t.value,
                "se": t.se,
                "weight": t.weight,
                "simulated_mean": best.means[t.statistic],
                "simulated_se": best.ses[t.statistic],
            }
            for t in result.spec.targets
        ],
        "parameters": [
            {"name": p.name, "low": p.low, "high": p.high, "log": p.log}
            for p in result.spec.parameters
        ],
    }
    if inputs is not None:
        summary["inputs"] = dict(inputs)
    summary_text = json.dumps(summary, indent=2) + "\n"
    paths["summary"] = write_text_atomic(out / RECORD, summary_text)
    return paths


def write_trials(result: CalibrationResult, path: Path) -> Path:
    """The trial history as CSV (written to a temporary file, then renamed)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_csv_atomic(path, result.frame(), index=False, float_format="%.17g")


def loss_figure(result: CalibrationResult) -> Any:
    """Loss of every trial, with the best so far."""
    import matplotlib.pyplot as plt

    numbers = [t.number for t in result.trials]
    losses = np.array([t.loss for t in result.trials])
    best_so_far = np.minimum.accumulate(np.where(np.isfinite(losses), losses, np.inf))
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.scatter(numbers, losses, s=14, color=PALETTE[0], label="trial")
    ax.step(numbers, best_so_far, where="post", color=PALETTE[3], label="best so far")
    if np.all(losses[np.isfinite(losses)] > 0):
        ax.set_yscale("log")
    ax.set_xlabel("trial")
    ax.set_ylabel("loss (sum of squared standardised distances)")
    ax.legend(frameon=False, fontsize=8)
    fig.tight_layout()
    return fig


def fit_figure(result: CalibrationResult) -> Any:
    """Each target (value +/- 1.96 SE) against the best trial's mean (+/- 1.96 SE)."""
    import matplotlib.pyplot as plt

    best, targets = result.best, result.spec.targets
    fig, axes = plt.subplots(len(targets), 1, figsize=(6, 1.3 * len(targets) + 0.8), squeeze=False)
    for ax, t in zip(axes[:, 0], targets, strict=True):
        sim, sim_se = best.means[t.statistic], best.ses[t.statistic]
        ax.errorbar([t.value], [1], xerr=[1.96 * t.se], fmt="o", color=PALETTE[3], capsize=4)
        ax.errorbar([sim], [0], xerr=[1.96 * sim_se], fmt="o", color=PALETTE[0], capsize=4)
        ax.set_yticks([0, 1], ["calibrated", "target"])
        ax.set_ylim(-0.7, 1.7)
        ax.set_title(STATISTICS[t.statistic].description, fontsize=8)
        ax.tick_params(labelsize=7.5)
    fig.tight_layout()
    return fig
