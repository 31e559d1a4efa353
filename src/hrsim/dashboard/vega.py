"""Vega-Lite figures as the page sends them: a spec that stays put and data that changes.

A figure's ``spec`` references its data by name (``{"data": {"name": "nodes"}}``) and does not
change from week to week, so the browser embeds it once; every step then sends only
``data`` (name -> rows), which the browser swaps into the running chart (``vega_view.vue``),
and ``signals`` (values of the spec's params, such as how many years the time axis spans).
``Figure.full()`` is the same chart as one self-contained spec (for tests and export).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json"

# Shared look: readable fonts, and only the export buttons (the editor link needs internet).
CONFIG: dict[str, Any] = {
    "font": "Roboto, Helvetica, Arial, sans-serif",
    "legend": {"labelFontSize": 12, "titleFontSize": 12, "symbolSize": 120, "labelLimit": 320},
    "axis": {"labelFontSize": 11, "titleFontSize": 12},
    # A fixed minimum width for y axes: labels grow as the run goes on, and a changing axis
    # width would shift the plot (and clip the title) week by week.
    "axisY": {"minExtent": 42},
    "title": {"anchor": "start", "fontSize": 14, "subtitleFontSize": 11},
}
EMBED: dict[str, Any] = {
    "embedOptions": {
        "actions": {"export": True, "source": False, "compiled": False, "editor": False}
    }
}


@dataclass(frozen=True)
class Figure:
    """A Vega-Lite spec whose data sources are named, and the rows of each source."""

    spec: dict[str, Any]
    data: dict[str, list[dict[str, Any]]]
    signals: dict[str, Any] = field(default_factory=dict)  # values of the spec's params

    def json(self) -> str:
        """The rows as compact JSON (what the browser receives each step)."""
        return json.dumps(self.data, separators=(",", ":"))

    def full(self) -> dict[str, Any]:
        """One self-contained Vega-Lite spec (data inline, params at their current values)."""
        params = [{**p, "value": self.signals.get(p["name"], p.get("value"))}
                  for p in self.spec.get("params", [])]  # fmt: skip
        out = {**self.spec, "datasets": self.data}
        if params:
            out["params"] = params
        return out


def base(
    title: str | None = None, subtitle: str | None = None, fit: str | None = None, **extra: Any
) -> dict[str, Any]:
    """The top of every spec: schema, look, export buttons, and a title if given.

    ``fit`` tells the page how the chart follows its panel's width (``vega_view.vue``):
    ``"width"`` (the plot takes the panel's width), ``"facet"`` (small multiples wrap) or
    ``"aspect"`` (shrinks keeping its shape, legends below). The spec itself keeps its fixed
    size, so ``Figure.full()`` exports the same chart wherever it is opened.
    """
    usermeta = {**EMBED, "hrsimFit": fit} if fit else EMBED
    spec: dict[str, Any] = {"$schema": SCHEMA, "config": CONFIG, "usermeta": usermeta}
    if title is not None:
        spec["title"] = {"text": title, **({"subtitle": subtitle} if subtitle else {})}
    return {**spec, **extra}


def label_expr(labels: dict[str, str]) -> str:
    """A Vega expression that shows readable legend labels for coded values."""
    cases = " : ".join(f"datum.label === '{k}' ? '{v}'" for k, v in labels.items())
    return f"{cases} : datum.label"
