"""What ``hrsim sensitivity`` writes: indices and samples as CSV, a chart, an offline page.

``sensitivity.json`` holds the indices as ``--json`` prints them (:func:`summary`) and the
analysis' ``inputs`` (:func:`sensitivity_inputs`, a :mod:`hrsim.reporting.provenance` record),
so that a rerun into the same ``--out`` replaces it only when it would give the same indices.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from hrsim.analysis.sensitivity import ParameterRange, SensitivityResult
from hrsim.files import write_csv_atomic, write_text_atomic
from hrsim.reporting import provenance
from hrsim.reporting.figures import PALETTE, Page
from hrsim.scenario import Scenario

#: The file whose ``inputs`` record says what a sensitivity analysis' folder was made from.
RECORD = "sensitivity.json"


def sensitivity_inputs(
    baseline: Scenario,
    arm: Scenario | None,
    params: Sequence[ParameterRange],
    *,
    method: str,
    samples: int,
    outcome: str,
    replicates: int,
    seed: int,
) -> dict[str, Any]:
    """What an analysis' indices depend on, as a provenance record (workers do not count)."""
    inputs = {
        "scenario": baseline.hash(),
        "versus": None if arm is None else arm.hash(),
        "parameters": [[p.name, p.low, p.high, p.integer] for p in params],
        "method": method,
        "samples": samples,
        "outcome": outcome,
        "replicates": replicates,
        "seed": seed,
    }
    return provenance.record(
        inputs,
        scenario_name=baseline.run.name,
        versus_name=None if arm is None else arm.run.name,
        method=method,
        samples=samples,
        outcome=outcome,
    )


def describe_sensitivity(before: Mapping[str, Any]) -> str:
    """A previous analysis' record in words, for the refusal to replace it."""
    if not before:
        return "a sensitivity analysis"
    versus = before.get("versus_name")
    what = f"{before.get('outcome', '?')}" + (f" averted by {versus}" if versus else "")
    return (
        f"a sensitivity analysis of {what} in {before.get('scenario_name', '?')},"
        f" {before.get('method', '?')} with {before.get('samples', '?')} samples"
    )


def summary(result: SensitivityResult) -> dict[str, Any]:
    """The indices and what they are of, as ``hrsim sensitivity --json`` prints them."""
    return {
        "method": result.method,
        "outcome": result.outcome_label,
        "parameters": [{"name": p.name, "low": p.low, "high": p.high} for p in result.params],
        "samples": int(result.outcomes.shape[0]),
        "replicates": int(result.outcomes.shape[1]),
        "indices": json.loads(result.indices.to_json(orient="records")),  # NaN as null
    }


def indices_figure(result: SensitivityResult) -> Any:
    """Bars of the indices with their 95% confidence intervals, largest on top."""
    import matplotlib.pyplot as plt

    ind = result.indices
    names = list(ind["parameter"])
    if result.method == "sobol":
        order = np.argsort(ind["ST"].to_numpy())
        fig, ax = plt.subplots(figsize=(7, 0.55 * len(names) + 1.5))
        y = np.arange(len(names))
        for offset, col, colour, label in (
            (0.2, "ST", PALETTE[0], "total (ST)"),
            (-0.2, "S1", PALETTE[1], "first order (S1)"),
        ):
            ax.barh(
                y + offset,
                ind[col].to_numpy()[order],
                height=0.38,
                xerr=ind[f"{col}_conf"].to_numpy()[order],
                color=colour,
                label=label,
                capsize=3,
            )
        ax.set_xlabel(f"Sobol index of {result.outcome_label}")
        ax.axvline(0, color="#333", linewidth=0.8)
    else:
        order = np.argsort(ind["mu_star"].to_numpy())
        fig, ax = plt.subplots(figsize=(7, 0.45 * len(names) + 1.5))
        y = np.arange(len(names))
        ax.barh(
            y,
            ind["mu_star"].to_numpy()[order],
            xerr=ind["mu_star_conf"].to_numpy()[order],
            color=PALETTE[0],
            capsize=3,
            label="mu* (95% CI)",
        )
        ax.set_xlabel(f"Morris mu* of {result.outcome_label}")
    ax.set_yticks(y, [names[i] for i in order], fontsize=8)
    ax.legend(frameon=False, fontsize=8, loc="lower right")
    fig.tight_layout()
    return fig


def write_outputs(
    result: SensitivityResult, out: Path, inputs: Mapping[str, Any] | None = None
) -> dict[str, Path]:
    """indices.csv, samples.csv, indices.png, sensitivity.html and sensitivity.json in ``out``.

    ``inputs`` (:func:`sensitivity_inputs`) goes into ``sensitivity.json`` as ``inputs``.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    paths = {"indices": out / "indices.csv", "samples": out / "samples.csv"}
    for key, frame in (("indices", result.indices), ("samples", result.samples_frame())):
        write_csv_atomic(paths[key], frame, index=False)
    page = Page(f"hrsim sensitivity: {result.outcome_label}", out)
    ranges = ", ".join(f"{p.name} {p.low:g} to {p.high:g}" for p in result.params)
    page.paragraph(
        f"Method: {result.method}; {len(result.samples)} samples, "
        f"{result.outcomes.shape[1]} replicate(s) each on common seeds {result.seeds}. "
        f"Ranges: {ranges}."
    )
    page.table(result.indices)
    paths["chart"] = page.figure(indices_figure(result), "indices", result.outcome_label)
    paths["page"] = page.write(out / "sensitivity.html")
    document = summary(result) | ({} if inputs is None else {"inputs": dict(inputs)})
    paths["summary"] = write_text_atomic(out / RECORD, json.dumps(document, indent=2) + "\n")
    return paths
