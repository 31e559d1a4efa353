"""Figures of a probabilistic sensitivity analysis: the CE plane, the CEAC with its frontier, EVPI.

Each figure has a builder that returns the matplotlib figure (``*_plot``, for
:meth:`hrsim.reporting.figures.Page.figure`, which embeds it in a page) and a writer that saves
it as a PNG and returns the path (``ce_plane``, ``ceac_figure``, ``evpi_figure``). The style is
:mod:`hrsim.reporting.figures`' (Okabe-Ito palette, Agg backend). Every plotted series carries a
``gid`` (``samples:<arm>``, ``mean:<arm>``, ``wtp:<value>``, ``ceac:<strategy>``, ``ceaf``,
``evpi``) so tests and scripts can find it and read its data back.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib
import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from hrsim.economics.decision import DecisionInputError, strategy_names
from hrsim.economics.uncertainty import psa_arrays
from hrsim.messages import unknown
from hrsim.reporting.figures import PALETTE, plt, save_png

#: Thresholds drawn on the CE plane unless others are given (US$ per QALY): the three that
#: Neumann, Cohen & Weinstein (2014, NEJM 371:796-797) recommend US analysts report (quoted in
#: The Incidental Economist's summary of the paper).
DEFAULT_WTP: tuple[float, ...] = (50_000.0, 100_000.0, 200_000.0)


def _thousands(axis: Any) -> None:
    axis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:,.0f}"))


def _singular(label: str) -> str:
    return label[:-1] if label.endswith("s") else label


def _columns(frame: pd.DataFrame, wanted: Sequence[str], where: str) -> None:
    missing = [c for c in wanted if c not in frame.columns]
    if missing:
        raise DecisionInputError(
            f"{where}: the frame has no column '{missing[0]}'; it needs {', '.join(wanted)}"
        )


def ce_plane_plot(
    costs: ArrayLike,
    effects: ArrayLike,
    names: Sequence[str],
    *,
    baseline: str | None = None,
    wtp: Sequence[float] = DEFAULT_WTP,
    currency: str = "USD",
    effect_label: str = "QALYs",
    colours: Mapping[str, str] | None = None,
) -> Any:
    """The cost-effectiveness plane: each arm's PSA samples against the baseline's.

    ``costs`` and ``effects`` are (samples, strategies), as for
    :func:`hrsim.economics.uncertainty.ceac`; each point is one sample's incremental effect
    (x) and incremental cost (y) of an arm over ``baseline`` (default: the first name) in that
    same sample, so common random numbers and shared parameters cancel. A larger outlined
    marker is each arm's mean; a dashed line through the origin per willingness to pay marks
    where the ICER equals it (below and to the right of a line is cost-effective at that
    threshold). ``colours[name]``, where given, is an arm's colour (the sweep report's one
    colour per arm across figures); otherwise the palette in the order of ``names``. Returns
    the figure.
    """
    where = "ce_plane"
    cost, effect = psa_arrays(costs, effects, where)
    labels = strategy_names(names, cost.shape[1], where)
    base_name = labels[0] if baseline is None else str(baseline)
    if base_name not in labels:
        raise DecisionInputError(unknown(where, base_name, labels, "baseline", list_valid=True))
    if len(labels) < 2:
        raise DecisionInputError(f"{where}: one strategy only; the plane needs an arm to compare")
    base = labels.index(base_name)
    arms = [k for k in range(len(labels)) if k != base]
    d_cost = cost[:, arms] - cost[:, [base]]
    d_effect = effect[:, arms] - effect[:, [base]]

    fig, ax = plt.subplots(figsize=(7, 5))
    alpha = 0.35 if cost.shape[0] <= 500 else 0.12  # many samples: fainter, the cloud shows
    for j, k in enumerate(arms):
        colour = PALETTE[k % len(PALETTE)]
        if colours is not None and labels[k] in colours:
            colour = colours[labels[k]]
        cloud = ax.scatter(
            d_effect[:, j], d_cost[:, j], s=9, color=colour, alpha=alpha, lw=0, label=labels[k]
        )
        cloud.set_gid(f"samples:{labels[k]}")
        mean = ax.scatter(
            [d_effect[:, j].mean()],
            [d_cost[:, j].mean()],
            s=70,
            color=colour,
            edgecolors="black",
            linewidths=1.2,
            zorder=4,
        )
        mean.set_gid(f"mean:{labels[k]}")

    # Fix the axes to the data (and the origin) first, so steep threshold lines do not stretch
    # them, then draw each line across the whole width.
    xs = np.append(d_effect.reshape(-1), 0.0)
    ys = np.append(d_cost.reshape(-1), 0.0)
    x_lo, x_hi = _padded(float(xs.min()), float(xs.max()))
    y_lo, y_hi = _padded(float(ys.min()), float(ys.max()))
    ax.set_xlim(x_lo, x_hi)
    ax.set_ylim(y_lo, y_hi)
    unit = _singular(effect_label)
    for i, value in enumerate(sorted(float(v) for v in wtp)):
        (line,) = ax.plot(
            [x_lo, x_hi],
            [value * x_lo, value * x_hi],
            linestyle=(0, (4, 2 + 2 * i)),
            color="#555",
            linewidth=0.9,
            label=f"{currency} {value:,.0f} per {unit}",
        )
        line.set_gid(f"wtp:{value:g}")
    ax.axhline(0, color="#333", linewidth=0.8)
    ax.axvline(0, color="#333", linewidth=0.8)
    ax.set_xlabel(f"incremental {effect_label} vs {base_name}")
    ax.set_ylabel(f"incremental cost ({currency}) vs {base_name}")
    _thousands(ax.yaxis)
    ax.grid(alpha=0.3)
    legend = ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=2)
    for handle in legend.legend_handles:  # legend markers opaque even when the cloud is faint
        if handle is not None:
            handle.set_alpha(1)
    fig.tight_layout()
    return fig


def _padded(lo: float, hi: float) -> tuple[float, float]:
    span = hi - lo if hi > lo else max(abs(hi), 1.0)
    return lo - 0.06 * span, hi + 0.06 * span


def ceac_plot(
    ceac_frame: pd.DataFrame, *, currency: str = "USD", effect_label: str = "QALY"
) -> Any:
    """Acceptability curves, one line per strategy, and the acceptability frontier under them.

    ``ceac_frame`` is :func:`hrsim.economics.uncertainty.ceac`'s frame (``wtp, strategy,
    probability, optimal``). The frontier (CEAF) is a wide grey band following, at each wtp,
    the curve of the strategy with the highest expected net benefit; where the band leaves a
    curve that is higher, the likeliest strategy is not the best bet. Returns the figure.
    """
    _columns(ceac_frame, ("wtp", "strategy", "probability", "optimal"), "ceac_figure")
    frame = ceac_frame.sort_values("wtp", kind="stable")
    fig, ax = plt.subplots(figsize=(7, 4.4))
    front = frame[frame["optimal"].astype(bool)]
    (band,) = ax.plot(
        front["wtp"],
        front["probability"],
        color="#999",
        linewidth=7,
        alpha=0.45,
        solid_capstyle="butt",
        label="frontier (highest expected net benefit)",
        zorder=1,
    )
    band.set_gid("ceaf")
    for i, (name, part) in enumerate(frame.groupby("strategy", sort=False)):
        (line,) = ax.plot(
            part["wtp"],
            part["probability"],
            color=PALETTE[i % len(PALETTE)],
            linestyle="-" if i < len(PALETTE) else "--",
            linewidth=1.6,
            label=str(name),
            zorder=2,
        )
        line.set_gid(f"ceac:{name}")
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel(f"willingness to pay ({currency} per {_singular(effect_label)})")
    ax.set_ylabel("probability cost-effective")
    _thousands(ax.xaxis)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2)
    fig.tight_layout()
    return fig


def evpi_plot(
    evpi_frame: pd.DataFrame,
    *,
    currency: str = "USD",
    effect_label: str = "QALY",
    per: str = "person",
) -> Any:
    """EVPI against willingness to pay.

    ``evpi_frame`` is :func:`hrsim.economics.uncertainty.evpi`'s frame (``wtp, evpi``);
    ``per`` names the unit the EVPI is in (``"person"``, ``"run"``, ``"population"``), which
    is the unit of the costs and effects it was computed from. Returns the figure.
    """
    _columns(evpi_frame, ("wtp", "evpi"), "evpi_figure")
    frame = evpi_frame.sort_values("wtp", kind="stable")
    fig, ax = plt.subplots(figsize=(7, 4))
    (line,) = ax.plot(frame["wtp"], frame["evpi"], color=PALETTE[0], linewidth=1.8)
    line.set_gid("evpi")
    ax.set_ylim(bottom=0)
    ax.set_xlabel(f"willingness to pay ({currency} per {_singular(effect_label)})")
    ax.set_ylabel(f"EVPI ({currency} per {per})")
    _thousands(ax.xaxis)
    _thousands(ax.yaxis)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def ce_plane(
    costs: ArrayLike,
    effects: ArrayLike,
    names: Sequence[str],
    path: Path,
    *,
    baseline: str | None = None,
    wtp: Sequence[float] = DEFAULT_WTP,
    currency: str = "USD",
    effect_label: str = "QALYs",
) -> Path:
    """Write :func:`ce_plane_plot` as a PNG at ``path``; returns the path."""
    fig = ce_plane_plot(
        costs,
        effects,
        names,
        baseline=baseline,
        wtp=wtp,
        currency=currency,
        effect_label=effect_label,
    )
    return save_png(fig, Path(path))


def ceac_figure(
    ceac_frame: pd.DataFrame,
    path: Path,
    *,
    currency: str = "USD",
    effect_label: str = "QALY",
) -> Path:
    """Write :func:`ceac_plot` as a PNG at ``path``; returns the path."""
    return save_png(ceac_plot(ceac_frame, currency=currency, effect_label=effect_label), Path(path))


def evpi_figure(
    evpi_frame: pd.DataFrame,
    path: Path,
    *,
    currency: str = "USD",
    effect_label: str = "QALY",
    per: str = "person",
) -> Path:
    """Write :func:`evpi_plot` as a PNG at ``path``; returns the path."""
    fig = evpi_plot(evpi_frame, currency=currency, effect_label=effect_label, per=per)
    return save_png(fig, Path(path))
