"""The dashboard's curves as Vega-Lite figures (plain dicts; the browser draws them).

Specs are written by hand rather than through Altair: building and validating an Altair chart
every week costs tens of milliseconds per chart, a dict well under one. Each spec is the same
every week (the time axis spans the whole run, in years), only the rows change. Rows come
from the paired run's weekly arrays.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import numpy as np

from hrsim.core.results import STATE_COLUMNS
from hrsim.dashboard import palette
from hrsim.dashboard.earlier_runs import EarlierRun
from hrsim.dashboard.paired_run import ARMS, PairedRun
from hrsim.dashboard.vega import Figure, base, label_expr

WIDTH, HEIGHT = 330, 190
BIN_WEEKS = 4  # overdoses are counted per 4 weeks: weekly counts in a small town are tiny
RATE_WEEKS = 13  # incidence over a rolling quarter
WEEKS_PER_YEAR = 52

# The "so far" outcomes: key in PairedRun.totals -> (label, timeseries columns added up).
SO_FAR: dict[str, tuple[str, tuple[str, ...]]] = {
    "deaths_all_causes": ("Deaths, all causes", ("deaths_overdose", "deaths_other")),
    "fatal_overdoses": ("Overdose deaths", ("overdoses_fatal",)),
    "new_hiv": ("New HIV infections", ("hiv_infections",)),
    "new_hcv": ("New HCV infections", ("hcv_infections",)),
}


MAX_POINTS = 260  # a curve 330 px wide shows no more; fewer rows keep each step light


def shown_weeks(run: PairedRun, first: int = 0, last: int | None = None) -> list[int]:
    """The weeks a curve draws: every week early on, every k-th later (and always the last).

    ``last`` (default: the run's week) can reach further, for earlier runs drawn beside it.
    """
    end = run.week if last is None else last
    every = -(-(end + 1) // MAX_POINTS)
    weeks = list(range(first, end + 1, every))
    if weeks and weeks[-1] != end:
        weeks.append(end)
    if run.week < end and run.week not in weeks:  # the run's own last week, too
        weeks = sorted([*weeks, run.week])
    return weeks


def _years(weeks: np.ndarray | list[int] | range) -> list[float]:
    return (np.asarray(weeks, dtype=float) / WEEKS_PER_YEAR).round(4).tolist()


# The time axis runs to the end of the current year of the run (then the next, ...): set
# through a param, so the spec stays the same and the browser only moves the axis.
YEARS_PARAM = {"name": "years_shown", "value": 1}


def years_shown(run: PairedRun, earlier: Sequence[EarlierRun] = ()) -> int:
    """Whole years the time axis spans this week (at least one), earlier runs included."""
    week = max([run.week, *(e.week for e in earlier)])
    return max(1, -(-week // WEEKS_PER_YEAR))


def _earlier_dashes(earlier: Sequence[EarlierRun]) -> list[list[int]]:
    """Each earlier run's dash pattern (``earlier`` is oldest first; the newest gets the first)."""
    return [palette.EARLIER_DASH[len(earlier) - 1 - i] for i in range(len(earlier))]


def _time_axis(run: PairedRun, field: str = "year") -> dict[str, Any]:
    """The x axis of every curve, in years, to the end of the current year."""
    return {
        "field": field,
        "type": "quantitative",
        "title": "year",
        "scale": {"domainMin": 0, "domainMax": {"expr": "years_shown"}, "nice": False},
        "axis": {"tickMinStep": 0.25},
    }


# Short column names for the week-by-week rows (sent every step): arm and outcome codes.
_ARM_CODES = {arm[0]: palette.ARM_LABEL[arm] for arm in ARMS}
_OUTCOME_CODES = {key: str(i) for i, key in enumerate(SO_FAR)}


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


def care_states(run: PairedRun) -> Figure:
    """People in each care state, week by week (the scenario), stacked."""
    columns = {c: run.series("scenario", c).tolist() for c in STATE_COLUMNS}
    weeks = shown_weeks(run)
    rows = [
        {"year": year, **{c: columns[c][w] for c in STATE_COLUMNS}}
        for w, year in zip(weeks, _years(weeks), strict=True)
    ]
    # Counts hold for a whole week: the last week also gets its width (and week 0 shows).
    rows.append({**rows[-1], "year": round((run.week + 1) / WEEKS_PER_YEAR, 4)})
    spec = base(
        "People in each care state",
        "the scenario, each week",
        fit="width",
        width=WIDTH,
        height=HEIGHT,
        params=[YEARS_PARAM],
        data={"name": "weeks"},
        transform=[
            {"fold": list(STATE_COLUMNS), "as": ["state", "people"]},
            {"calculate": f"indexof({list(STATE_COLUMNS)}, datum.state)", "as": "order"},
        ],
        mark={"type": "area", "interpolate": "step-after"},
        encoding={
            "x": _time_axis(run),
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
                    "labelExpr": label_expr({k: v[0] for k, v in palette.STATES.items()}),
                },
            },
            "order": {"field": "order", "type": "quantitative"},
            "tooltip": [
                {"field": "year", "format": ".2f"},
                {"field": "state"},
                {"field": "people"},
            ],
        },
    )
    return Figure(spec, {"weeks": rows}, {"years_shown": years_shown(run)})


def _binned(values: np.ndarray, weeks: int) -> tuple[list[int], list[float]]:
    """Totals over bins of ``BIN_WEEKS`` weeks (weeks 1..), each labelled by its first week."""
    flows = values[1 : weeks + 1]
    starts = np.arange(1, weeks + 1, BIN_WEEKS)
    sums = np.add.reduceat(flows, starts - 1) if flows.size else np.zeros(0)
    return starts.tolist(), sums.tolist()


def overdoses(run: PairedRun, earlier: Sequence[EarlierRun] = ()) -> Figure:
    """Overdoses per 4 weeks by outcome (scenario, stacked), with the baseline's deaths.

    Earlier runs (``earlier``) add their deaths as faint lines.
    """
    w = run.week
    reversed_ = run.series("scenario", "overdoses_reversed")
    outcomes = {
        "Died": run.series("scenario", "overdoses_fatal"),
        "Reversed (naloxone or staff)": reversed_,
        "Survived, not reversed": run.series("scenario", "overdoses_nonfatal") - reversed_,
    }
    # Stacked here, not in the browser: each bar is a rectangle from y0 to y1.
    bars: list[dict[str, Any]] = []
    bottom: np.ndarray | None = None
    for name, series in outcomes.items():
        starts, sums = _binned(series, w)
        counts = np.array(sums)
        y0 = np.zeros(counts.size) if bottom is None else bottom
        y1 = y0 + counts
        begin, end = _years(np.array(starts) - 1), _years(np.array(starts) - 1 + BIN_WEEKS)
        bars += [
            {"year": b, "end": e, "y0": lo, "y1": hi, "outcome": name, "count": int(c)}
            for b, e, lo, hi, c in zip(begin, end, y0.tolist(), y1.tolist(), counts, strict=True)
        ]
        bottom = y1
    starts, sums = _binned(run.series("baseline", "overdoses_fatal"), w)
    middle = _years(np.array(starts) - 1 + BIN_WEEKS / 2)
    baseline = [{"year": m, "deaths": c} for m, c in zip(middle, sums, strict=True)]
    kept = []
    for e in earlier:
        starts, sums = _binned(e.series("overdoses_fatal"), e.week)
        middle = _years(np.array(starts) - 1 + BIN_WEEKS / 2)
        kept += [
            {"year": m, "deaths": c, "run": e.label} for m, c in zip(middle, sums, strict=True)
        ]
    faint = [
        {
            "data": {"name": "earlier"},
            "mark": {
                "type": "line",
                "interpolate": "step",
                "strokeWidth": 2,
                "color": palette.EARLIER,
            },
            "encoding": {
                "x": _time_axis(run),
                "y": {"field": "deaths", "type": "quantitative"},
                "strokeDash": {
                    "field": "run",
                    "type": "nominal",
                    "title": None,
                    "scale": {
                        "domain": [e.label for e in earlier],
                        "range": _earlier_dashes(earlier),
                    },
                    "legend": {
                        "orient": "bottom",
                        "direction": "vertical",
                        "symbolStrokeColor": palette.EARLIER,
                    },
                },
                "tooltip": [
                    {"field": "run"},
                    {"field": "year", "format": ".2f"},
                    {"field": "deaths"},
                ],
            },
        }
    ]
    note = "; faint lines: deaths in earlier runs" if earlier else ""
    spec = base(
        "Overdoses",
        f"the scenario, per {BIN_WEEKS} weeks; dashed line: deaths in the baseline{note}",
        fit="width",
        width=WIDTH,
        height=HEIGHT,
        params=[YEARS_PARAM],
        layer=[
            {
                "data": {"name": "bars"},
                "mark": {"type": "rect", "stroke": "#FFFFFF", "strokeWidth": 0.3},
                "encoding": {
                    "x": _time_axis(run),
                    "x2": {"field": "end"},
                    "y": {
                        "field": "y0",
                        "type": "quantitative",
                        "title": f"overdoses per {BIN_WEEKS} weeks",
                        "scale": {"domainMin": 0},
                    },
                    "y2": {"field": "y1"},
                    "color": {
                        "field": "outcome",
                        "type": "nominal",
                        "title": None,
                        "scale": {
                            "domain": list(outcomes),
                            "range": [palette.DEAD, palette.OVERDOSE, "#F5B98A"],
                        },
                        "legend": {"orient": "bottom", "direction": "vertical"},
                    },
                    "tooltip": [
                        {"field": "year", "title": "from year", "format": ".2f"},
                        {"field": "outcome"},
                        {"field": "count"},
                    ],
                },
            },
            {
                "data": {"name": "baseline"},
                "mark": {
                    "type": "line",
                    "color": "#555555",
                    "strokeDash": palette.ARM_DASH["baseline"],
                    "interpolate": "step",
                    "strokeWidth": 1.5,
                },
                "encoding": {
                    "x": _time_axis(run),
                    "y": {"field": "deaths", "type": "quantitative"},
                },
            },
            *(faint if earlier else []),
        ],
    )
    data = {"bars": bars, "baseline": baseline, **({"earlier": kept} if earlier else {})}
    return Figure(spec, data, {"years_shown": years_shown(run, earlier)})


def _rolling_rate(new: np.ndarray, at_risk_years: np.ndarray) -> np.ndarray:
    """Incidence per 100 person-years over the last ``RATE_WEEKS`` weeks (week 0 excluded)."""
    after_start = np.arange(new.size) >= 1
    cases = np.cumsum(np.where(after_start, new, 0.0))
    time = np.cumsum(np.where(after_start, at_risk_years, 0.0))
    lag = np.maximum(np.arange(new.size) - RATE_WEEKS, 0)
    window_cases, window_time = cases - cases[lag], time - time[lag]
    return np.divide(
        100 * window_cases, window_time, out=np.zeros(new.size), where=window_time > 0
    ).round(2)


def incidence(run: PairedRun) -> Figure:
    """New HIV and HCV infections per 100 person-years at risk, over a rolling quarter."""
    weeks = shown_weeks(run, first=1)
    columns: dict[str, list[float]] = {}
    for arm in ARMS:
        population = run.series(arm, "population")
        for virus, column, prevalence in VIRUSES:
            at_risk = population * (1.0 - run.series(arm, prevalence)) / WEEKS_PER_YEAR
            rate = _rolling_rate(run.series(arm, column), at_risk)
            columns[f"{virus}|{arm[0]}"] = rate[weeks].tolist()
    # One row per week, a column per virus and arm (folded back into long form in the
    # browser: a quarter of the bytes).
    rows = [
        {"year": year, **{key: values[i] for key, values in columns.items()}}
        for i, year in enumerate(_years(weeks))
    ]
    spec = base(
        "HIV and HCV incidence",
        f"new infections per 100 person-years at risk, over the last {RATE_WEEKS} weeks",
        fit="width",
        width=WIDTH,
        height=HEIGHT,
        params=[YEARS_PARAM],
        data={"name": "rates"},
        transform=[
            {"fold": list(columns), "as": ["key", "rate"]},
            {"calculate": "split(datum.key, '|')[0]", "as": "virus"},
            {
                "calculate": f"{json.dumps(_ARM_CODES)}[split(datum.key, '|')[1]]",
                "as": "arm",
            },
        ],
        mark={"type": "line", "strokeWidth": 1.6},
        encoding={
            "x": _time_axis(run),
            "y": {
                "field": "rate",
                "type": "quantitative",
                "title": "per 100 person-years",
                "scale": {"domainMin": 0},
            },
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
                {"field": "year", "format": ".2f"},
                {"field": "virus"},
                {"field": "arm"},
                {"field": "rate", "format": ".1f"},
            ],
        },
    )
    return Figure(spec, {"rates": rows}, {"years_shown": years_shown(run)})


VIRUSES = (("HIV", "hiv_infections", "hiv_prevalence"), ("HCV", "hcv_infections", "hcv_prevalence"))


def retention(run: PairedRun, targets: dict[str, float]) -> Figure:
    """Kaplan-Meier MOUD retention of the episodes started during the run, both arms.

    ``targets`` are 12-month retention figures to mark (label -> share), e.g. the model's
    inputs for methadone and buprenorphine.
    """
    rows: list[dict[str, Any]] = []
    for arm in ARMS:
        weeks, share, at_risk = run.retention[arm].curve(WEEKS_PER_YEAR)
        label = palette.ARM_LABEL[arm]
        rows += [
            {"week": int(w), "share": round(float(s), 4), "arm": label, "n": int(n)}
            for w, s, n in zip(weeks, share, at_risk, strict=True)
        ]
    marks = [{"week": WEEKS_PER_YEAR, "share": v, "label": k} for k, v in targets.items()]
    spec = base(
        "Staying on MOUD",
        "share of the treatment starts in this run still on treatment, by weeks since starting",
        fit="width",
        width=WIDTH,
        height=HEIGHT,
        layer=[
            {
                "data": {"name": "curves"},
                "mark": {"type": "line", "interpolate": "step-after", "color": "#009E73"},
                "encoding": {
                    "x": {
                        "field": "week",
                        "type": "quantitative",
                        "title": "weeks since starting",
                        "scale": {"domain": [0, WEEKS_PER_YEAR], "nice": False},
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
                        {"field": "n", "title": "starts followed this long"},
                    ],
                },
            },
            {
                "data": {"name": "targets"},
                "mark": {"type": "point", "shape": "triangle-left", "filled": True, "size": 90},
                "encoding": {
                    "x": {"field": "week", "type": "quantitative"},
                    "y": {"field": "share", "type": "quantitative"},
                    "color": {
                        "field": "label",
                        "type": "nominal",
                        "title": None,
                        "scale": {"domain": list(targets), "range": ["#009E73", "#B8A800"]},
                        "legend": {"orient": "bottom", "direction": "vertical"},
                    },
                    "tooltip": [{"field": "label"}, {"field": "share", "format": ".0%"}],
                },
            },
        ],
        resolve={"scale": {"color": "independent"}},
    )
    return Figure(spec, {"curves": rows, "targets": marks})


def _running_total(series: Sequence[np.ndarray], weeks: list[int]) -> list[int | None]:
    """Weeks 1.. added up, at ``weeks`` (None past the last week it has)."""
    weekly = sum(s[1:] for s in series)
    total = np.concatenate([[0.0], np.cumsum(weekly)]).astype(int)
    return [int(total[w]) if w < total.size else None for w in weeks]


def so_far(run: PairedRun, earlier: Sequence[EarlierRun] = ()) -> Figure:
    """Deaths and infections added up so far, scenario against baseline (the gap = averted).

    Earlier runs (``earlier``) add their scenario arm's totals as faint lines, each to the
    week it reached.
    """
    weeks = shown_weeks(run, last=max([run.week, *(e.week for e in earlier)]))
    columns: dict[str, list[int | None]] = {}
    for arm in ARMS:
        for key, (_, series) in SO_FAR.items():
            got = [run.series(arm, c) for c in series]
            columns[f"{_OUTCOME_CODES[key]}|{arm[0]}"] = _running_total(got, weeks)
    arm_codes = dict(_ARM_CODES)
    for i, e in enumerate(earlier):
        arm_codes[str(i)] = e.label
        for key, (_, series) in SO_FAR.items():
            got = [e.series(c) for c in series]
            columns[f"{_OUTCOME_CODES[key]}|{i}"] = _running_total(got, weeks)
    rows = [
        {"year": year, **{k: v[i] for k, v in columns.items() if v[i] is not None}}
        for i, year in enumerate(_years(weeks))
    ]
    labels = {_OUTCOME_CODES[key]: label for key, (label, _) in SO_FAR.items()}
    arms = [palette.ARM_LABEL[a] for a in ARMS]
    kept = [e.label for e in earlier]
    dash = _arm_dash()
    dash["scale"] = {
        "domain": arms + kept,
        "range": [palette.ARM_DASH[a] for a in ARMS] + _earlier_dashes(earlier),
    }
    # Earlier runs (arm codes 0, 1, ...) are faint; a value, not a scale: no second legend.
    colour = {
        "condition": {
            "test": f"indexof({json.dumps(kept)}, datum.arm) >= 0",
            "value": palette.EARLIER,
        },
        "value": "#333333",
    }
    spec = base(
        fit="facet",
        params=[YEARS_PARAM],
        data={"name": "totals"},
        transform=[
            {"fold": list(columns), "as": ["key", "total"]},
            {"calculate": f"{json.dumps(labels)}[split(datum.key, '|')[0]]", "as": "outcome"},
            {
                "calculate": f"{json.dumps(arm_codes)}[split(datum.key, '|')[1]]",
                "as": "arm",
            },
        ],
        facet={
            "field": "outcome",
            "type": "nominal",
            "title": None,
            "sort": list(labels.values()),
            "header": {"labelFontSize": 12, "labelFontWeight": "bold"},
        },
        columns=len(SO_FAR),
        spacing=28,
        spec={
            "width": 205,
            "height": 95,
            "mark": {"type": "line", "strokeWidth": 1.6},
            "encoding": {
                "x": _time_axis(run),
                "y": {
                    "field": "total",
                    "type": "quantitative",
                    "title": None,
                    "scale": {"domainMin": 0},
                },
                "strokeDash": dash,
                "color": colour,
                "tooltip": [
                    {"field": "arm"},
                    {"field": "year", "format": ".2f"},
                    {"field": "total"},
                ],
            },
        },
        resolve={"scale": {"y": "independent"}},
    )
    return Figure(spec, {"totals": rows}, {"years_shown": years_shown(run, earlier)})
