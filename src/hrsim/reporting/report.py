"""``hrsim report``: a self-contained HTML report of a sweep, with its figures and tables.

The report reads only the sweep's store. Everything is compared with the sweep's baseline
arm, replicate by replicate (common random numbers), with paired 95% t intervals
(``hrsim.analysis.compare.paired``). It shows:

- weekly trajectories per arm (on MOUD; fatal overdoses, new HIV and HCV per quarter) with
  the mean over replicates and a 95% confidence band of that mean;
- deaths, fatal overdoses and infections averted, and life-years gained, with intervals;
- cost, incremental cost and cost per death, per infection and per life-year averted or
  gained, and the cost-effectiveness plane;
- for swept parameters: a heat map (two parameters), an effect curve (one), or a tornado
  chart (one at a time, more than two parameters, or a Latin-hypercube sample).

Every figure is also saved as PNG and every table as CSV next to the HTML file.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from hrsim.analysis.compare import OUTCOMES, paired
from hrsim.batch.store import Experiment, StoreError
from hrsim.files import write_csv_atomic
from hrsim.reporting import figures

#: What the report calls each outcome.
LABELS = {
    "fatal_overdoses": "fatal overdoses",
    "nonfatal_overdoses": "non-fatal overdoses",
    "new_hiv": "new HIV infections",
    "new_hcv": "new HCV infections",
    "deaths_all_causes": "deaths (all causes)",
    "life_years": "life-years",
    "life_years_lost": "life-years lost",
    "cost_usd": "cost (US$)",
    "infections": "new HIV + HCV infections",
}

#: Averted = baseline minus arm (positive is good); gained = arm minus baseline.
AVERTED = (
    ("deaths_all_causes", "deaths averted"),
    ("fatal_overdoses", "fatal overdoses averted"),
    ("new_hiv", "HIV infections averted"),
    ("new_hcv", "HCV infections averted"),
    ("infections", "infections averted (HIV + HCV)"),
    ("life_years", "life-years gained"),
)

MAX_TRAJECTORY_ARMS = 8


def write_report(experiment: Experiment, out: Path, baseline: str | None = None) -> Path:
    """Write ``out`` (HTML), with PNG figures and CSV tables in the same directory."""
    if not experiment.done:
        raise StoreError(f"{experiment.path}: no finished runs yet; run the sweep first")
    arms = [a["name"] for a in experiment.manifest["arms"]]
    base = baseline or experiment.baseline
    if base not in arms:
        close = [a for a in arms if base.lower() in a.lower()][:1]
        hint = f"; did you mean '{close[0]}'?" if close else ""
        raise StoreError(f"--baseline: no arm '{base}' in this sweep{hint}")
    out = Path(out)
    folder = out.parent
    folder.mkdir(parents=True, exist_ok=True)
    wide = _paired_runs(experiment)
    page = figures.Page(f"Sweep report: {experiment.name}", folder)
    _overview(page, experiment, wide, base)

    by_arm = _outcomes_by_arm(wide, arms)
    _save_csv(by_arm, folder / "outcomes_by_arm.csv")
    _save_csv(experiment.outcomes_wide(), folder / "runs.csv")

    averted = _averted(wide, arms, base)
    _save_csv(averted, folder / "averted.csv")
    cea = _cost_effectiveness(wide, arms, base)
    _save_csv(cea, folder / "cost_effectiveness.csv")

    _trajectory_section(page, experiment, wide, averted, base, folder)
    _averted_section(page, averted, base)
    _cost_section(page, cea, base)
    if not cea.empty:
        _ce_plane(page, cea, averted, base)
    _parameter_section(page, experiment, averted, base, folder)

    page.heading("Outcomes by arm")
    page.paragraph(
        "Means over replicates with 95% confidence intervals of the mean (t distribution)."
    )
    page.table(_by_arm_table(by_arm))
    _methods(page, experiment)
    return page.write(out)


# ---------------------------------------------------------------------------------------------
# Numbers


def _paired_runs(experiment: Experiment) -> pd.DataFrame:
    """One row per run with every outcome, keeping replicates finished in every arm."""
    wide = experiment.outcomes_wide()
    wide["infections"] = wide["new_hiv"] + wide["new_hcv"]
    n_arms = len(experiment.manifest["arms"])
    complete = wide.groupby("replicate")["arm"].nunique()
    keep = complete[complete == n_arms].index
    return wide[wide["replicate"].isin(keep)].sort_values(["arm_id", "replicate"])


def _column(wide: pd.DataFrame, arm: str, outcome: str) -> np.ndarray:
    return wide.loc[wide["arm"] == arm, outcome].to_numpy(dtype=np.float64)


def _mean_ci(values: np.ndarray) -> tuple[float, float, float]:
    mean = float(values.mean()) if values.size else math.nan
    if values.size < 2:
        return mean, math.nan, math.nan
    half = float(stats.t.ppf(0.975, values.size - 1) * values.std(ddof=1) / np.sqrt(values.size))
    return mean, mean - half, mean + half


def _outcomes_by_arm(wide: pd.DataFrame, arms: list[str]) -> pd.DataFrame:
    rows = []
    for arm in arms:
        for outcome in [*OUTCOMES, "infections"]:
            values = _column(wide, arm, outcome)
            mean, lo, hi = _mean_ci(values)
            rows.append(
                {
                    "arm": arm,
                    "outcome": outcome,
                    "mean": mean,
                    "ci95_low": lo,
                    "ci95_high": hi,
                    "replicates": values.size,
                }
            )
    return pd.DataFrame(rows)


def _averted(wide: pd.DataFrame, arms: list[str], base: str) -> pd.DataFrame:
    rows = []
    for arm in arms:
        if arm == base:
            continue
        for outcome, label in AVERTED:
            o = paired(_column(wide, base, outcome), _column(wide, arm, outcome))
            sign = 1.0 if outcome == "life_years" else -1.0  # gained vs averted
            lo, hi = sorted((sign * o.difference_ci95[0], sign * o.difference_ci95[1]))
            rows.append(
                {
                    "arm": arm,
                    "measure": label,
                    "outcome": outcome,
                    "value": sign * o.difference_mean,
                    "ci95_low": lo,
                    "ci95_high": hi,
                    "baseline_mean": o.baseline_mean,
                    "arm_mean": o.arm_mean,
                }
            )
    return pd.DataFrame(
        rows,
        columns=[
            "arm",
            "measure",
            "outcome",
            "value",
            "ci95_low",
            "ci95_high",
            "baseline_mean",
            "arm_mean",
        ],
    )


def _cost_effectiveness(wide: pd.DataFrame, arms: list[str], base: str) -> pd.DataFrame:
    rows = []
    for arm in arms:
        if arm == base:
            continue
        cost = paired(_column(wide, base, "cost_usd"), _column(wide, arm, "cost_usd"))
        row: dict[str, Any] = {
            "arm": arm,
            "cost_usd": cost.arm_mean,
            "incremental_cost_usd": cost.difference_mean,
            "incremental_cost_ci95_low": cost.difference_ci95[0],
            "incremental_cost_ci95_high": cost.difference_ci95[1],
        }
        for outcome, total, unit in (
            ("deaths_all_causes", "deaths_averted", "death_averted"),
            ("infections", "infections_averted", "infection_averted"),
            ("life_years", "life_years_gained", "life_year_gained"),
        ):
            o = paired(_column(wide, base, outcome), _column(wide, arm, outcome))
            effect = o.difference_mean if outcome == "life_years" else -o.difference_mean
            row[total] = effect
            row[f"cost_per_{unit}_usd"] = _ratio(cost.difference_mean, effect)
        rows.append(row)
    return pd.DataFrame(rows)


def _ratio(extra_cost: float, effect: float) -> float:
    """Cost per unit of effect; NaN when nothing is averted (the ratio means nothing then)."""
    return extra_cost / effect if effect > 0 else math.nan


# ---------------------------------------------------------------------------------------------
# Sections


def _overview(page: figures.Page, experiment: Experiment, wide: pd.DataFrame, base: str) -> None:
    m = experiment.manifest
    arms = m["arms"]
    people = sorted({a["people"] for a in arms})
    years = sorted({a["years"] for a in arms})
    replicates = wide["replicate"].nunique()
    text = (
        f"{len(arms)} arms x {m['replicates']} replicates = {experiment.total_runs} runs "
        f"({len(experiment.done)} finished); "
        f"{', '.join(f'{p:,}' for p in people)} people over "
        f"{', '.join(f'{y:g}' for y in years)} years; base seed {m['seed']}. "
        f"Baseline arm: {base}. Comparisons use the {replicates} replicates finished in every arm."
    )
    page.paragraph(text)
    page.paragraph(
        f"hrsim {m['hrsim_version']} (commit {m.get('git_commit') or 'unknown'}); sweep "
        f"{m['spec_file']}; created {m['created']}; store {experiment.path}.",
        "note",
    )
    if experiment.missing:
        page.paragraph(
            f"{len(experiment.missing)} runs are not finished yet: run the same hrsim sweep"
            " command again to complete them, then rebuild this report.",
            "fail",
        )


def _fmt(value: float, digits: int = 0, money: bool = False) -> str:
    if value is None or not math.isfinite(value):
        return "-"
    text = f"{abs(value):,.{digits}f}"
    sign = "-" if value < 0 and text.strip("0.,") else ""
    return f"{sign}{'$' if money else ''}{text}"


def _with_ci(value: float, lo: float, hi: float, digits: int = 1, money: bool = False) -> str:
    if not math.isfinite(lo):
        return _fmt(value, digits, money)
    return f"{_fmt(value, digits, money)} ({_fmt(lo, digits, money)} to {_fmt(hi, digits, money)})"


def _by_arm_table(by_arm: pd.DataFrame) -> pd.DataFrame:
    shown = ["deaths_all_causes", "fatal_overdoses", "new_hiv", "new_hcv", "life_years", "cost_usd"]
    table: dict[str, dict[str, str]] = {}
    for row in by_arm.itertuples(index=False):
        if row.outcome in shown:
            money = row.outcome == "cost_usd"
            table.setdefault(str(row.arm), {})[LABELS[str(row.outcome)]] = _with_ci(
                row.mean, row.ci95_low, row.ci95_high, 0 if money else 1, money
            )
    frame = pd.DataFrame.from_dict(table, orient="index")[[LABELS[o] for o in shown]]
    return frame.rename_axis("arm").reset_index()


def _trajectory_section(
    page: figures.Page,
    experiment: Experiment,
    wide: pd.DataFrame,
    averted: pd.DataFrame,
    base: str,
    folder: Path,
) -> None:
    arms = [a["name"] for a in experiment.manifest["arms"]]
    shown = arms
    note = ""
    if len(arms) > MAX_TRAJECTORY_ARMS:
        deaths = averted[averted["outcome"] == "deaths_all_causes"].sort_values(
            "value", ascending=False
        )
        best = deaths["arm"].head(MAX_TRAJECTORY_ARMS - 1).tolist()
        shown = [base, *[a for a in arms if a in best]]
        note = (
            f" The baseline and the {len(best)} arms with the most deaths averted are shown;"
            " trajectories.csv has every arm."
        )
    needed = ["methadone", "buprenorphine", "overdoses_fatal", "hiv_infections", "hcv_infections"]
    series = experiment.read_series(needed)
    series = series[series["replicate"].isin(set(wide["replicate"]))]
    measures = _trajectory_measures(series)
    _save_csv(measures, folder / "trajectories.csv")
    wrapped = dict(zip(arms, _wrap(arms, 60), strict=True))
    panels = [
        (
            title,
            measures[(measures["measure"] == key) & measures["arm"].isin(shown)].assign(
                arm=lambda f: f["arm"].map(wrapped)
            ),
        )
        for key, title in TRAJECTORY_TITLES.items()
    ]
    page.heading("Trajectories")
    page.figure(
        figures.trajectories(panels),
        "trajectories",
        "Mean over replicates per arm; the band is the 95% confidence interval of the mean." + note,
    )


TRAJECTORY_TITLES = {
    "on_moud": "people on MOUD (weekly)",
    "fatal_overdoses_per_quarter": "fatal overdoses per quarter",
    "new_hiv_per_quarter": "new HIV infections per quarter",
    "new_hcv_per_quarter": "new HCV infections per quarter",
}


def _trajectory_measures(series: pd.DataFrame) -> pd.DataFrame:
    """Per arm and time: mean, 95% CI of the mean, over replicates (long form)."""
    weekly = series[["arm_id", "arm", "replicate", "week"]].copy()
    weekly["on_moud"] = series["methadone"] + series["buprenorphine"]
    flows = series.loc[series["week"] > 0, ["arm_id", "arm", "replicate", "week"]].copy()
    flows["quarter"] = (flows["week"] - 1) // 13 + 1
    for source, name in (
        ("overdoses_fatal", "fatal_overdoses_per_quarter"),
        ("hiv_infections", "new_hiv_per_quarter"),
        ("hcv_infections", "new_hcv_per_quarter"),
    ):
        flows[name] = series.loc[flows.index, source]
    # Only whole quarters: a last part-quarter would look like a drop.
    full = flows.groupby(["arm_id", "quarter"])["week"].transform("nunique") == 13
    quarterly = flows[full].groupby(["arm_id", "arm", "replicate", "quarter"], sort=False).sum()
    quarterly = quarterly.drop(columns="week").reset_index()
    quarterly["x"] = quarterly["quarter"] * 13 / 52.0
    weekly["x"] = weekly["week"] / 52.0
    parts = []
    for frame, columns in (
        (weekly, ["on_moud"]),
        (quarterly, [c for c in TRAJECTORY_TITLES if c.endswith("_per_quarter")]),
    ):
        for column in columns:
            grouped = frame.groupby(["arm_id", "arm", "x"], sort=True)[column]
            summary = grouped.agg(["mean", "std", "count"]).reset_index()
            t = stats.t.ppf(0.975, np.maximum(summary["count"] - 1, 1))
            half = np.where(
                summary["count"] > 1, t * summary["std"] / np.sqrt(summary["count"]), np.nan
            )
            summary["low"] = summary["mean"] - half
            summary["high"] = summary["mean"] + half
            summary["measure"] = column
            parts.append(summary.drop(columns="std"))
    out = pd.concat(parts, ignore_index=True)
    return out[["measure", "arm_id", "arm", "x", "mean", "low", "high", "count"]].rename(
        columns={"count": "replicates"}
    )


def _averted_section(page: figures.Page, averted: pd.DataFrame, base: str) -> None:
    page.heading(f"Deaths and infections averted, compared with {base}")
    if averted.empty:
        page.paragraph("The sweep has a single arm: nothing to compare.")
        return
    page.paragraph(
        "Baseline minus arm, replicate by replicate (common random numbers), with paired 95%"
        " t intervals; positive numbers are deaths or infections averted, life-years gained."
    )
    table: dict[str, dict[str, str]] = {}
    for row in averted.itertuples(index=False):
        table.setdefault(str(row.arm), {})[str(row.measure)] = _with_ci(
            row.value, row.ci95_low, row.ci95_high
        )
    page.table(pd.DataFrame.from_dict(table, orient="index").rename_axis("arm").reset_index())
    for outcome, name in (("deaths_all_causes", "deaths"), ("infections", "infections")):
        part = averted[averted["outcome"] == outcome]
        half = ((part["ci95_high"] - part["ci95_low"]) / 2).fillna(0).tolist()
        page.figure(
            figures.horizontal_bars(
                _wrap(part["arm"]), part["value"].tolist(), f"{name} averted", half
            ),
            f"{name}_averted",
            f"{name.capitalize()} averted compared with {base}, with paired 95% intervals.",
        )


def _cost_section(page: figures.Page, cea: pd.DataFrame, base: str) -> None:
    page.heading("Cost and cost-effectiveness")
    if cea.empty:
        return
    page.paragraph(
        "Cost counts programme costs and MOUD treatment over the horizon (undiscounted US"
        " dollars). Incremental cost is paired with the baseline. A cost per death or"
        " infection averted is shown only where the arm averts some; '-' otherwise. A"
        " negative incremental cost with deaths averted means the arm saves money and lives."
    )
    rows = []
    for r in cea.itertuples(index=False):
        rows.append(
            {
                "arm": r.arm,
                "cost": _fmt(r.cost_usd, money=True),
                "incremental cost (95% CI)": _with_ci(
                    r.incremental_cost_usd,
                    r.incremental_cost_ci95_low,
                    r.incremental_cost_ci95_high,
                    0,
                    True,
                ),
                "deaths averted": _fmt(r.deaths_averted, 1),
                "cost per death averted": _fmt(r.cost_per_death_averted_usd, money=True),
                "infections averted": _fmt(r.infections_averted, 1),
                "cost per infection averted": _fmt(r.cost_per_infection_averted_usd, money=True),
                "cost per life-year gained": _fmt(r.cost_per_life_year_gained_usd, money=True),
            }
        )
    page.table(pd.DataFrame(rows))


def _ce_plane(page: figures.Page, cea: pd.DataFrame, averted: pd.DataFrame, base: str) -> None:
    deaths = averted[averted["outcome"] == "deaths_all_causes"].set_index("arm")
    labels = cea["arm"].tolist()
    page.figure(
        figures.cost_effectiveness_plane(
            _wrap(labels, 60),
            deaths.loc[labels, "value"].tolist(),
            ((deaths.loc[labels, "ci95_high"] - deaths.loc[labels, "ci95_low"]) / 2)
            .fillna(0)
            .tolist(),
            cea["incremental_cost_usd"].tolist(),
            ((cea["incremental_cost_ci95_high"] - cea["incremental_cost_ci95_low"]) / 2)
            .fillna(0)
            .tolist(),
            "deaths averted vs baseline",
        ),
        "cost_effectiveness_plane",
        "Each arm's deaths averted and extra cost compared with the baseline, with 95%"
        " intervals. Lower right: fewer deaths for less money.",
    )


def _parameter_section(
    page: figures.Page,
    experiment: Experiment,
    averted: pd.DataFrame,
    base: str,
    folder: Path,
) -> None:
    params = experiment.parameters
    design = experiment.manifest.get("design")
    if not params or averted.empty:
        return
    arms = experiment.arms.set_index("arm")
    page.heading("Swept parameters")
    rows = []
    for outcome, label in (
        ("deaths_all_causes", "deaths averted"),
        ("infections", "infections averted"),
    ):
        part = averted[averted["outcome"] == outcome].set_index("arm")
        effect = arms[["scenario", *params]].join(part[["value", "ci95_low", "ci95_high"]])
        effect.loc[base, ["value", "ci95_low", "ci95_high"]] = 0.0
        effect = effect.reset_index()
        rows.append(effect.assign(measure=label))
        if design == "factorial" and len(params) == 2:
            _heat_maps(page, effect, params, label, base)
        elif design == "factorial" and len(params) == 1:
            _effect_curve(page, effect, params[0], label, base)
        else:
            _tornado(page, effect, params, label, base, design, experiment)
    _save_csv(pd.concat(rows, ignore_index=True), folder / "parameters.csv")


def _short(key: str) -> str:
    parts = key.split(".")
    return ".".join(parts[1:]) if parts[0] == "interventions" else parts[-1]


def _show(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def _heat_maps(
    page: figures.Page, effect: pd.DataFrame, params: list[str], label: str, base: str
) -> None:
    x_key, y_key = params[1], params[0]
    for scenario, part in effect.groupby("scenario", sort=False):
        xs = list(dict.fromkeys(part[x_key]))
        ys = list(dict.fromkeys(part[y_key]))
        grid = np.full((len(ys), len(xs)), np.nan)
        notes = [["" for _ in xs] for _ in ys]
        for row in part.to_dict("records"):
            r, c = ys.index(row[y_key]), xs.index(row[x_key])
            grid[r, c] = row["value"]
            notes[r][c] = f"{row['value']:,.1f}"
        name = f"heat_map_{label.split()[0]}_{_slug(str(scenario))}"
        page.figure(
            figures.heat_map(
                grid,
                [_show(v) for v in xs],
                [_show(v) for v in ys],
                _short(x_key),
                _short(y_key),
                f"{label} vs baseline",
                notes,
            ),
            name,
            f"Mean {label} compared with {base}, by {_short(y_key)} and {_short(x_key)}"
            + (f" ({scenario})" if effect["scenario"].nunique() > 1 else "")
            + "; intervals are in parameters.csv.",
        )


def _effect_curve(
    page: figures.Page, effect: pd.DataFrame, key: str, label: str, base: str
) -> None:
    series = []
    for scenario, part in effect.groupby("scenario", sort=False):
        part = part.sort_values(key)
        series.append((str(scenario), part["value"], part["ci95_low"], part["ci95_high"]))
    x = effect.drop_duplicates(key).sort_values(key)[key].tolist()
    page.figure(
        figures.effect_with_interval(x, series, _short(key), f"{label} vs baseline"),
        f"effect_{label.split()[0]}",
        f"Mean {label} compared with {base} at each value of {_short(key)}, with paired 95%"
        " intervals.",
    )


def _tornado(
    page: figures.Page,
    effect: pd.DataFrame,
    params: list[str],
    label: str,
    base: str,
    design: Any,
    experiment: Experiment,
) -> None:
    """Low and high ends of each parameter's range: measured (one at a time, grids) or fitted."""
    low: list[float] = []
    high: list[float] = []
    labels = []
    if design == "sample":
        sampled = effect.dropna(subset=params)
        x = sampled[params].to_numpy(dtype=float)
        y = sampled["value"].to_numpy(dtype=float)
        if len(y) <= len(params) + 1:
            return
        design_matrix = np.column_stack([np.ones(len(y)), x])
        coef, *_ = np.linalg.lstsq(design_matrix, y, rcond=None)
        centre = float(y.mean())
        ranges = experiment.manifest["spec"]["sample"]["ranges"]
        flat = _flatten(ranges)
        for i, key in enumerate(params):
            lo, hi = flat[key]
            mid = x[:, i].mean()
            low.append(centre + coef[i + 1] * (lo - mid))
            high.append(centre + coef[i + 1] * (hi - mid))
            labels.append(f"{_short(key)} ({_show(lo)} to {_show(hi)})")
        caption = (
            f"Change in {label} across each sampled range, from a linear regression over the"
            " Latin-hypercube arms (other parameters at their mean)."
        )
    else:
        centre = float(effect.loc[effect["arm"] == base, "value"].iloc[0]) if design else 0.0
        for key in params:
            varied = effect.dropna(subset=[key])
            levels = sorted(varied[key].unique())
            lo_v, hi_v = levels[0], levels[-1]
            low.append(float(varied.loc[varied[key] == lo_v, "value"].mean()))
            high.append(float(varied.loc[varied[key] == hi_v, "value"].mean()))
            labels.append(f"{_short(key)} ({_show(lo_v)} to {_show(hi_v)})")
        if design == "factorial":
            centre = float(effect["value"].mean())
            caption = (
                f"Mean {label} at each parameter's lowest and highest value, averaged over the"
                " other parameters' values (main effects)."
            )
        else:
            caption = (
                f"{label.capitalize()} with each parameter at its lowest and highest value,"
                f" the others as in {base}."
            )
    page.figure(
        figures.tornado(
            _wrap(labels),
            low,
            high,
            centre,
            f"{label} vs baseline",
            "lowest value",
            "highest value",
        ),
        f"tornado_{label.split()[0]}",
        caption,
    )


def _flatten(table: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in table.items():
        name = f"{prefix}.{key}" if prefix else key
        if isinstance(value, dict):
            flat.update(_flatten(value, name))
        else:
            flat[name] = value
    return flat


def _wrap(names: Any, width: int = 34) -> list[str]:
    """Long arm names (a grid point's every value) on a few short lines, for figures.

    Lines break after a space, a dot, a comma or a bar, so dotted parameter names split at
    their dots rather than in the middle of a word.
    """
    wrapped = []
    for name in names:
        lines = [""]
        for piece in re.split(r"(?<=[ .,|])", str(name)):
            if lines[-1] and len(lines[-1]) + len(piece) > width:
                lines.append("")
            lines[-1] += piece
        wrapped.append("\n".join(line.strip() for line in lines))
    return wrapped


def _slug(text: str) -> str:
    return "".join(ch if ch.isalnum() else "_" for ch in text).strip("_")[:40] or "arm"


def _methods(page: figures.Page, experiment: Experiment) -> None:
    page.heading("Methods")
    page.paragraph(
        "Every arm runs on the same replicate seeds (spawned from the base seed with NumPy's"
        " SeedSequence), so within a replicate two arms share the same random draws wherever"
        " their programmes do not change them. Differences are computed replicate by"
        " replicate and summarised with t intervals; with few replicates the intervals are"
        " wide, and with one replicate there are none. Life-years are people x horizon less"
        " the rest of the horizon at each death. Costs are undiscounted."
    )
    page.paragraph(
        "Files next to this report: outcomes_by_arm.csv, averted.csv, cost_effectiveness.csv,"
        " trajectories.csv, runs.csv (one row per run), parameters.csv (for swept parameters)"
        " and every figure as PNG.",
        "note",
    )


def _save_csv(frame: pd.DataFrame, path: Path) -> None:
    write_csv_atomic(path, frame, index=False)
