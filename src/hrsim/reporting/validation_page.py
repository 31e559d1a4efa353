"""The validation suite as an offline HTML page: a summary table and one small plot per target.

Each plot shows the simulated quantity with its 95% interval against what the study
published: a curve over time (a Kaplan-Meier curve, a yearly rate, prevalence by year) with the
published point or range where it applies, or, for ratios, the two intervals side by side.
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from hrsim.analysis.validation import NOT_ENOUGH_DATA, ROLES, TargetResult, role_text
from hrsim.reporting.figures import PALETTE, Page

SIMULATED, PUBLISHED = PALETTE[0], PALETTE[3]
_COLOUR = {"pass": "#006d2c", "fail": "#b30000", NOT_ENOUGH_DATA: "#555555"}


def target_figure(result: TargetResult) -> Any:
    """One small figure for one target (the simulated curve or interval vs the published)."""
    fig, ax = plt.subplots(figsize=(5.0, 3.0))
    if result.curve is not None:
        _curve(ax, result)
    else:
        _intervals(ax, result)
    ax.set_title(
        "\n".join(textwrap.wrap(f"[{result.status.upper()}] {result.name}", 60)),
        fontsize=8.5,
        color=_COLOUR[result.status],
    )
    ax.tick_params(labelsize=7.5)
    if result.curve is not None:
        ax.legend(fontsize=7, loc="best", frameon=False)
    fig.tight_layout()
    return fig


def _curve(ax: Any, r: TargetResult) -> None:
    c, pub = r.curve, r.published
    assert c is not None
    x = np.asarray(c.x, dtype=float)
    ax.fill_between(x, c.low, c.high, color=SIMULATED, alpha=0.25, linewidth=0)
    ax.plot(x, c.y, color=SIMULATED, linewidth=1.5, label="simulated (95% interval)")
    ax.set_xlabel(c.xlabel, fontsize=8)
    ax.set_ylabel(c.ylabel, fontsize=8)
    if pub is None:
        return
    if pub.at is None:
        band = "published range" if pub.value is None else "published 95% interval"
        ax.axhspan(pub.low, pub.high, color=PUBLISHED, alpha=0.15, label=band)
        if pub.value is not None:
            ax.axhline(pub.value, color=PUBLISHED, linestyle="--", linewidth=1, label="published")
        return
    value = pub.value if pub.value is not None else (pub.low + pub.high) / 2
    ax.errorbar(
        [pub.at],
        [value],
        yerr=[[value - pub.low], [pub.high - value]],
        fmt="o" if pub.value is not None else "none",
        color=PUBLISHED,
        capsize=4,
        label="published (95% CI or range)",
    )


def _intervals(ax: Any, r: TargetResult) -> None:
    """Ratios: the simulated and the published interval on one axis."""
    pub = r.published
    rows = []
    if pub is not None:
        rows.append(("published", pub.value, pub.low, pub.high, PUBLISHED))
    rows.append(("simulated", r.simulated, r.interval[0], r.interval[1], SIMULATED))
    for y, (_, value, low, high, colour) in enumerate(rows):
        if value is None:
            ax.plot([low, high], [y, y], color=colour, linewidth=6, alpha=0.5)
        else:
            ax.errorbar(
                [value],
                [y],
                xerr=[[value - low], [high - value]],
                fmt="o",
                color=colour,
                capsize=4,
            )
    ax.set_yticks(range(len(rows)), [row[0] for row in rows])
    ax.set_ylim(-0.8, len(rows) - 0.2)
    ax.set_xlabel("rate ratio", fontsize=8)
    ax.axvline(1.0, color="#999", linewidth=0.8)


def summary_frame(results: list[TargetResult]) -> pd.DataFrame:
    """The summary table: one row per target."""
    return pd.DataFrame(
        {
            "result": [r.status.upper() for r in results],
            "target": [r.name for r in results],
            "role": [role_text(r) for r in results],
            "published": [r.target for r in results],
            "simulated": [f"{r.simulated:.3g}" for r in results],
            "95% interval": [f"{r.interval[0]:.3g} to {r.interval[1]:.3g}" for r in results],
            "source": [r.source for r in results],
        }
    )


def write_validation_page(results: list[TargetResult], path: Path, settings: str) -> Path:
    """Write the page (and one PNG per target next to it); ``settings`` says how it was run."""
    path = Path(path)
    passed = sum(r.passed for r in results)
    by_role = "; ".join(
        f"{role}: {sum(r.passed for r in results if r.role == role)} of "
        f"{sum(r.role == role for r in results)}"
        for role in ROLES
    )
    thin = sum(not r.enough_data for r in results)
    if thin:
        by_role += (
            f"; {thin} with not enough data: the run is too small to judge them (no events,"
            " or a simulated interval wider than the published one), so they are not counted"
            " as met"
        )
    page = Page("hrsim validation: the model against published targets", path.parent)
    page.paragraph(
        f"{passed} of {len(results)} targets met ({by_role}). {settings} A calibration "
        "target is one a parameter was set from (the table names it): meeting it shows the "
        "setting carried through, not that the model predicts it. A validation target is "
        "independent of every parameter choice. Targets the model misses are reported as "
        "failing; no tolerance is loosened to pass. Each plot shows the simulated quantity "
        "with its 95% interval (blue) against what the study published (red)."
    )
    page.table(summary_frame(results))
    stem = path.stem
    for i, r in enumerate(results, start=1):
        page.heading(f"{i}. {r.name}")
        page.figure(
            target_figure(r),
            f"{stem}-target-{i:02d}",
            f"{role_text(r).capitalize()}. Source: {r.source}. Published: {r.target}. "
            f"Simulated: {r.simulated:.3g} "
            f"(95% interval {r.interval[0]:.3g} to {r.interval[1]:.3g}). "
            f"Rule: {r.tolerance}. {r.status.upper()}.",
        )
    return page.write(path)
