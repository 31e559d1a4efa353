"""The dashboard's curves as Vega-Lite specs (plain dicts; the browser draws them).

Specs are built by hand rather than through Altair: building and validating an Altair chart
every week costs tens of milliseconds per chart, a dict costs well under one, and Solara's
VegaLite widget takes either. Data are the paired run's weekly arrays, read in place.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from dashboards import palette
from dashboards.network_view import _CONFIG, _EMBED, _label_expr
from hrsim.paired_run import ARMS, PairedRun
from hrsim.results import STATE_COLUMNS

WIDTH, HEIGHT = 330, 190
BIN_WEEKS = 4  # overdoses are shown per 4 weeks (a month, near enough): weekly counts are tiny
RATE_WEEKS = 13  # incidence over a rolling quarter


def _base(title: str, subtitle: str) -> dict[str, Any]:
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "title": {"text": title, "subtitle": subtitle, "anchor": "start", "fontSize": 14},
        "width": WIDTH,
        "height": HEIGHT,
        "config": _CONFIG,
        "usermeta": _EMBED,
    }


def _week_axis(run: PairedRun) -> dict[str, Any]:
    return {
        "field": "week",
        "type": "quantitative",
        "title": "week",
        "scale": {"domain": [0, max(run.week, 52)], "nice": False},
    }


def care_states(run: PairedRun) -> dict[str, Any]:
    """People in each care state, week by week (the scenario), stacked."""
    columns = {c: run.series("scenario", c).tolist() for c in STATE_COLUMNS}
    values = [{"week": w, **{c: columns[c][w] for c in STATE_COLUMNS}} for w in range(run.week + 1)]
    return {
        **_base("People in each care state", "scenario, each week"),
        "data": {"values": values},
        "transform": [
            {"fold": list(STATE_COLUMNS), "as": ["state", "people"]},
            {"calculate": f"indexof({list(STATE_COLUMNS)}, datum.state)", "as": "order"},
        ],
        "mark": {"type": "area", "interpolate": "step-after"},
        "encoding": {
            "x": _week_axis(run),
            "y": {"field": "people", "type": "quantitative", "stack": "zero", "title": "people"},
            "color": {
                "field": "state",
                "type": "nominal",
                "title": None,
                "scale": {
                    "domain": list(palette.STATES),
                    "range": [c for _, c in palette.STATES.values()],
                },
                "legend": {
                    "orient": "right",
                    "labelExpr": _label_expr({k: v[0] for k, v in palette.STATES.items()}),
                },
            },
            "order": {"field": "order", "type": "quantitative"},
            "tooltip": [
                {"field": "week", "type": "quantitative"},
                {"field": "state", "type": "nominal"},
                {"field": "people", "type": "quantitative"},
            ],
        },
    }


def _binned(values: np.ndarray, weeks: int) -> tuple[list[int], list[float]]:
    """Totals over bins of ``BIN_WEEKS`` weeks (weeks 1..), labelled by the bin's first week."""
    flows = values[1:]
    starts = list(range(1, weeks + 1, BIN_WEEKS))
    sums = np.add.reduceat(flows, np.array(starts) - 1) if flows.size else np.zeros(0)
    return starts, sums.tolist()


def overdoses(run: PairedRun) -> dict[str, Any]:
    """Overdoses per 4 weeks by outcome (scenario, stacked), with the baseline's deaths."""
    w = run.week
    fatal = run.series("scenario", "overdoses_fatal")
    reversed_ = run.series("scenario", "overdoses_reversed")
    survived = run.series("scenario", "overdoses_nonfatal") - reversed_
    outcomes = {
        "Died": fatal,
        "Reversed (naloxone or staff)": reversed_,
        "Survived, not reversed": survived,
    }
    values: list[dict[str, Any]] = []
    for name, series in outcomes.items():
        starts, sums = _binned(series, w)
        values += [
            {"week": s, "outcome": name, "count": c} for s, c in zip(starts, sums, strict=True)
        ]
    starts, sums = _binned(run.series("baseline", "overdoses_fatal"), w)
    baseline = [{"week": s + BIN_WEEKS / 2, "deaths": c} for s, c in zip(starts, sums, strict=True)]
    colours = [palette.DEAD, palette.OVERDOSE, "#F5B98A"]
    return {
        **_base("Overdoses", f"scenario, per {BIN_WEEKS} weeks; dashed: the baseline's deaths"),
        "layer": [
            {
                "data": {"values": values},
                "mark": {"type": "bar", "align": "left", "width": {"band": 1}},
                "encoding": {
                    "x": {**_week_axis(run), "bin": {"step": BIN_WEEKS, "binned": True}},
                    "x2": {"field": "end"},
                    "y": {"field": "count", "type": "quantitative", "title": "overdoses"},
                    "color": {
                        "field": "outcome",
                        "type": "nominal",
                        "title": None,
                        "scale": {"domain": list(outcomes), "range": colours},
                        "legend": {"orient": "bottom", "direction": "vertical"},
                    },
                    "order": {"field": "outcome", "sort": "ascending"},
                    "tooltip": [
                        {"field": "week", "title": "from week"},
                        {"field": "outcome"},
                        {"field": "count"},
                    ],
                },
                "transform": [{"calculate": f"datum.week + {BIN_WEEKS}", "as": "end"}],
            },
            {
                "data": {"values": baseline},
                "mark": {
                    "type": "line",
                    "color": palette.DEAD,
                    "strokeDash": palette.ARM_DASH["baseline"],
                    "interpolate": "step",
                },
                "encoding": {
                    "x": _week_axis(run),
                    "y": {"field": "deaths", "type": "quantitative"},
                },
            },
        ],
    }


def incidence(run: PairedRun) -> dict[str, Any]:
    """New HIV and HCV infections per 100 person-years at risk, over a rolling quarter."""
    values: list[dict[str, Any]] = []
    for arm in ARMS:
        population = run.series(arm, "population")
        for virus, column, prevalence in (
            ("HIV", "hiv_infections", "hiv_prevalence"),
            ("HCV", "hcv_infections", "hcv_prevalence"),
        ):
            new = run.series(arm, column)
            at_risk_years = population * (1.0 - run.series(arm, prevalence)) / 52.0
            rate = _rolling_rate(new, at_risk_years)
            values += [
                {"week": w, "virus": virus, "arm": palette.ARM_LABEL[arm], "rate": r}
                for w, r in enumerate(rate)
                if w >= 1
            ]
    return {
        **_base(
            "HIV and HCV incidence",
            f"new infections per 100 person-years at risk, last {RATE_WEEKS} weeks",
        ),
        "data": {"values": values},
        "mark": {"type": "line", "strokeWidth": 1.6},
        "encoding": {
            "x": _week_axis(run),
            "y": {"field": "rate", "type": "quantitative", "title": "per 100 person-years"},
            "color": {
                "field": "virus",
                "type": "nominal",
                "title": None,
                "scale": {"domain": ["HIV", "HCV"], "range": ["#0072B2", "#E69F00"]},
                "legend": {"orient": "bottom"},
            },
            "strokeDash": _arm_dash(),
            "detail": {"field": "arm"},
            "tooltip": [
                {"field": "week"},
                {"field": "virus"},
                {"field": "arm"},
                {"field": "rate", "format": ".1f"},
            ],
        },
    }


def _rolling_rate(new: np.ndarray, at_risk_years: np.ndarray) -> list[float]:
    """Rolling ``RATE_WEEKS``-week incidence per 100 person-years (weeks 1.. only)."""
    cases = np.cumsum(np.where(np.arange(new.size) >= 1, new, 0.0))
    time = np.cumsum(np.where(np.arange(new.size) >= 1, at_risk_years, 0.0))
    lag = np.maximum(np.arange(new.size) - RATE_WEEKS, 0)
    window_cases = cases - cases[lag]
    window_time = time - time[lag]
    rate = np.divide(100 * window_cases, window_time, out=np.zeros(new.size), where=window_time > 0)
    return rate.round(2).tolist()


def _arm_dash() -> dict[str, Any]:
    return {
        "field": "arm",
        "type": "nominal",
        "title": None,
        "scale": {
            "domain": [palette.ARM_LABEL[a] for a in ARMS],
            "range": [palette.ARM_DASH[a] for a in ARMS],
        },
        "legend": {"orient": "bottom", "symbolStrokeColor": "#333333"},
    }


def retention(run: PairedRun, targets: dict[str, float]) -> dict[str, Any]:
    """Kaplan-Meier MOUD retention for episodes started during the run, both arms.

    ``targets`` are 12-month retention figures to mark (label -> share), e.g. the model's
    inputs for methadone and buprenorphine.
    """
    values: list[dict[str, Any]] = []
    for arm in ARMS:
        weeks, share, at_risk = run.retention[arm].curve(52)
        label = palette.ARM_LABEL[arm]
        values += [
            {"week": int(w), "share": round(float(s), 4), "arm": label, "n": int(n)}
            for w, s, n in zip(weeks, share, at_risk, strict=True)
        ]
    marks = [{"week": 52, "share": v, "label": k} for k, v in targets.items()]
    episodes = run.retention["scenario"].episodes
    return {
        **_base(
            "Staying on MOUD",
            f"share still on treatment, by weeks since starting ({episodes:,} starts so far)",
        ),
        "layer": [
            {
                "data": {"values": values},
                "mark": {"type": "line", "interpolate": "step-after", "color": "#009E73"},
                "encoding": {
                    "x": {
                        "field": "week",
                        "type": "quantitative",
                        "title": "weeks since starting",
                        "scale": {"domain": [0, 52]},
                    },
                    "y": {
                        "field": "share",
                        "type": "quantitative",
                        "title": "still on MOUD",
                        "axis": {"format": "%"},
                        "scale": {"domain": [0, 1]},
                    },
                    "strokeDash": _arm_dash(),
                    "tooltip": [
                        {"field": "arm"},
                        {"field": "week"},
                        {"field": "share", "format": ".0%"},
                        {"field": "n", "title": "still followed"},
                    ],
                },
            },
            {
                "data": {"values": marks},
                "mark": {"type": "point", "shape": "triangle-left", "filled": True, "size": 80},
                "encoding": {
                    "x": {"field": "week", "type": "quantitative"},
                    "y": {"field": "share", "type": "quantitative"},
                    "color": {
                        "field": "label",
                        "type": "nominal",
                        "title": None,
                        "scale": {"range": ["#009E73", "#B8A800"]},
                        "legend": {"orient": "bottom", "direction": "vertical", "labelLimit": 320},
                    },
                    "tooltip": [{"field": "label"}, {"field": "share", "format": ".0%"}],
                },
            },
        ],
        "resolve": {"scale": {"color": "independent"}},
    }


def so_far(run: PairedRun) -> dict[str, Any]:
    """Deaths and infections added up so far, scenario against baseline (the gap = averted)."""
    values: list[dict[str, Any]] = []
    for arm in ARMS:
        for name, columns in SO_FAR.values():
            weekly = sum(run.series(arm, c)[1:] for c in columns)
            total = np.concatenate([[0.0], np.cumsum(weekly)]) if run.week else np.zeros(1)
            values += [
                {"week": w, "outcome": name, "arm": palette.ARM_LABEL[arm], "total": int(t)}
                for w, t in enumerate(total.tolist())
            ]
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "config": {**_CONFIG, "facet": {"spacing": 28}},
        "usermeta": _EMBED,
        "data": {"values": values},
        "facet": {
            "field": "outcome",
            "type": "nominal",
            "title": None,
            "sort": [name for name, _ in SO_FAR.values()],
            "header": {"labelFontSize": 12, "labelFontWeight": "bold"},
        },
        "columns": len(SO_FAR),
        "spec": {
            "width": 205,
            "height": 95,
            "mark": {"type": "line", "color": "#333333", "strokeWidth": 1.6},
            "encoding": {
                "x": _week_axis(run),
                "y": {
                    "field": "total",
                    "type": "quantitative",
                    "title": None,
                    "scale": {"domainMin": 0},
                },
                "strokeDash": _arm_dash(),
                "tooltip": [{"field": "arm"}, {"field": "week"}, {"field": "total"}],
            },
        },
        "resolve": {"scale": {"y": "independent"}},
    }


# The "so far" outcomes: key in PairedRun.totals -> (chart label, timeseries columns).
SO_FAR: dict[str, tuple[str, tuple[str, ...]]] = {
    "deaths_all_causes": ("Deaths, all causes", ("deaths_overdose", "deaths_other")),
    "fatal_overdoses": ("Overdose deaths", ("overdoses_fatal",)),
    "new_hiv": ("New HIV infections", ("hiv_infections",)),
    "new_hcv": ("New HCV infections", ("hcv_infections",)),
}
