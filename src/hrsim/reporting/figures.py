"""Figures and self-contained HTML pages for reports, validation and sensitivity analysis.

Every page opens offline: figures are PNG images embedded as data URIs, styles are inline, and
nothing is fetched from the network. Each figure is also saved as a PNG file next to the page,
for slides. Matplotlib runs on its file-only ``Agg`` backend, so no display is needed.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # before pyplot: files only, no display
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from hrsim.files import write_atomic, write_text_atomic  # noqa: E402
from hrsim.reporting.palette import (  # noqa: E402
    HIGH_VALUE_COLOUR,
    LOW_VALUE_COLOUR,
    PALETTE,
)

_STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;max-width:1100px;margin:2em auto;
padding:0 1em;color:#222;line-height:1.45}
h1{font-size:1.6em}h2{font-size:1.25em;margin-top:2em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:1em 0;font-size:.9em}
th,td{border:1px solid #ccc;padding:.3em .6em;text-align:right}
th:first-child,td:first-child{text-align:left}
th{background:#f4f4f4}.pass{color:#006d2c;font-weight:600}.fail{color:#b30000;font-weight:600}
figure{margin:1em 0}figcaption{font-size:.85em;color:#555}.note{color:#555;font-size:.9em}
img{max-width:100%}ul{margin:.4em 0 1em}li{margin:.25em 0}
.summary{background:#f7f7f2;border:1px solid #ddd;padding:.4em 1em .4em 2.2em}
@page{size:A4;margin:14mm}
@media print{body{max-width:none;margin:0;font-size:10pt}h2{break-after:avoid}
figure,tr{break-inside:avoid}table{font-size:8pt;max-width:100%}td,th{overflow-wrap:anywhere}}
"""


@dataclass
class Page:
    """An HTML page built section by section; figures are embedded and also saved as PNG."""

    title: str
    out_dir: Path
    body: list[str] = field(default_factory=list)

    def heading(self, text: str) -> None:
        """A section heading."""
        self.body.append(f"<h2>{html.escape(text)}</h2>")

    def paragraph(self, text: str, css_class: str = "") -> None:
        """A paragraph of plain text (escaped)."""
        cls = f' class="{css_class}"' if css_class else ""
        self.body.append(f"<p{cls}>{html.escape(text)}</p>")

    def items(self, texts: Sequence[str], css_class: str = "") -> None:
        """A bulleted list of plain-text items (escaped)."""
        cls = f' class="{css_class}"' if css_class else ""
        rows = "".join(f"<li>{html.escape(t)}</li>" for t in texts)
        self.body.append(f"<ul{cls}>{rows}</ul>")

    def table(
        self,
        frame: pd.DataFrame,
        float_format: str = "{:,.3g}",
        text_columns: Sequence[str] = (),
    ) -> None:
        """A table from a data frame (the index is not shown).

        Cells are right-aligned (numbers) except the first column's and ``text_columns``'.
        """

        def cell(value: Any) -> str:
            if isinstance(value, float):
                return html.escape(float_format.format(value))
            return html.escape(str(value))

        left = [c in text_columns for c in frame.columns]
        style = ["" if not lf else ' style="text-align:left"' for lf in left]
        head = "".join(
            f"<th{s}>{html.escape(str(c))}</th>" for c, s in zip(frame.columns, style, strict=True)
        )
        rows = "".join(
            "<tr>"
            + "".join(f"<td{s}>{cell(v)}</td>" for v, s in zip(row, style, strict=True))
            + "</tr>"
            for row in frame.itertuples(index=False)
        )
        self.body.append(f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>")

    def figure(self, fig: Any, name: str, caption: str = "") -> Path:
        """Embed a matplotlib figure, save it as ``<out_dir>/<name>.png``, and close it."""
        png = save_png(fig, self.out_dir / f"{name}.png")
        data = base64.b64encode(png.read_bytes()).decode("ascii")
        cap = f"<figcaption>{html.escape(caption)}</figcaption>" if caption else ""
        self.body.append(
            f'<figure><img alt="{html.escape(caption or name)}" '
            f'src="data:image/png;base64,{data}">{cap}</figure>'
        )
        return png

    def render(self) -> str:
        """The whole page as one HTML string."""
        return (
            '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
            f"<title>{html.escape(self.title)}</title><style>{_STYLE}</style></head>"
            f"<body><h1>{html.escape(self.title)}</h1>{''.join(self.body)}</body></html>"
        )

    def write(self, path: Path) -> Path:
        """Write the page atomically (a temporary file, then a rename)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        return write_text_atomic(path, self.render())


def save_png(fig: Any, path: Path, dpi: int = 150) -> Path:
    """Save a figure as PNG (atomically) and close it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
    plt.close(fig)
    write_atomic(path, buffer.getvalue())
    return path


def tornado(
    labels: Sequence[str],
    low: Sequence[float],
    high: Sequence[float],
    centre: float,
    xlabel: str,
    low_label: str = "parameter at its low value",
    high_label: str = "parameter at its high value",
) -> Any:
    """A tornado chart: one bar per parameter from the outcome at its low to its high value.

    Bars are sorted so the widest swing is on top; ``centre`` is the outcome at the reference
    point. The low and high halves are mid and dark grey
    (:data:`~hrsim.reporting.palette.LOW_VALUE_COLOUR`, ``HIGH_VALUE_COLOUR``): no arm's
    colour, since a bar is a parameter's value, not an arm. Returns the matplotlib figure.
    """
    swing = [abs(h - lo) for lo, h in zip(low, high, strict=True)]
    order = sorted(range(len(labels)), key=lambda i: swing[i])
    fig, ax = plt.subplots(figsize=(7, 0.45 * len(labels) + 1.2))
    for row, i in enumerate(order):
        ax.barh(row, low[i] - centre, left=centre, color=LOW_VALUE_COLOUR, height=0.6)
        ax.barh(row, high[i] - centre, left=centre, color=HIGH_VALUE_COLOUR, height=0.6)
    ax.axvline(centre, color="#333", linewidth=1)
    ax.set_yticks(range(len(order)), [labels[i] for i in order])
    ax.set_xlabel(xlabel)
    ax.legend(
        handles=[
            plt.Rectangle((0, 0), 1, 1, color=LOW_VALUE_COLOUR),
            plt.Rectangle((0, 0), 1, 1, color=HIGH_VALUE_COLOUR),
        ],
        labels=[low_label, high_label],
        loc="lower right",
        fontsize=8,
    )
    fig.tight_layout()
    return fig


def horizontal_bars(
    labels: Sequence[str],
    values: Sequence[float],
    xlabel: str,
    errors: Sequence[float] | None = None,
    colours: Sequence[str] | None = None,
) -> Any:
    """Bars with optional error bars (half-widths), largest on top; returns the figure.

    ``colours``: one per bar (an arm's colour in every figure); default the first colour.
    """
    order = sorted(range(len(labels)), key=lambda i: values[i])
    fig, ax = plt.subplots(figsize=(7, 0.45 * len(labels) + 1.2))
    xerr = [errors[i] for i in order] if errors is not None else None
    colour = [colours[i] for i in order] if colours is not None else PALETTE[0]
    ax.barh(range(len(order)), [values[i] for i in order], xerr=xerr, color=colour)
    ax.set_yticks(range(len(order)), [labels[i] for i in order])
    ax.set_xlabel(xlabel)
    fig.tight_layout()
    return fig


def trajectories(
    panels: Sequence[tuple[str, pd.DataFrame]],
    xlabel: str = "years",
    columns: int = 2,
    colours: Mapping[str, str] | None = None,
) -> Any:
    """Small multiples of weekly trajectories: a mean line and a shaded band per arm.

    Each panel is ``(title, frame)`` with columns ``arm, x, mean, low, high``; arms keep the
    order they first appear in and the same colour in every panel (``colours[arm]`` where
    given: the report's one colour per arm); one legend below.
    """
    rows = -(-len(panels) // columns)
    arms: list[str] = []
    for _, frame in panels:
        arms += [a for a in dict.fromkeys(frame["arm"]) if a not in arms]
    # Room for the legend below the panels: two labels per row, each maybe several lines.
    lines = max((str(a).count("\n") + 1 for a in arms), default=1)
    legend_in = 0.3 + -(-len(arms) // 2) * lines * 0.17
    height = 3.3 * rows + legend_in
    fig, axes = plt.subplots(rows, columns, figsize=(5.2 * columns, height), squeeze=False)
    colour = {a: PALETTE[i % len(PALETTE)] for i, a in enumerate(arms)}
    if colours is not None:
        colour |= {a: colours[a] for a in arms if a in colours}
    used: dict[str, int] = {}
    style: dict[str, Any] = {}
    for a in arms:  # a colour seen before (a palette that repeats) gets a dashed line
        style[a] = "-" if used.get(colour[a], 0) == 0 else "--"
        used[colour[a]] = used.get(colour[a], 0) + 1
    alpha = 0.18 if len(arms) <= 4 else 0.08  # many overlapping bands: fainter
    for ax, (title, frame) in zip(axes.flat, panels, strict=False):
        for arm, part in frame.groupby("arm", sort=False):
            c = colour[str(arm)]
            ax.plot(part["x"], part["mean"], color=c, linestyle=style[str(arm)], linewidth=1.4)
            ax.fill_between(part["x"], part["low"], part["high"], color=c, alpha=alpha, lw=0)
        ax.set_title(title, fontsize=10)
        ax.set_xlabel(xlabel)
        ax.grid(alpha=0.3)
        ax.set_ylim(bottom=0)
    for ax in list(axes.flat)[len(panels) :]:
        ax.set_visible(False)
    handles = [plt.Line2D([], [], color=colour[a], linestyle=style[a], lw=2) for a in arms]
    fig.legend(handles, arms, loc="lower center", ncol=min(2, len(arms)), fontsize=8, frameon=False)
    fig.tight_layout(rect=(0, legend_in / height, 1, 1))
    return fig


def heat_map(
    values: Any,
    x_labels: Sequence[str],
    y_labels: Sequence[str],
    xlabel: str,
    ylabel: str,
    value_label: str,
    annotations: Sequence[Sequence[str]] | None = None,
    marks: Sequence[Sequence[bool]] | None = None,
) -> Any:
    """A heat map of ``values[row][column]`` (rows = ``y_labels``), each cell annotated.

    A diverging palette centred on zero when the values have both signs (averted vs added),
    otherwise a sequential one. ``marks[row][column]`` True outlines the cell in a thick black
    frame and adds a star to its text (the report: differs from the baseline beyond chance);
    each frame has the ``gid`` ``mark:<row>,<column>``. Returns the figure.
    """
    import numpy as np

    data = np.asarray(values, dtype=float)
    finite = data[np.isfinite(data)]
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    if lo < 0 < hi:
        bound = max(-lo, hi)
        cmap, vmin, vmax = "RdBu", -bound, bound
    else:
        cmap, vmin, vmax = "viridis", lo, hi if hi > lo else lo + 1
    fig, ax = plt.subplots(figsize=(1.1 * len(x_labels) + 3, 0.65 * len(y_labels) + 1.8))
    image = ax.imshow(data, cmap=cmap, vmin=vmin, vmax=vmax, origin="lower", aspect="auto")
    ax.set_xticks(range(len(x_labels)), x_labels)
    ax.set_yticks(range(len(y_labels)), y_labels)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    for r in range(data.shape[0]):
        for c in range(data.shape[1]):
            text = annotations[r][c] if annotations is not None else f"{data[r, c]:,.3g}"
            text = text.removeprefix("-") if text.strip("-0.,") == "" else text  # no "-0.0"
            shade = (data[r, c] - vmin) / (vmax - vmin) if np.isfinite(data[r, c]) else 0.5
            dark = shade < 0.25 or shade > 0.75 if cmap == "RdBu" else shade < 0.6
            marked = marks is not None and bool(marks[r][c])
            ax.text(
                c,
                r,
                f"{text} *" if marked else text,
                ha="center",
                va="center",
                fontsize=8,
                fontweight="bold" if marked else "normal",
                color="white" if dark else "black",
            )
            if marked:
                frame = plt.Rectangle(
                    (c - 0.46, r - 0.46), 0.92, 0.92, fill=False, edgecolor="black", linewidth=2.2
                )
                frame.set_gid(f"mark:{r},{c}")
                ax.add_patch(frame)
    fig.colorbar(image, ax=ax, label=value_label)
    fig.tight_layout()
    return fig


#: Lines and bands that stand for no one arm (an effect curve whose points are arms).
NEUTRAL = "#666666"
_LINE_STYLES = ("-", "--", ":", "-.")


def effect_with_interval(
    x: Sequence[float],
    series: Sequence[tuple[str, Sequence[float], Sequence[float], Sequence[float]]],
    xlabel: str,
    ylabel: str,
    point_colours: Sequence[Sequence[str]] | None = None,
) -> Any:
    """Outcome against one parameter: per series ``(label, mean, low, high)``, a line and band.

    ``point_colours``: per series, one colour per point, when each point is an arm (the
    report: the arm's colour in every figure, from :mod:`hrsim.reporting.palette`). The points
    are then drawn in those colours (a scatter with the ``gid`` ``points:<label>``), and the
    lines and bands in grey, told apart by line style. Without it each series takes the
    palette's next colour.
    """
    fig, ax = plt.subplots(figsize=(6.5, 3.8))
    for i, (label, mean, low, high) in enumerate(series):
        if point_colours is None:
            colour = PALETTE[i % len(PALETTE)]
            ax.plot(x, mean, marker="o", color=colour, label=label)
            ax.fill_between(x, low, high, color=colour, alpha=0.18, lw=0)
            continue
        style = _LINE_STYLES[i % len(_LINE_STYLES)]
        ax.plot(x, mean, color=NEUTRAL, linestyle=style, label=label, zorder=2)
        ax.fill_between(x, low, high, color=NEUTRAL, alpha=0.12, lw=0)
        ax.scatter(
            x,
            mean,
            c=list(point_colours[i]),
            s=42,
            zorder=3,
            edgecolors="white",
            linewidths=0.6,
            gid=f"points:{label}",
        )
    ax.axhline(0, color="#333", linewidth=0.8)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    if len(series) > 1:
        ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def cost_effectiveness_plane(
    labels: Sequence[str],
    effect: Sequence[float],
    effect_half: Sequence[float],
    cost: Sequence[float],
    cost_half: Sequence[float],
    xlabel: str,
    ylabel: str = "incremental cost (US$)",
) -> Any:
    """Each arm as a point (effect averted, extra cost) with 95% interval whiskers."""
    fig, ax = plt.subplots(figsize=(7, 4.6))
    for i, label in enumerate(labels):
        colour = PALETTE[i % len(PALETTE)]
        ax.errorbar(
            effect[i],
            cost[i],
            xerr=effect_half[i],
            yerr=cost_half[i],
            fmt="o",
            color=colour,
            capsize=3,
            label=label,
        )
    ax.axhline(0, color="#333", linewidth=0.8)
    ax.axvline(0, color="#333", linewidth=0.8)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:,.0f}"))
    if len(labels) <= 12:  # below the plot, where it hides no point
        ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=2)
    fig.tight_layout()
    return fig
