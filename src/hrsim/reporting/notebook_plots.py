"""Plots for notebooks: one run's weekly series, a sweep's arms with bands, what each arm averted.

The doors are methods (each imports this module when called, so ``import hrsim`` never loads
matplotlib), in the spirit of Starsim's ``sim.plot()`` and ``MultiSim(...).reduce().plot()``::

    model = hrsim.HarmReductionModel(people=2000, years=2, seed=1).run()
    model.plot()                                    # care states, overdoses, infections, deaths
    experiment = hrsim.load_experiment("runs/county")
    experiment.plot(["on_moud", "fatal_overdoses"])              # mean per arm, 95% CI band
    experiment.plot_comparison(baseline="baseline")              # cumulative averted, paired

Every plot returns its ``matplotlib.figure.Figure`` (a ``NotebookFigure``). Figures are made
without pyplot: a notebook shows the one a cell returns exactly once (a pyplot figure would be
shown a second time by the inline backend), none is left open in pyplot's list of figures, and
the backend the user chose is left alone (this module does not import
``hrsim.reporting.figures``, which switches matplotlib to Agg).
To draw on axes of your own (say, to open a window with ``plt.show()``), pass ``ax=``: one
``Axes`` per panel.

The series are named as in a run's ``timeseries.parquet`` (``overdoses_fatal``, ``methadone``,
...), plus ``on_moud``, ``in_custody``, ``deaths_all_causes`` and the ``hrsim compare`` outcome
names ``fatal_overdoses``, ``nonfatal_overdoses``, ``new_hiv``, ``new_hcv``: all of them are in
``MEASURES``. Week 0 is the starting population: weekly counts of events start at week 1, and
cumulative counts are 0 at week 0 (so the last point of a cumulative curve is the run's total,
the number ``hrsim compare`` reports).

Bands (``band=``): ``"ci95"`` (the default) is the 95% t interval of the mean over replicates,
as in ``hrsim report``: where the expected trajectory lies. ``"quantiles"`` spans the chosen
quantiles of the replicates themselves (``quantiles=(0.1, 0.9)``, Starsim's default): where one
run lies. In a comparison both are of the paired differences (each replicate's arm minus the
baseline on the same seed), which is what makes the interval of a difference narrow.

Every line and band carries a ``gid`` (``"mean:<arm>"``, ``"band:<arm>"``, ``"line:<series>"``,
with the arm's name in the sweep), so code can find and restyle them. Legends and titles name
arms as the report does (``hrsim.reporting.arms.arm_labels``: "Syringe services", "MOUD
capacity 30%, naloxone coverage 25%"), in the report's colours (``hrsim.reporting.palette``).
"""

from __future__ import annotations

import io
import math
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure, SubFigure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from hrsim.core.results import FLOAT_COLUMNS, FLOW_COLUMNS, LEVEL_COLUMNS, STATE_COLUMNS
from hrsim.dashboard import palette  # colours and names only: the module imports nothing
from hrsim.errors import HrsimError
from hrsim.messages import closest, unknown
from hrsim.reporting.arms import arm_labels
from hrsim.reporting.palette import ARM_PALETTE, BASELINE_COLOUR
from hrsim.reporting.palette import arm_colours as colour_per_arm

if TYPE_CHECKING:
    from hrsim.batch.store import Experiment
    from hrsim.model import HarmReductionModel
    from hrsim.runner import RunResult

__all__ = [
    "ARM_PALETTE",
    "BANDS",
    "BASELINE_COLOUR",
    "MEASURES",
    "Measure",
    "NotebookFigure",
    "PlotError",
    "arm_colours",
    "averted_bands",
    "plot_comparison",
    "plot_experiment",
    "plot_model",
    "plot_result",
    "plot_run",
    "trajectory_bands",
]

Kind = Literal["flow", "level", "share"]
Columns = str | Sequence[str] | Mapping[str, Sequence[str]] | None

#: What ``band=`` accepts (None is the same as ``"none"``).
BANDS: tuple[str, ...] = ("ci95", "quantiles", "none")
WEEKS_PER_YEAR = 52


class NotebookFigure(Figure):
    """A matplotlib ``Figure`` that a notebook shows when a cell returns it.

    Made without pyplot, so a notebook that never imported pyplot has no formatter for
    figures: ``_repr_png_`` is the one IPython asks for. Where pyplot's inline backend is
    active its own formatter draws it instead, once either way.
    """

    def _repr_png_(self) -> bytes:
        buffer = io.BytesIO()
        self.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
        return buffer.getvalue()


class PlotError(HrsimError, ValueError):
    """A plot was asked for something that is not there (a series, an arm, a band, a run)."""


@dataclass(frozen=True)
class Measure:
    """One plottable weekly series: the sum of ``columns`` of the weekly results.

    ``kind`` is ``"flow"`` (events counted each week: plotted per week, or cumulative),
    ``"level"`` (how many at the end of each week) or ``"share"`` (a fraction, shown in %).
    ``unit`` names what is counted when it is not people or events (``"US$"``, ``"QALYs"``).
    """

    key: str
    title: str
    columns: tuple[str, ...]
    kind: Kind = "flow"
    unit: str = ""
    colour: str | None = None

    def values(self, frame: pd.DataFrame) -> np.ndarray:
        """The series from a frame of weekly results (one row per week)."""
        total = np.zeros(len(frame), dtype=np.float64)
        for column in self.columns:
            total += frame[column].to_numpy(dtype=np.float64)
        return total * 100.0 if self.kind == "share" else total

    def ylabel(self, cumulative: bool = False, bin_weeks: int = 1) -> str:
        """The y-axis label: what one unit of the plotted value is."""
        if self.kind == "share":
            return "% of people alive"
        if self.kind == "level":
            return self.unit or "people"
        if cumulative:
            return f"{self.unit}, cumulative" if self.unit else "cumulative since week 0"
        per = "per week" if bin_weeks == 1 else f"per {bin_weeks} weeks"
        return f"{self.unit} {per}" if self.unit else per


# Titles of the series people plot most; the rest are made from the column name.
_TITLES = {
    **{state: label for state, (label, _) in palette.STATES.items()},
    "overdoses_fatal": "Fatal overdoses",
    "overdoses_nonfatal": "Non-fatal overdoses",
    "overdoses_reversed": "Overdoses reversed with naloxone",
    "overdoses_witnessed": "Overdoses witnessed",
    "naloxone_kits_used": "Naloxone kits used",
    "hiv_infections": "New HIV infections",
    "hcv_infections": "New HCV infections",
    "deaths_overdose": "Deaths from overdose",
    "deaths_other": "Deaths from other causes",
    "moud_starts": "MOUD starts",
    "moud_exits": "MOUD exits",
    "moud_waiting": "Waiting for MOUD",
    "moud_wait_weeks": "Weeks waited by those admitted to MOUD",
    "people_injecting": "People injecting",
    "population": "People in the population",
    "hiv_prevalence": "HIV prevalence",
    "hcv_prevalence": "HCV prevalence",
    "hiv_on_art": "People with HIV on ART",
    "hiv_in_care_not_on_art": "People with HIV in care, not on ART",
    "hcv_viraemic": "People with viraemic HCV",
    "qalys": "QALYs lived (undiscounted)",
}
_ACRONYMS = {"hiv": "HIV", "hcv": "HCV", "moud": "MOUD", "ems": "EMS", "ed": "ED", "daa": "DAA"}
_ACRONYMS |= {"art": "ART", "usd": "(US$)", "qalys": "QALYs"}
_UNITS = {"qalys": "QALYs", "life_years": "life-years", "usd": "US$", "wait_weeks": "weeks"}
_COUNTED_AS_LEVELS = frozenset({"moud_waiting", "people_injecting"})  # counts, not events


def _title_of(column: str) -> str:
    if column in _TITLES:
        return _TITLES[column]
    words = [_ACRONYMS.get(w, w) for w in column.split("_")]
    text = " ".join(words)
    return text[0].upper() + text[1:]


def _unit_of(column: str) -> str:
    return next((unit for end, unit in _UNITS.items() if column.endswith(end)), "")


def _measures() -> dict[str, Measure]:
    colours = {state: colour for state, (_, colour) in palette.STATES.items()}
    colours |= {"overdoses_fatal": palette.OVERDOSE, "deaths_overdose": palette.OVERDOSE}
    colours |= {"deaths_other": palette.DEAD, "population": palette.DEAD}
    found: dict[str, Measure] = {}
    for column in (*STATE_COLUMNS, *FLOW_COLUMNS, *LEVEL_COLUMNS):
        if column.endswith("_prevalence"):
            kind: Kind = "share"
        elif column in STATE_COLUMNS or column in LEVEL_COLUMNS or column in _COUNTED_AS_LEVELS:
            kind = "level"
        else:
            kind = "flow"
        unit = _unit_of(column) if column in FLOAT_COLUMNS or column == "moud_wait_weeks" else ""
        found[column] = Measure(
            column, _title_of(column), (column,), kind, unit, colours.get(column)
        )
    derived = (
        Measure("on_moud", "People on MOUD", ("methadone", "buprenorphine"), "level"),
        Measure("in_custody", "People in custody", ("prison", "jail"), "level"),
        Measure("deaths_all_causes", "Deaths, all causes", ("deaths_overdose", "deaths_other")),
        # The names ``hrsim compare`` and ``Experiment.outcomes`` give these totals.
        Measure("fatal_overdoses", "Fatal overdoses", ("overdoses_fatal",)),
        Measure("nonfatal_overdoses", "Non-fatal overdoses", ("overdoses_nonfatal",)),
        Measure("new_hiv", "New HIV infections", ("hiv_infections",)),
        Measure("new_hcv", "New HCV infections", ("hcv_infections",)),
    )
    return found | {m.key: m for m in derived}


#: Every series a plot can show, by name.
MEASURES: dict[str, Measure] = _measures()

#: ``model.plot()``'s panels: title -> the series drawn together.
RUN_PANELS: dict[str, tuple[str, ...]] = {
    "People by care state": STATE_COLUMNS,
    "Overdoses": ("overdoses_fatal", "overdoses_nonfatal", "overdoses_reversed"),
    "New infections": ("hiv_infections", "hcv_infections"),
    "Deaths": ("deaths_overdose", "deaths_other"),
    "Prevalence": ("hiv_prevalence", "hcv_prevalence"),
    "Population": ("population",),
}
#: ``experiment.plot()``'s panels, one series each.
EXPERIMENT_COLUMNS: tuple[str, ...] = (
    "on_moud",
    "fatal_overdoses",
    "nonfatal_overdoses",
    "new_hiv",
    "new_hcv",
    "deaths_all_causes",
)
#: ``experiment.plot_comparison()``'s panels (the totals ``hrsim compare`` reports as averted).
COMPARISON_COLUMNS: tuple[str, ...] = ("deaths_all_causes", "fatal_overdoses", "new_hiv", "new_hcv")


# ---------------------------------------------------------------------------------------------
# Names in, checked


def _measure(key: str, where: str) -> Measure:
    if key in MEASURES:
        return MEASURES[key]
    valid = list(MEASURES)
    hint = (
        "" if closest(key, valid) else "; every name is in hrsim.reporting.notebook_plots.MEASURES"
    )
    raise PlotError(unknown(where, key, valid, "column") + hint)


def _panels(
    columns: Columns, default: Mapping[str, Sequence[str]], where: str
) -> list[tuple[str, list[Measure]]]:
    """``[(title, [Measure, ...]), ...]``: one panel per name, or as a mapping groups them."""
    if columns is None:
        spec: Mapping[str, Sequence[str]] = default
    elif isinstance(columns, str):
        spec = {columns: (columns,)}
    elif isinstance(columns, Mapping):
        spec = columns
    else:
        spec = {c: (c,) for c in columns}
    panels = []
    for title, keys in spec.items():
        keys = (keys,) if isinstance(keys, str) else tuple(keys)
        measures = [_measure(str(k), where) for k in keys]
        if not measures:
            raise PlotError(f"{where}: panel '{title}' names no column")
        shown = measures[0].title if len(measures) == 1 and title == measures[0].key else title
        panels.append((shown, measures))
    if not panels:
        raise PlotError(f"{where}: columns is empty; name at least one (see MEASURES)")
    return panels


def _single_measures(
    columns: str | Sequence[str] | None, default: Sequence[str], where: str
) -> list[Measure]:
    if isinstance(columns, Mapping):
        raise PlotError(f"{where}: columns is a list of names here (one panel each), not a table")
    keys = default if columns is None else (columns,) if isinstance(columns, str) else columns
    measures = [_measure(str(k), where) for k in keys]
    if not measures:
        raise PlotError(f"{where}: columns is empty; name at least one (see MEASURES)")
    return measures


def _band_kind(band: str | None, quantiles: tuple[float, float], where: str) -> str:
    kind = "none" if band is None else str(band)
    if kind not in BANDS:
        raise PlotError(unknown(where, kind, BANDS, "band", list_valid=True))
    low, high = (float(q) for q in quantiles)
    if kind == "quantiles" and not 0.0 <= low < high <= 1.0:
        raise PlotError(
            f"{where}: quantiles = {quantiles} must be two numbers 0 <= low < high <= 1"
        )
    return kind


def _arms_of(experiment: Experiment, arms: Sequence[str] | str | None, where: str) -> list[str]:
    names = [str(a["name"]) for a in experiment.manifest["arms"]]
    if arms is None:
        return names
    wanted = [arms] if isinstance(arms, str) else list(arms)
    for arm in wanted:
        if arm not in names:
            raise PlotError(unknown(where, str(arm), names, "arm", list_valid=12))
    return [n for n in names if n in wanted]  # the sweep's order: colours stay put


# ---------------------------------------------------------------------------------------------
# Figures and their parts


def arm_colours(arms: Sequence[str], baseline: str | None = None) -> dict[str, tuple[str, str]]:
    """Each arm's colour and line style, the same in every plot of the sweep.

    ``arms`` in the sweep's order: black for the baseline, then ``ARM_PALETTE`` in order, so an
    arm keeps its colour in a plot that shows only some arms. Past the palette's 16 colours
    they repeat with dashed lines.
    """
    colours = colour_per_arm(arms, baseline)
    order = [a for a in arms if a != baseline]  # past the palette's end: dashed
    return {
        arm: (colour, "--" if arm in order[len(ARM_PALETTE) :] else "-")
        for arm, colour in colours.items()
    }


def _band_frame(
    measure: str,
    arm: str,
    weeks: np.ndarray,
    band: tuple[np.ndarray, np.ndarray, np.ndarray],
    replicates: int,
) -> pd.DataFrame:
    """One arm's band of one measure, week by week: the rows the bands' tables hold."""
    mean, low, high = band
    return pd.DataFrame(
        {
            "measure": measure,
            "arm": arm,
            "week": weeks.astype(np.int64),
            "years": weeks / WEEKS_PER_YEAR,
            "mean": mean,
            "low": low,
            "high": high,
            "replicates": replicates,
        }
    )


def _label(name: str, width: int = 40) -> str:
    return textwrap.fill(name, width) if len(name) > width else name


def _root(ax: Axes) -> Figure:
    fig: Any = ax.figure
    while isinstance(fig, SubFigure):
        fig = fig.figure
    return fig


def _axes(
    n: int, ax: Any, figsize: tuple[float, float] | None, ncols: int, where: str
) -> tuple[Figure, list[Axes], bool]:
    """A grid of ``n`` panels, or the caller's axes; True when the figure is ours."""
    if ax is not None:
        given = [ax] if isinstance(ax, Axes) else list(np.ravel(np.asarray(ax, dtype=object)))
        if len(given) < n or not all(isinstance(a, Axes) for a in given):
            raise PlotError(
                f"{where}: ax must be one matplotlib Axes per panel; {n} panels to draw,"
                f" {len(given)} given (choose fewer with columns=)"
            )
        return _root(given[0]), given[:n], False
    if ncols < 1:
        raise PlotError(f"{where}: ncols = {ncols} must be at least 1")
    ncols = min(ncols, n)
    rows = math.ceil(n / ncols)
    fig = NotebookFigure(figsize=figsize or (4.8 * ncols, 3.1 * rows + 0.7), layout="constrained")
    grid = fig.subplots(rows, ncols, squeeze=False)
    for extra in list(grid.flat)[n:]:
        fig.delaxes(extra)
    return fig, list(grid.flat)[:n], True


def _style(ax: Axes, title: str, ylabel: str, allow_negative: bool = False) -> None:
    ax.set_title(title, fontsize=10)
    ax.set_xlabel("years")
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    if not allow_negative:
        ax.set_ylim(bottom=0)


def _series_of(
    m: Measure, weeks: np.ndarray, values: np.ndarray, cumulative: bool, bin_weeks: int = 1
) -> tuple[np.ndarray, np.ndarray]:
    """What is drawn, at which weeks (``values``' last axis is the week).

    Events per week from week 1 (week 0 is the starting population), or summed over
    ``bin_weeks`` (whole bins only, drawn at each bin's last week), or cumulative from 0 at
    week 0. Levels, and cumulative counts, are drawn every ``bin_weeks`` weeks.
    """
    if m.kind == "flow" and not cumulative:
        keep = weeks > 0
        weeks, values = weeks[keep], values[..., keep]
        whole = weeks.size // bin_weeks
        values = values[..., : whole * bin_weeks]
        values = values.reshape(*values.shape[:-1], whole, bin_weeks).sum(axis=-1)
        return weeks[bin_weeks - 1 : whole * bin_weeks : bin_weeks], values
    if m.kind == "flow":
        values = np.cumsum(np.where(weeks > 0, values, 0.0), axis=-1)
    keep = weeks % bin_weeks == 0
    return weeks[keep], values[..., keep]


def _check_bin(bin_weeks: int, where: str) -> int:
    if isinstance(bin_weeks, bool) or not isinstance(bin_weeks, int | np.integer) or bin_weeks < 1:
        raise PlotError(
            f"{where}: bin_weeks = {bin_weeks!r} must be a whole number of weeks, 1 or more"
        )
    return int(bin_weeks)


# ---------------------------------------------------------------------------------------------
# One run


def plot_run(
    frame: pd.DataFrame,
    columns: Columns = None,
    *,
    ax: Any = None,
    figsize: tuple[float, float] | None = None,
    ncols: int = 2,
    cumulative: bool = False,
    bin_weeks: int = 1,
    title: str | None = None,
    where: str = "plot",
) -> Figure:
    """A grid of one run's weekly series, from its weekly results (one row per week).

    Args:
        frame: the weekly results (``model.timeseries_frame()``, ``RunResult.timeseries``).
        columns: None for the default panels (care states, overdoses, new HIV and HCV
            infections, deaths, prevalence, population); a name or list of names for one panel
            each (see ``MEASURES``); or a mapping ``{panel title: [names]}`` to draw several
            series in one panel.
        ax: draw on these axes instead (one ``Axes`` per panel).
        figsize: the figure's size in inches (default: from the number of panels).
        ncols: panels per row.
        cumulative: events (overdoses, infections, deaths...) as totals since week 0 instead
            of per week; levels and prevalences are drawn as they are.
        bin_weeks: events summed over this many weeks (13: per quarter), levels drawn every
            this many weeks; small populations have few events in any one week.
        title: the figure's title.
        where: how errors name the caller.

    Returns:
        The figure (a notebook shows it; ``fig.savefig("run.png")`` saves it).
    """
    panels = _panels(columns, RUN_PANELS, where)
    bin_weeks = _check_bin(bin_weeks, where)
    if len(frame) < 2:
        raise PlotError(f"{where}: nothing to plot yet, the run has only week 0; run it first")
    fig, axes, ours = _axes(len(panels), ax, figsize, ncols, where)
    weeks = frame["week"].to_numpy(dtype=np.float64)
    for axis, (panel, measures) in zip(axes, panels, strict=True):
        cycle = iter(ARM_PALETTE)
        for m in measures:
            x, y = _series_of(m, weeks, m.values(frame), cumulative, bin_weeks)
            colour = m.colour or next(cycle, None)
            axis.plot(
                x / WEEKS_PER_YEAR, y, color=colour, lw=1.3, label=m.title, gid=f"line:{m.key}"
            )
        labels = {m.ylabel(cumulative, bin_weeks) for m in measures}
        _style(axis, panel, " / ".join(sorted(labels)))
        if len(measures) > 1:
            axis.legend(fontsize=7, loc="best")
    if title and ours:
        fig.suptitle(title)
    return fig


def plot_model(model: HarmReductionModel, columns: Columns = None, **options: Any) -> Figure:
    """``model.plot()``: the weekly series of a model that has run (see ``plot_run``)."""
    if model.timeseries.rows < 2:
        raise PlotError(
            "model.plot(): the model has not run yet (it is at week 0); call model.run() or"
            " model.step() first"
        )
    if options.get("title") is None:
        options["title"] = model.scenario.run.name
    return plot_run(model.timeseries_frame(), columns, where="model.plot()", **options)


def plot_result(result: RunResult, columns: Columns = None, **options: Any) -> Figure:
    """``RunResult.plot()``: the weekly series of a finished run (see ``plot_run``)."""
    if options.get("title") is None:
        options["title"] = result.scenario.run.name
    return plot_run(result.timeseries, columns, where="RunResult.plot()", **options)


# ---------------------------------------------------------------------------------------------
# A sweep: replicates per arm


def _by_replicate(series: pd.DataFrame, arm: str, m: Measure) -> tuple[np.ndarray, np.ndarray, Any]:
    """``(replicates, weeks, values[replicate, week])`` of one arm's runs."""
    rows = series[series["arm"] == arm]
    values = pd.DataFrame({"replicate": rows["replicate"], "week": rows["week"]})
    values["value"] = m.values(rows)
    table = values.pivot(index="replicate", columns="week", values="value").sort_index()
    return table.index.to_numpy(), table.columns.to_numpy(dtype=np.float64), table.to_numpy()


def _summary(values: np.ndarray, band: str, quantiles: tuple[float, float]) -> Any:
    """Mean over replicates (rows) and the band's low and high edges, week by week."""
    from scipy import stats

    n = values.shape[0]
    mean = values.mean(axis=0)
    nan = np.full_like(mean, np.nan)
    if band == "ci95":
        if n < 2:
            return mean, nan, nan
        half = stats.t.ppf(0.975, n - 1) * values.std(axis=0, ddof=1) / math.sqrt(n)
        return mean, mean - half, mean + half
    if band == "quantiles":
        low, high = np.quantile(values, [quantiles[0], quantiles[1]], axis=0)
        return mean, low, high
    return mean, nan, nan


def _band_words(band: str, quantiles: tuple[float, float], counts: Sequence[int], of: str) -> str:
    lo, hi = sorted(set(counts))[0], sorted(set(counts))[-1]
    n = f"{lo}" if lo == hi else f"{lo}-{hi}"
    if band == "ci95":
        return f"band: 95% CI of the mean over {n} {of}"
    if band == "quantiles":
        return f"band: {quantiles[0]:.0%}-{quantiles[1]:.0%} quantiles of {n} {of}"
    return f"mean over {n} {of}"


def trajectory_bands(
    experiment: Experiment,
    columns: str | Sequence[str] | None = None,
    *,
    arms: Sequence[str] | str | None = None,
    band: str | None = "ci95",
    quantiles: tuple[float, float] = (0.1, 0.9),
    cumulative: bool = False,
    bin_weeks: int = 1,
    where: str = "trajectory_bands",
) -> pd.DataFrame:
    """What ``experiment.plot()`` draws, as a table.

    One row per series, arm and week: ``measure, arm, week, years, mean, low, high,
    replicates`` (``low``/``high`` the band's edges, NaN with ``band="none"`` or one
    replicate). Arguments as ``plot_experiment``.
    """
    measures = _single_measures(columns, EXPERIMENT_COLUMNS, where)
    kind = _band_kind(band, quantiles, where)
    bin_weeks = _check_bin(bin_weeks, where)
    names = _arms_of(experiment, arms, where)
    needed = sorted({c for m in measures for c in m.columns})
    series = experiment.read_series(needed, names)
    parts = []
    for m in measures:
        for arm in names:
            _, weeks, values = _by_replicate(series, arm, m)
            if values.size == 0:
                continue  # no finished replicate yet
            x, y = _series_of(m, weeks, values, cumulative, bin_weeks)
            mean, low, high = _summary(y, kind, quantiles)
            parts.append(_band_frame(m.key, arm, x, (mean, low, high), y.shape[0]))
    if not parts:
        raise PlotError(f"{where}: no finished run in the arms asked for; run the sweep first")
    return pd.concat(parts, ignore_index=True)


def _draw_bands(
    fig: Figure,
    axes: list[Axes],
    table: pd.DataFrame,
    panels: list[tuple[str, Measure, str]],
    styles: dict[str, tuple[str, str]],
    names: Mapping[str, str],
    words: str,
    ours: bool,
    allow_negative: bool = False,
) -> None:
    """Per panel, a mean line and a shaded band per arm; one legend for the figure.

    ``names``: each arm's readable label, by its name in the sweep (the legend's text).
    """
    arms = [a for a in styles if a in set(table["arm"])]
    alpha = 0.2 if len(arms) <= 4 else 0.1  # many overlapping bands: fainter
    for axis, (title, m, ylabel) in zip(axes, panels, strict=True):
        for arm in arms:
            part = table[(table["measure"] == m.key) & (table["arm"] == arm)]
            colour, dash = styles[arm]
            x = part["years"].to_numpy()
            axis.plot(x, part["mean"], color=colour, ls=dash, lw=1.4, gid=f"mean:{arm}")
            if part["low"].notna().any():
                axis.fill_between(
                    x, part["low"], part["high"], color=colour, alpha=alpha, lw=0, gid=f"band:{arm}"
                )
        if allow_negative:
            axis.axhline(0.0, color="#333333", lw=0.8)
        _style(axis, title, ylabel, allow_negative)
    handles: list[Any] = [Line2D([], [], color=styles[a][0], ls=styles[a][1], lw=2) for a in arms]
    labels = [_label(names.get(a, a)) for a in arms]
    handles.append(Patch(color="#999999", alpha=0.4, lw=0))
    labels.append(words)
    if ours:
        fig.legend(handles, labels, loc="outside lower center", ncol=2, fontsize=8, frameon=False)
    else:
        axes[0].legend(handles, labels, fontsize=7)


def plot_experiment(
    experiment: Experiment,
    columns: str | Sequence[str] | None = None,
    *,
    arms: Sequence[str] | str | None = None,
    band: str | None = "ci95",
    quantiles: tuple[float, float] = (0.1, 0.9),
    cumulative: bool = False,
    bin_weeks: int = 1,
    ax: Any = None,
    figsize: tuple[float, float] | None = None,
    ncols: int = 2,
    title: str | None = None,
    where: str = "experiment.plot()",
) -> Figure:
    """Per arm, the mean trajectory over replicates with a band, one panel per series.

    Args:
        experiment: a sweep's results (``hrsim.load_experiment``, ``hrsim.run_experiment``).
        columns: the series, one panel each (default: on MOUD, fatal and non-fatal overdoses,
            new HIV, new HCV, deaths from all causes; see ``MEASURES``).
        arms: the arms to draw (default: every arm), by name; each keeps its colour.
        band: ``"ci95"``, the 95% t interval of the mean over replicates (where the expected
            trajectory lies); ``"quantiles"``, the ``quantiles`` of the replicates (where one
            run lies); ``"none"``. The legend says which, and over how many replicates.
        quantiles: the band's quantiles with ``band="quantiles"``.
        cumulative: events as totals since week 0 instead of per week.
        bin_weeks: events summed over this many weeks (13: per quarter), levels drawn every
            this many weeks.
        ax: draw on these axes instead (one ``Axes`` per panel; the legend goes in the first).
        figsize: the figure's size in inches (default: from the number of panels).
        ncols: panels per row.
        title: the figure's title (default: the sweep's name).
        where: how errors name the caller.

    Returns:
        The figure; ``trajectory_bands`` gives the numbers drawn.
    """
    table = trajectory_bands(
        experiment,
        columns,
        arms=arms,
        band=band,
        quantiles=quantiles,
        cumulative=cumulative,
        bin_weeks=bin_weeks,
        where=where,
    )
    measures = _single_measures(columns, EXPERIMENT_COLUMNS, where)
    panels = [(m.title, m, m.ylabel(cumulative, bin_weeks)) for m in measures]
    fig, axes, ours = _axes(len(panels), ax, figsize, ncols, where)
    kind = _band_kind(band, quantiles, where)
    counts = table.drop_duplicates("arm")["replicates"].tolist()
    words = _band_words(kind, quantiles, counts, "replicates")
    styles = arm_colours([str(a["name"]) for a in experiment.manifest["arms"]], experiment.baseline)
    _draw_bands(fig, axes, table, panels, styles, arm_labels(experiment.manifest), words, ours)
    if ours:
        fig.suptitle(title or f"{experiment.name}: mean per arm")
    return fig


# ---------------------------------------------------------------------------------------------
# A sweep: each arm against the baseline, paired by replicate


def averted_bands(
    experiment: Experiment,
    columns: str | Sequence[str] | None = None,
    *,
    baseline: str | None = None,
    arms: Sequence[str] | str | None = None,
    band: str | None = "ci95",
    quantiles: tuple[float, float] = (0.1, 0.9),
    cumulative: bool = True,
    bin_weeks: int = 1,
    averted: bool = True,
    where: str = "averted_bands",
) -> pd.DataFrame:
    """What ``experiment.plot_comparison()`` draws, as a table.

    For each arm but the baseline, each series and week: the mean over replicates of the
    paired difference (baseline minus arm when ``averted``, else arm minus baseline; each
    replicate's two runs share a seed) and its band. Columns ``measure, arm, week, years,
    mean, low, high, replicates``. Only replicates finished in both arms are paired. With
    ``cumulative`` (the default) the last week's row is the run's total averted, with the
    same mean and 95% interval as ``experiment.comparison()``.
    """
    measures = _single_measures(columns, COMPARISON_COLUMNS, where)
    kind = _band_kind(band, quantiles, where)
    bin_weeks = _check_bin(bin_weeks, where)
    base = experiment.baseline if baseline is None else baseline
    names = [str(a["name"]) for a in experiment.manifest["arms"]]
    if base not in names:
        raise PlotError(unknown(where, base, names, "baseline arm", list_valid=12))
    chosen = [a for a in _arms_of(experiment, arms, where) if a != base]
    if not chosen:
        raise PlotError(f"{where}: no arm to compare with the baseline '{base}'")
    needed = sorted({c for m in measures for c in m.columns})
    series = experiment.read_series(needed, [base, *chosen])
    runs = experiment.outcomes.drop_duplicates("run_id")
    seed = {(str(r.arm), int(r.replicate)): int(r.seed) for r in runs.itertuples(index=False)}
    parts = []
    for arm in chosen:
        for m in measures:
            reps_b, weeks_b, values_b = _by_replicate(series, base, m)
            reps_a, weeks_a, values_a = _by_replicate(series, arm, m)
            common = np.intersect1d(reps_a, reps_b)
            if common.size == 0:
                raise PlotError(
                    f"{where}: arm '{arm}' and the baseline '{base}' have no finished replicate"
                    " in common; run the sweep to the end first"
                )
            for r in common:
                if seed[(arm, int(r))] != seed[(base, int(r))]:
                    raise PlotError(
                        f"{where}: arm '{arm}' replicate {int(r)} ran on another seed than the"
                        f" baseline '{base}', so the two cannot be paired; compare arms that"
                        " share the baseline's seeds"
                    )
            weeks = np.intersect1d(weeks_a, weeks_b)  # arms of different lengths: the overlap
            pick_b = values_b[np.searchsorted(reps_b, common)][:, np.searchsorted(weeks_b, weeks)]
            pick_a = values_a[np.searchsorted(reps_a, common)][:, np.searchsorted(weeks_a, weeks)]
            difference = pick_b - pick_a if averted else pick_a - pick_b
            x, y = _series_of(m, weeks, difference, cumulative, bin_weeks)
            mean, low, high = _summary(y, kind, quantiles)
            parts.append(_band_frame(m.key, arm, x, (mean, low, high), common.size))
    return pd.concat(parts, ignore_index=True)


def plot_comparison(
    experiment: Experiment,
    columns: str | Sequence[str] | None = None,
    *,
    baseline: str | None = None,
    arms: Sequence[str] | str | None = None,
    band: str | None = "ci95",
    quantiles: tuple[float, float] = (0.1, 0.9),
    cumulative: bool = True,
    bin_weeks: int = 1,
    averted: bool = True,
    ax: Any = None,
    figsize: tuple[float, float] | None = None,
    ncols: int = 2,
    title: str | None = None,
    where: str = "experiment.plot_comparison()",
) -> Figure:
    """Per arm, what it averted compared with the baseline over time, with a paired band.

    Each replicate of an arm runs on the same seed as the baseline's replicate, so their
    difference is mostly the programme's effect; the line is the mean of those paired
    differences and the band (``band="ci95"``, the default) its 95% t interval, the interval
    ``hrsim compare`` gives at the last week. Positive is better for events averted
    (``averted=True``: baseline minus arm); ``averted=False`` draws arm minus baseline.

    Args:
        experiment: a sweep's results.
        columns: the series, one panel each (default: deaths from all causes, fatal
            overdoses, new HIV, new HCV; see ``MEASURES``).
        baseline: the arm compared against (default: the sweep's baseline).
        arms: the arms to draw (default: every arm but the baseline).
        band: ``"ci95"``, the 95% t interval of the mean paired difference; ``"quantiles"``,
            the ``quantiles`` of the paired differences; ``"none"``.
        quantiles: the band's quantiles with ``band="quantiles"``.
        cumulative: events averted so far (the default) instead of per week; levels (such as
            ``on_moud``) are compared week by week either way.
        bin_weeks: events summed over this many weeks when not ``cumulative``; points drawn
            every this many weeks.
        averted: baseline minus arm (True) or arm minus baseline (False).
        ax: draw on these axes instead (one ``Axes`` per panel; the legend goes in the first).
        figsize: the figure's size in inches (default: from the number of panels).
        ncols: panels per row.
        title: the figure's title.
        where: how errors name the caller.

    Returns:
        The figure; ``averted_bands`` gives the numbers drawn.
    """
    table = averted_bands(
        experiment,
        columns,
        baseline=baseline,
        arms=arms,
        band=band,
        quantiles=quantiles,
        cumulative=cumulative,
        bin_weeks=bin_weeks,
        averted=averted,
        where=where,
    )
    base = experiment.baseline if baseline is None else baseline
    measures = _single_measures(columns, COMPARISON_COLUMNS, where)
    panels = []
    for m in measures:
        if averted and m.kind == "flow":
            heading = f"{m.title} averted"
        else:
            heading = f"{m.title}: {'baseline - arm' if averted else 'arm - baseline'}"
        panels.append((heading, m, m.ylabel(cumulative, bin_weeks)))
    fig, axes, ours = _axes(len(panels), ax, figsize, ncols, where)
    kind = _band_kind(band, quantiles, where)
    counts = table.drop_duplicates("arm")["replicates"].tolist()
    words = _band_words(kind, quantiles, counts, "paired replicates")
    # Colours as in experiment.plot(): the sweep's own baseline is black there.
    styles = arm_colours([str(a["name"]) for a in experiment.manifest["arms"]], experiment.baseline)
    names = arm_labels(experiment.manifest)
    _draw_bands(fig, axes, table, panels, styles, names, words, ours, allow_negative=True)
    if ours:
        fig.suptitle(title or f"Compared with {names[base]}: mean paired difference per arm")
    return fig
