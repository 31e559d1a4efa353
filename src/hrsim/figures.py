"""Figures and self-contained HTML pages for reports, validation and sensitivity analysis.

Every page opens offline: figures are PNG images embedded as data URIs, styles are inline, and
nothing is fetched from the network. Each figure is also saved as a PNG file next to the page,
for slides. Matplotlib runs on its file-only ``Agg`` backend, so no display is needed.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # before pyplot: files only, no display
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

#: Okabe-Ito: distinguishable with the common kinds of colour blindness.
PALETTE: tuple[str, ...] = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#D55E00",
    "#CC79A7",
    "#56B4E9",
    "#F0E442",
    "#000000",
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
img{max-width:100%}
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

    def table(self, frame: pd.DataFrame, float_format: str = "{:,.3g}") -> None:
        """A table from a data frame (the index is not shown)."""

        def cell(value: Any) -> str:
            if isinstance(value, float):
                return html.escape(float_format.format(value))
            return html.escape(str(value))

        head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
        rows = "".join(
            "<tr>" + "".join(f"<td>{cell(v)}</td>" for v in row) + "</tr>"
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
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(self.render(), encoding="utf-8")
        tmp.replace(path)
        return path


def save_png(fig: Any, path: Path, dpi: int = 150) -> Path:
    """Save a figure as PNG (atomically) and close it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
    plt.close(fig)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(buffer.getvalue())
    tmp.replace(path)
    return path


def tornado(
    labels: Sequence[str],
    low: Sequence[float],
    high: Sequence[float],
    centre: float,
    xlabel: str,
    low_label: str = "low value",
    high_label: str = "high value",
) -> Any:
    """A tornado chart: one bar per parameter from the outcome at its low to its high value.

    Bars are sorted so the widest swing is on top; ``centre`` is the outcome at the reference
    point. Returns the matplotlib figure.
    """
    swing = [abs(h - lo) for lo, h in zip(low, high, strict=True)]
    order = sorted(range(len(labels)), key=lambda i: swing[i])
    fig, ax = plt.subplots(figsize=(7, 0.45 * len(labels) + 1.2))
    for row, i in enumerate(order):
        ax.barh(row, low[i] - centre, left=centre, color=PALETTE[0], height=0.6)
        ax.barh(row, high[i] - centre, left=centre, color=PALETTE[1], height=0.6)
    ax.axvline(centre, color="#333", linewidth=1)
    ax.set_yticks(range(len(order)), [labels[i] for i in order])
    ax.set_xlabel(xlabel)
    ax.legend(
        handles=[
            plt.Rectangle((0, 0), 1, 1, color=PALETTE[0]),
            plt.Rectangle((0, 0), 1, 1, color=PALETTE[1]),
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
) -> Any:
    """Bars with optional error bars (half-widths), largest on top; returns the figure."""
    order = sorted(range(len(labels)), key=lambda i: values[i])
    fig, ax = plt.subplots(figsize=(7, 0.45 * len(labels) + 1.2))
    xerr = [errors[i] for i in order] if errors is not None else None
    ax.barh(range(len(order)), [values[i] for i in order], xerr=xerr, color=PALETTE[0])
    ax.set_yticks(range(len(order)), [labels[i] for i in order])
    ax.set_xlabel(xlabel)
    fig.tight_layout()
    return fig
