"""What ``hrsim sensitivity`` writes: indices and samples as CSV, a chart, an offline page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from hrsim.analysis.sensitivity import SensitivityResult
from hrsim.files import write_csv_atomic
from hrsim.reporting.figures import PALETTE, Page


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


def write_outputs(result: SensitivityResult, out: Path) -> dict[str, Path]:
    """indices.csv, samples.csv, indices.png and sensitivity.html in ``out``."""
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
    return paths
