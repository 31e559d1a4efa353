"""``hrsim report``: a sweep's report as a briefing, self-contained HTML and the same as PDF.

The report reads only the sweep's store and a validation result: the one it is given (``hrsim
report --validation FILE``), or the first it finds near the store.
Everything is compared with the sweep's baseline arm, replicate by replicate (common random
numbers), with paired 95% t intervals (``hrsim.analysis.compare``, the same numbers as
``hrsim compare``). Arms have readable names and one colour each in every figure
(``hrsim.reporting.arms``). It shows:

- an executive summary in plain words: each option's deaths, fatal overdoses, HIV and HCV
  infections averted and QALYs gained with their intervals, whether each can be told from
  chance, its extra cost and cost per QALY gained (or "not estimable"), the best buy at a
  willingness to pay, and the validation status (``hrsim.reporting.briefing``);
- what each arm contains: its programmes with their key settings and the values a grid set;

- what the costs and QALYs are: perspective, price year and currency, discount rate, horizon
  (from the arms' ``[economics]``; the economic sections are left out, saying why, when the
  arms do not share them);
- weekly trajectories per arm (on MOUD; fatal overdoses, new HIV and HCV per quarter) with
  the mean over replicates and a 95% confidence band of that mean;
- QALYs gained (discounted, lifetime) and HIV infections, HCV infections and deaths averted,
  each on its own, with intervals;
- cost-effectiveness: incremental discounted cost, the ICER per QALY gained (Fieller's
  interval), the incremental table on the efficient frontier (dominated and extendedly
  dominated arms marked), the cost-effectiveness plane (one point per paired replicate), the
  net monetary benefit at the willingness-to-pay thresholds, the cost components, the share
  of QALYs and costs after the run (the lifetime tail), and, secondary, the run cost charged
  to one outcome at a time (per death, per HIV infection, per HCV infection averted);
- for swept parameters: a heat map (two parameters), an effect curve (one), or a tornado
  chart (one at a time, more than two parameters, or a Latin-hypercube sample) of deaths
  averted and QALYs gained; heat maps outline the cells that differ from the baseline
  beyond chance (the paired 95% interval excludes zero);
- every ratio (ICER, frontier ICERs, run cost per outcome averted) with Fieller's interval,
  or "not estimable" when the interval of its denominator spans zero;
- the validation status (targets met by role, near misses, misses) from ``hrsim validate
  --json``'s output (or the ``validation.json`` that ``hrsim validate --html`` writes beside
  its page), or the command that makes one;
- assumptions and limitations in plain words, specific to the model and the sweep;
- the methods: the CHEERS 2022 items the run states, in plain words
  (``hrsim.reporting.methods.cheers_methods``), and the source of every utility and unit cost.

Every figure is also saved as PNG and every table as CSV next to the HTML file, and the page is
printed to PDF beside it by headless Chromium (``hrsim.reporting.pdf``). :func:`write_report`
returns the page; :func:`write_report_result` also says what was written and gives the
executive summary's numbers (:class:`ReportResult`, what ``hrsim report --json`` prints).
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from hrsim.analysis.compare import (
    DOMINANT,
    DOMINATED,
    LESS_COSTLY_LESS_EFFECTIVE,
    MORE_COSTLY_MORE_EFFECTIVE,
    OUTCOMES,
    PAIRING_OUTCOMES,
    PER_OUTCOME,
    Comparison,
    EconomicsMismatchError,
    EconomicsSettings,
    Icer,
    agreed_economics,
    economics_of_manifest,
    paired,
    summarise,
)
from hrsim.analysis.stats import Pairing, RatioInterval, fieller
from hrsim.batch.store import Experiment, StoreError
from hrsim.economics.costs import COMPONENTS
from hrsim.files import write_csv_atomic
from hrsim.reporting import economics_figures, figures
from hrsim.reporting.arms import (
    ABBREVIATIONS,
    arm_contents,
    arm_labels,
    parameter_label,
    readable_name,
    value_text,
)
from hrsim.reporting.briefing import (
    assumptions_section,
    executive_summary,
    headline_table,
    validation_section,
)
from hrsim.reporting.methods import cheers_methods, sources_table
from hrsim.reporting.palette import arm_colours
from hrsim.reporting.pdf import chromium, html_to_pdf
from hrsim.reporting.validation_status import (
    ValidationStatus,
    candidates,
    find_validation,
    read_validation,
)
from hrsim.scenario import Scenario, ScenarioError, build_scenario

#: What the report calls each outcome.
LABELS = {
    "fatal_overdoses": "fatal overdoses",
    "nonfatal_overdoses": "non-fatal overdoses",
    "new_hiv": "new HIV infections",
    "new_hcv": "new HCV infections",
    "deaths_all_causes": "deaths (all causes)",
    "life_years": "life-years",
    "life_years_lost": "life-years lost",
    "cost_usd": "run cost (undiscounted)",
    "qalys": "QALYs (discounted, lifetime)",
    "cost_discounted_usd": "cost (discounted, lifetime)",
}

#: Averted = baseline minus arm (positive is good); gained = arm minus baseline.
AVERTED = (
    ("deaths_all_causes", "deaths averted"),
    ("fatal_overdoses", "fatal overdoses averted"),
    ("new_hiv", "HIV infections averted"),
    ("new_hcv", "HCV infections averted"),
    ("life_years", "life-years gained (in the run)"),
    ("qalys", "QALYs gained (discounted, lifetime)"),
)
GAINED = frozenset({"life_years", "qalys"})

#: What the swept-parameter figures show: (outcome, label, file-name part).
PARAMETER_MEASURES = (
    ("deaths_all_causes", "deaths averted", "deaths"),
    ("qalys", "QALYs gained", "qalys"),
)

#: What each cost component is called in the tables.
COMPONENT_LABELS = {
    "programmes": "programmes",
    "treatment": "treatment",
    "acute": "acute care",
    "chronic": "chronic care",
    "criminal_justice": "criminal justice",
    "productivity": "productivity",
}

MAX_TRAJECTORY_ARMS = 8
MAX_PLANE_ARMS = 8


@dataclass(frozen=True)
class ReportResult:
    """What :func:`write_report_result` wrote, and the numbers its executive summary gives.

    ``csvs`` and ``figures`` are the tables and PNGs this report wrote (files already in the
    folder that it did not write are not listed); ``headline`` is
    :func:`hrsim.reporting.briefing.headline_table`; ``validation`` the validation result the
    report used, or None.
    """

    html: Path
    pdf: Path | None
    csvs: tuple[Path, ...]
    figures: tuple[Path, ...]
    baseline: str
    baseline_label: str
    replicates: int
    headline: pd.DataFrame
    validation: ValidationStatus | None

    def as_dict(self, moved: tuple[Path, Path] | None = None) -> dict[str, Any]:
        """Plain types for JSON (no NaN: a missing interval is null).

        ``moved``: ``(written_in, now_in)`` when the files were written in a staging folder
        and then moved, so the paths say where they are now.
        """

        def where(path: Path) -> str:
            if moved is not None:
                return str(moved[1] / path.relative_to(moved[0]))
            return str(path)

        def number(value: Any) -> float | None:
            return float(value) if math.isfinite(float(value)) else None

        headline = [
            {
                **{k: row[k] for k in ("arm", "label", "outcome", "measure")},
                **{k: number(row[k]) for k in ("value", "ci95_low", "ci95_high")},
                "beyond_chance": bool(row["beyond_chance"]),
            }
            for row in self.headline.to_dict("records")
        ]
        validation = None
        if self.validation is not None:
            v = self.validation
            validation = {
                "file": str(v.path),
                "met": v.passed,
                "targets": len(v.rows),
                "met_by_role": v.met_by_role(),
                "near_misses": v.near_misses(),
                "misses": v.misses(),
                "not_enough_data": v.too_small(),
            }
        return {
            "report": where(self.html),
            "pdf": None if self.pdf is None else where(self.pdf),
            "csv": [where(p) for p in self.csvs],
            "figures": [where(p) for p in self.figures],
            "baseline": {"arm": self.baseline, "label": self.baseline_label},
            "replicates": self.replicates,
            "headline": headline,
            "validation": validation,
        }


def write_report(
    experiment: Experiment,
    out: Path,
    baseline: str | None = None,
    *,
    validation: Path | None = None,
    pdf: bool = True,
) -> Path:
    """Write ``out`` (HTML) and the same report as PDF beside it, with PNG figures and CSVs.

    ``validation``: a validation result (``hrsim validate --json`` saved to a file, or the
    ``validation.json`` beside ``hrsim validate --html``'s page); a file that is missing or is
    not one raises a one-line ``ValueError``. By default the first of
    :func:`hrsim.reporting.validation_status.candidates` that holds one is used.
    ``pdf``: print ``out`` with its suffix ``.pdf`` (headless Chromium); without Chromium a
    one-line :class:`hrsim.reporting.pdf.PdfError` is raised before any work.
    Returns the page; :func:`write_report_result` says more.
    """
    return write_report_result(experiment, out, baseline, validation=validation, pdf=pdf).html


def _files(folder: Path) -> dict[str, tuple[int, int]]:
    """Each file in ``folder`` with its inode and modification time (to see what is new)."""
    try:
        entries = list(os.scandir(folder))
    except FileNotFoundError:
        return {}
    return {e.name: (e.stat().st_ino, e.stat().st_mtime_ns) for e in entries if e.is_file()}


def write_report_result(
    experiment: Experiment,
    out: Path,
    baseline: str | None = None,
    *,
    validation: Path | None = None,
    pdf: bool = True,
) -> ReportResult:
    """:func:`write_report`, returning what it wrote and the executive summary's numbers."""
    if validation is not None:
        read_validation(validation)  # a file given but unusable: say so before any work
    if pdf:
        chromium()  # no browser: say so now, not after the figures
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
    before = _files(folder)
    wide = _paired_runs(experiment)
    economics, mismatch = _economics(experiment, arms)
    names = arm_labels(experiment.manifest)
    colours = arm_colours(arms, base)
    page = figures.Page(f"Sweep report: {experiment.name}", folder)

    by_arm = _outcomes_by_arm(wide, arms)
    _save_csv(by_arm, folder / "outcomes_by_arm.csv")
    _save_csv(experiment.outcomes_wide(), folder / "runs.csv")

    averted = _averted(wide, arms, base)
    _save_csv(averted, folder / "averted.csv")
    comparison = _comparison(experiment, wide, arms, base, economics)
    cea = _cost_effectiveness(comparison, wide, base)
    _save_csv(cea, folder / "cost_effectiveness.csv")
    contents = arm_contents(experiment.manifest, base)
    _save_csv(contents.assign(colour=[colours[a] for a in arms]), folder / "arms.csv")
    places = [validation] if validation is not None else candidates(Path(experiment.path))
    status, problems = find_validation(places)

    executive_summary(
        page,
        experiment.manifest,
        averted,
        comparison if mismatch is None else None,
        names,
        base,
        status,
        int(wide["replicate"].nunique()),
    )
    _overview(page, experiment, wide, base, economics, mismatch, names)
    page.heading("What each arm contains")
    page.paragraph(
        "Each arm is the same simulated community with the programmes listed (a programme's"
        " main setting, and any setting that differs from its default), and for a grid the"
        " values it sets. arms.csv has the same table with each arm's name in the sweep and"
        " its colour in the figures."
    )
    page.table(
        contents.drop(columns="name in the sweep"),
        text_columns=("scenario", "programmes and key settings", "other values set"),
    )

    _trajectory_section(page, experiment, wide, averted, base, folder, names, colours)
    _averted_section(page, averted, base, names, colours)
    pairs = _pairing_frame(comparison)
    _save_csv(pairs, folder / "pairing.csv")
    _pairing_section(page, pairs, comparison.replicates, names[base], names)
    if mismatch is None:
        _cost_section(page, comparison, cea, wide, arms, base, folder, names, colours)
    else:
        page.heading("Cost and cost-effectiveness")
        page.paragraph(
            f"Not shown: {mismatch}. Costs and QALYs of arms stated on different bases cannot be"
            " compared; sweep economics settings in separate sweeps.",
            "fail",
        )
    _parameter_section(page, experiment, averted, base, folder, names, colours)

    page.heading("Outcomes by arm")
    page.paragraph(
        "Means over replicates with 95% confidence intervals of the mean (t distribution)."
    )
    page.table(_by_arm_table(by_arm, names))
    validation_section(page, status, places, problems)
    assumptions_section(page, experiment, base, _baseline_scenario(experiment, base))
    _methods(page, experiment, wide, base, folder, names)
    page.paragraph(
        "Abbreviations: "
        + "; ".join(f"{short} = {long}" for short, long in ABBREVIATIONS.items())
        + ".",
        "note",
    )
    written = page.write(out)
    printed = None
    if pdf:
        printed = written.with_suffix(".pdf")
        html_to_pdf(written, printed)
    new = sorted(n for n, stamp in _files(folder).items() if before.get(n) != stamp)
    return ReportResult(
        html=written,
        pdf=printed,
        csvs=tuple(folder / n for n in new if n.endswith(".csv")),
        figures=tuple(folder / n for n in new if n.endswith(".png")),
        baseline=base,
        baseline_label=names[base],
        replicates=int(wide["replicate"].nunique()),
        headline=headline_table(averted, arms, names, base),
        validation=status,
    )


# ---------------------------------------------------------------------------------------------
# Numbers


def _paired_runs(experiment: Experiment) -> pd.DataFrame:
    """One row per run with every outcome, keeping replicates finished in every arm."""
    wide = experiment.outcomes_wide()
    n_arms = len(experiment.manifest["arms"])
    complete = wide.groupby("replicate")["arm"].nunique()
    keep = complete[complete == n_arms].index
    return wide[wide["replicate"].isin(keep)].sort_values(["arm_id", "replicate"])


def _economics(
    experiment: Experiment, arms: list[str]
) -> tuple[EconomicsSettings | None, str | None]:
    """The arms' shared economics settings, or why there are none (the arms differ)."""
    try:
        return agreed_economics(economics_of_manifest(experiment.manifest), arms), None
    except EconomicsMismatchError as exc:
        return None, str(exc)
    except (KeyError, TypeError, ValueError):  # a manifest from before issue 15
        return None, "the sweep's manifest does not state the arms' [economics] settings"


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
        for outcome in OUTCOMES:
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
            sign = 1.0 if outcome in GAINED else -1.0  # gained vs averted
            lo, hi = sorted((sign * o.difference_ci95[0], sign * o.difference_ci95[1]))
            rows.append(
                {
                    "arm": arm,
                    "measure": label,
                    "outcome": outcome,
                    "value": sign * o.difference_mean + 0.0,
                    "ci95_low": lo + 0.0,
                    "ci95_high": hi + 0.0,
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


def _comparison(
    experiment: Experiment,
    wide: pd.DataFrame,
    arms: list[str],
    base: str,
    economics: EconomicsSettings | None,
) -> Comparison:
    """Every arm against the baseline, as ``hrsim compare`` computes it, from the store's runs."""
    runs = {
        arm: [
            dict(zip(OUTCOMES, row, strict=True))
            for row in wide.loc[wide["arm"] == arm, list(OUTCOMES)].to_numpy(dtype=np.float64)
        ]
        for arm in arms
    }
    replicates = sorted(set(wide["replicate"]))
    seeds = [int(experiment.manifest["seeds"][r]) for r in replicates]
    others = [a for a in arms if a != base]
    return summarise(base, others, runs, seeds, economics=economics)


def _cost_effectiveness(comparison: Comparison, wide: pd.DataFrame, base: str) -> pd.DataFrame:
    """One row per arm (not the baseline): the economic results and the secondary ratios.

    Each secondary ratio has Fieller's 95% interval (NaN, "not estimable", when the interval
    of the outcomes averted spans zero); the point value is as ``hrsim compare`` gives it.
    """
    rows = []
    for arm in comparison.arms:
        row: dict[str, Any] = {
            "arm": arm.name,
            "qalys": arm.qalys,
            "cost_discounted_usd": arm.cost_discounted_usd,
            "qalys_gained": arm.qalys_gained.value,
            "qalys_gained_ci95_low": arm.qalys_gained.ci95[0],
            "qalys_gained_ci95_high": arm.qalys_gained.ci95[1],
            "incremental_cost_usd": arm.incremental_cost_usd.value,
            "incremental_cost_ci95_low": arm.incremental_cost_usd.ci95[0],
            "incremental_cost_ci95_high": arm.incremental_cost_usd.ci95[1],
            "icer_usd_per_qaly": _nan(arm.icer.value),
            "icer_ci95_low": arm.icer.ci95[0] if arm.icer.ci95 else math.nan,
            "icer_ci95_high": arm.icer.ci95[1] if arm.icer.ci95 else math.nan,
            "icer_quadrant": arm.icer.quadrant,
        }
        for n in arm.net_benefit:
            key = f"nmb_{n.wtp:.0f}"
            row[key] = n.incremental.value
            row[f"{key}_ci95_low"], row[f"{key}_ci95_high"] = n.incremental.ci95
        run_cost = arm.outcomes["cost_usd"]
        row["run_cost_usd"] = run_cost.arm_mean
        row["incremental_run_cost_usd"] = run_cost.difference_mean
        extra = _column(wide, arm.name, "cost_usd") - _column(wide, base, "cost_usd")
        for key, outcome in PER_OUTCOME.items():
            row[f"{_averted_name(key)}"] = -arm.outcomes[outcome].difference_mean + 0.0
            row[f"run_cost_per_{key}_usd"] = _nan(arm.cost_per_outcome_usd[key])
            fewer = _column(wide, base, outcome) - _column(wide, arm.name, outcome)
            interval = ratio_interval(extra, fewer)
            low, high = (math.nan, math.nan)
            if interval.ci95 is not None and float(fewer.mean()) > 0:  # as ratio_cell
                low, high = interval.ci95
            row[f"run_cost_per_{key}_ci95_low"], row[f"run_cost_per_{key}_ci95_high"] = low, high
        rows.append(row)
    return pd.DataFrame(rows)


def ratio_interval(numerator: np.ndarray, denominator: np.ndarray) -> RatioInterval:
    """Mean numerator over mean denominator of paired replicates, with Fieller's interval.

    The interval exists only when the denominator's own 95% interval excludes zero; otherwise
    the ratio is not estimable (``ci95`` None), however many replicates there are.
    """
    return fieller(np.asarray(numerator, dtype=float), np.asarray(denominator, dtype=float))


NOT_ESTIMABLE = "not estimable"


def ratio_cell(numerator: np.ndarray, denominator: np.ndarray, per: str, money: bool = True) -> str:
    """A ratio of paired replicates' means for a table: value and 95% interval, or why not.

    ``per`` names the denominator (``"deaths averted"``), for the reason. Not estimable with
    one replicate (no interval), when none is averted on average (a cost per death averted
    of an arm that adds deaths means nothing), or when the denominator's interval spans zero.
    """
    den = np.asarray(denominator, dtype=float)
    if den.size < 2:
        return f"{NOT_ESTIMABLE} (one replicate: no interval)"
    if not float(den.mean()) > 0:
        return f"{NOT_ESTIMABLE} (no {per} on average)"
    interval = ratio_interval(numerator, den)
    if interval.ci95 is None or interval.value is None:
        return f"{NOT_ESTIMABLE} (the interval of {per} spans zero)"
    lo, hi = interval.ci95
    return _with_ci(interval.value, lo, hi, 0, money)


def _not_estimable_icer(replicates: int) -> str:
    if replicates < 2:
        return f"{NOT_ESTIMABLE} (one replicate: no interval)"
    return f"{NOT_ESTIMABLE} (the interval of QALYs gained spans zero)"


def _averted_name(key: str) -> str:
    """``death_averted`` -> ``deaths_averted``."""
    thing, _, _ = key.rpartition("_")
    return f"{thing}s_averted"


def _nan(value: float | None) -> float:
    return math.nan if value is None else float(value)


# ---------------------------------------------------------------------------------------------
# Sections


def _overview(
    page: figures.Page,
    experiment: Experiment,
    wide: pd.DataFrame,
    base: str,
    economics: EconomicsSettings | None,
    mismatch: str | None,
    names: dict[str, str],
) -> None:
    page.heading("About this sweep")
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
        f"Baseline arm: {names[base]}. Comparisons use the {replicates} replicates finished in"
        " every arm."
    )
    page.paragraph(text)
    if economics is not None:
        page.paragraph(" ".join(economics.header()))
    elif mismatch is not None:
        page.paragraph(f"Costs and QALYs are not comparable across arms: {mismatch}.", "fail")
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


def _by_arm_table(by_arm: pd.DataFrame, names: dict[str, str]) -> pd.DataFrame:
    shown = [
        "deaths_all_causes",
        "fatal_overdoses",
        "new_hiv",
        "new_hcv",
        "life_years",
        "qalys",
        "cost_discounted_usd",
    ]
    table: dict[str, dict[str, str]] = {}
    for row in by_arm.itertuples(index=False):
        if row.outcome in shown:
            money = str(row.outcome).endswith("_usd")
            table.setdefault(names[str(row.arm)], {})[LABELS[str(row.outcome)]] = _with_ci(
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
    names: dict[str, str],
    colours: dict[str, str],
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
    wrapped = dict(zip(arms, _wrap([names[a] for a in arms], 60), strict=True))
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
        figures.trajectories(panels, colours={wrapped[a]: colours[a] for a in arms}),
        "trajectories",
        "Mean over replicates per arm; the band is the 95% confidence interval of the mean."
        " Each arm has the same colour in every figure (the baseline is black)." + note,
    )


TRAJECTORY_TITLES = {
    "on_moud": "people on MOUD (medications for opioid use disorder), weekly",
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


def _averted_section(
    page: figures.Page,
    averted: pd.DataFrame,
    base: str,
    names: dict[str, str],
    colours: dict[str, str],
) -> None:
    page.heading(f"QALYs gained, infections and deaths averted, compared with {names[base]}")
    if averted.empty:
        page.paragraph("The sweep has a single arm: nothing to compare.")
        return
    page.paragraph(
        "Baseline minus arm, replicate by replicate (common random numbers), with paired 95%"
        " t intervals; positive numbers are deaths or infections averted, life-years or QALYs"
        " gained. HIV and hepatitis C infections are counted apart: they are different"
        " diseases with different costs and consequences. Counts are within the run; QALYs"
        " are discounted and lifetime."
    )
    table: dict[str, dict[str, str]] = {}
    for row in averted.itertuples(index=False):
        digits = 2 if row.outcome == "qalys" else 1
        table.setdefault(names[str(row.arm)], {})[str(row.measure)] = _with_ci(
            row.value, row.ci95_low, row.ci95_high, digits
        )
    page.table(pd.DataFrame.from_dict(table, orient="index").rename_axis("arm").reset_index())
    for outcome, name, file in (
        ("qalys", "QALYs gained", "qalys_gained"),
        ("deaths_all_causes", "deaths averted", "deaths_averted"),
    ):
        part = averted[averted["outcome"] == outcome]
        half = ((part["ci95_high"] - part["ci95_low"]) / 2).fillna(0).tolist()
        page.figure(
            figures.horizontal_bars(
                _wrap([names[a] for a in part["arm"]]),
                part["value"].tolist(),
                name,
                half,
                [colours[a] for a in part["arm"]],
            ),
            file,
            f"{name[0].upper()}{name[1:]} compared with {names[base]}, with paired 95% intervals"
            " (each bar in its arm's colour).",
        )


def _pairing_frame(comparison: Comparison) -> pd.DataFrame:
    """Per arm and outcome: correlation with the baseline and paired against unpaired SD."""
    rows = [
        {"arm": arm.name, "outcome": name, **o.pairing.as_dict()}
        for arm in comparison.arms
        for name, o in arm.outcomes.items()
    ]
    return pd.DataFrame(rows, columns=["arm", "outcome", *Pairing().as_dict()])


def _pairing_section(
    page: figures.Page,
    pairs: pd.DataFrame,
    replicates: int,
    base: str,
    names: dict[str, str],
) -> None:
    page.heading(f"What the pairing buys, against {base}")
    if pairs.empty or replicates < 2:
        page.paragraph("Needs at least two replicates in the baseline and another arm.")
        return
    page.paragraph(
        "Every arm runs on the baseline's seeds (common random numbers), so the difference"
        " between arms is measured replicate by replicate. The correlation between the arms"
        " and the SD of the paired difference against the SD it would have from independent"
        " runs (the square root of the sum of the two arms' variances) say how much more"
        " precise the pairing makes each comparison: a ratio of 0.5 is worth four times as"
        " many independent replicates. A ratio near 1 means the pairing buys little for that"
        " outcome, and its difference is as noisy as two unrelated runs. Every outcome is in"
        " pairing.csv."
    )
    shown = pairs[pairs["outcome"].isin(PAIRING_OUTCOMES)].copy()
    shown["arm"] = shown["arm"].map(names)
    shown["outcome"] = shown["outcome"].map(lambda o: LABELS.get(o, o))
    for column, digits in (("correlation", 2), ("paired_sd", 1), ("unpaired_sd", 1)):
        shown[column] = [_fmt(_nan(v), digits) for v in shown[column]]
    shown["paired / unpaired SD"] = [_fmt(_nan(v), 2) for v in shown.pop("sd_ratio")]
    shown = shown.drop(columns="variance_reduction")
    page.table(shown.rename(columns={"paired_sd": "paired SD", "unpaired_sd": "unpaired SD"}))


def _cost_section(
    page: figures.Page,
    comparison: Comparison,
    cea: pd.DataFrame,
    wide: pd.DataFrame,
    arms: list[str],
    base: str,
    folder: Path,
    names: dict[str, str],
    colours: dict[str, str],
) -> None:
    page.heading("Cost-effectiveness")
    if cea.empty:
        page.paragraph("The sweep has a single arm: nothing to compare.")
        return
    econ = comparison.economics
    currency = econ.currency if econ is not None else "USD"
    page.paragraph(
        "Costs and QALYs are discounted, lifetime totals for the simulated population, per run."
        " The ICER (incremental cost-effectiveness ratio) is the extra cost per QALY gained"
        f" against {names[base]}: the mean paired difference in cost over the mean paired"
        " difference in QALYs, with Fieller's 95% interval. Where the interval of the QALYs"
        " gained spans zero the ratio is not estimable (no interval exists: the ratios the"
        " data allow run to infinity); the net monetary benefit below always has one."
        " 'Dominant' means cheaper and better, 'dominated' dearer and worse."
    )
    rows = []
    for arm in comparison.arms:
        icer = arm.icer
        rows.append(
            {
                "arm": names[arm.name],
                "QALYs gained (95% CI)": _with_ci(
                    arm.qalys_gained.value, *arm.qalys_gained.ci95, 2
                ),
                f"incremental cost, {currency} (95% CI)": _with_ci(
                    arm.incremental_cost_usd.value, *arm.incremental_cost_usd.ci95, 0, True
                ),
                f"ICER, {currency} per QALY gained": _icer_cell(icer),
                "ICER 95% CI (Fieller)": _not_estimable_icer(comparison.replicates)
                if icer.ci95 is None
                else f"{_fmt(icer.ci95[0], 0, True)} to {_fmt(icer.ci95[1], 0, True)}",
            }
        )
    page.table(pd.DataFrame(rows))

    page.heading("Incremental cost-effectiveness table: the efficient frontier")
    table = comparison.table
    _save_csv(table, folder / "incremental_table.csv")
    page.paragraph(
        "Every arm, the baseline included, sorted by mean cost. An arm is dominated when"
        " another costs no more and gains at least as many QALYs; extendedly dominated when a"
        " mix of the arms either side of it would gain its QALYs for less. The others form the"
        " efficient frontier: each one's increments and ICER are against the previous arm on"
        " the frontier, not the baseline. Choose the most effective frontier arm whose ICER is"
        " below what you are willing to pay per QALY. Each ICER has Fieller's 95% interval"
        " from the paired replicates of the two arms, or is not estimable when the interval"
        " of their QALY difference spans zero."
    )
    page.table(_incremental_frame(table, currency, wide, names))
    best = _best_sentence({w: names[a] for w, a in comparison.best.items()}, currency)
    if best:
        page.paragraph(best)

    _ce_plane(page, comparison, wide, arms, base, currency, names, colours)

    page.heading("Net monetary benefit")
    page.paragraph(
        "QALYs gained valued at a willingness to pay per QALY, minus the extra cost, against"
        f" {names[base]}, with paired 95% t intervals: positive means the arm is worth its cost"
        " at that"
        " threshold. The thresholds are those Neumann, Cohen & Weinstein (2014) recommend US"
        " analyses report."
    )
    nmb_rows = []
    for arm in comparison.arms:
        nmb_row: dict[str, str] = {"arm": names[arm.name]}
        for n in arm.net_benefit:
            nmb_row[f"at {_fmt(n.wtp, 0, True)} per QALY"] = _with_ci(
                n.incremental.value, *n.incremental.ci95, 0, True
            )
        nmb_rows.append(nmb_row)
    page.table(pd.DataFrame(nmb_rows))

    _components_section(page, wide, arms, base, folder, currency, names)

    page.heading("Secondary: run cost per outcome averted")
    page.paragraph(
        "Each ratio divides the whole extra cost within the run (undiscounted) by one outcome"
        " averted within the run, as if that outcome were the programme's only benefit. They"
        " overlap (the same money is counted against each), do not add up, and are secondary"
        " to the cost per QALY gained. Deaths are deaths from all causes (overdose and other)."
        " Each ratio has Fieller's 95% interval from the paired replicates; it is not"
        " estimable when the interval of the outcomes averted spans zero (or none are averted"
        " on average)."
    )
    secondary = []
    extra_of = {a: _column(wide, a, "cost_usd") - _column(wide, base, "cost_usd") for a in arms}
    for r in cea.itertuples(index=False):
        row: dict[str, str] = {
            "arm": names[str(r.arm)],
            "extra run cost": _fmt(r.incremental_run_cost_usd, money=True),
        }
        for key, outcome in PER_OUTCOME.items():
            plural, one = SECONDARY_NAMES[key]
            fewer = _column(wide, base, outcome) - _column(wide, str(r.arm), outcome)
            row[f"{plural} averted"] = _fmt(getattr(r, _averted_name(key)), 1)
            row[f"per {one} averted (95% CI)"] = ratio_cell(
                extra_of[str(r.arm)], fewer, f"{plural.removesuffix(' (all causes)')} averted"
            )
        secondary.append(row)
    page.table(pd.DataFrame(secondary))


#: What the secondary ratios' outcomes are called in the table.
SECONDARY_NAMES = {
    "death_averted": ("deaths (all causes)", "death (all causes)"),
    "hiv_infection_averted": ("HIV infections", "HIV infection"),
    "hcv_infection_averted": ("HCV infections", "HCV infection"),
}


def _icer_cell(icer: Icer) -> str:
    """The ICER as a table cell: a price per QALY only where it is one."""
    if icer.quadrant == MORE_COSTLY_MORE_EFFECTIVE and icer.value is not None:
        return _fmt(icer.value, 0, True)
    if icer.quadrant == LESS_COSTLY_LESS_EFFECTIVE and icer.value is not None:
        return f"saves {_fmt(icer.value, 0, True)} per QALY lost"
    return {
        DOMINANT: "dominant (cheaper, more QALYs)",
        DOMINATED: "dominated (dearer, fewer QALYs)",
    }.get(icer.quadrant, "-")


def _frontier_intervals(table: pd.DataFrame, wide: pd.DataFrame) -> list[str]:
    """Fieller's interval of each frontier ICER, against the previous frontier arm."""
    out: list[str] = []
    previous: str | None = None
    for row in table.itertuples(index=False):
        status = str(row.status)
        if status in ("reference", "frontier"):
            if status == "frontier" and previous is not None and math.isfinite(row.icer):
                arm = str(row.strategy)
                d_cost = _column(wide, arm, "cost_discounted_usd") - _column(
                    wide, previous, "cost_discounted_usd"
                )
                d_qalys = _column(wide, arm, "qalys") - _column(wide, previous, "qalys")
                interval = ratio_interval(d_cost, d_qalys)
                if interval.ci95 is None:
                    out.append(_not_estimable_icer(int(wide["replicate"].nunique())))
                else:
                    lo, hi = interval.ci95
                    out.append(f"{_fmt(lo, 0, True)} to {_fmt(hi, 0, True)}")
            else:
                out.append("-")
            previous = str(row.strategy)
        else:
            out.append("-")
    return out


def _incremental_frame(
    table: pd.DataFrame, currency: str, wide: pd.DataFrame, names: dict[str, str]
) -> pd.DataFrame:
    """The incremental table for the page: money and QALYs formatted, '-' for none."""
    return pd.DataFrame(
        {
            "arm": [names.get(str(a), str(a)) for a in table["strategy"]],
            f"cost ({currency})": [_fmt(v, 0, True) for v in table["cost"]],
            "QALYs": [_fmt(v, 2) for v in table["effect"]],
            "incremental cost": [_fmt(v, 0, True) for v in table["incremental_cost"]],
            "incremental QALYs": [_fmt(v, 2) for v in table["incremental_effect"]],
            f"ICER ({currency} per QALY)": [_fmt(v, 0, True) for v in table["icer"]],
            "ICER 95% CI (Fieller)": _frontier_intervals(table, wide),
            "status": table["status"],
        }
    )


def _best_sentence(best: dict[float, str], currency: str) -> str:
    if not best:
        return ""
    parts = [f"{_fmt(w, 0, True)}: {name}" for w, name in best.items()]
    return (
        f"The arm with the highest expected net monetary benefit at each willingness to pay"
        f" ({currency} per QALY): {'; '.join(parts)}."
    )


def _ce_plane(
    page: figures.Page,
    comparison: Comparison,
    wide: pd.DataFrame,
    arms: list[str],
    base: str,
    currency: str,
    names: dict[str, str],
    colours: dict[str, str],
) -> None:
    shown = [base, *[a for a in arms if a != base]]
    note = ""
    if len(shown) > MAX_PLANE_ARMS:
        frontier = comparison.table.loc[
            comparison.table["status"].isin(["reference", "frontier"]), "strategy"
        ].tolist()
        by_nmb = sorted(
            comparison.arms,
            key=lambda a: -a.net_benefit[len(a.net_benefit) // 2].incremental.value,
        )
        keep = [a for a in frontier if a != base]
        keep += [a.name for a in by_nmb if a.name not in keep]
        shown = [base, *keep[: MAX_PLANE_ARMS - 1]]
        note = (
            f" The {len(shown) - 1} arms shown are those on the frontier, then those with the"
            " highest net monetary benefit; cost_effectiveness.csv has every arm."
        )
    costs = np.column_stack([_column(wide, a, "cost_discounted_usd") for a in shown])
    qalys = np.column_stack([_column(wide, a, "qalys") for a in shown])
    # A long baseline name (a grid point's every value) would crowd both axis titles.
    base_name = names[base]
    base_label = base_name if len(base_name) <= 24 or "the baseline" in arms else "the baseline"
    labels = [base_label, *_wrap([names[a] for a in shown[1:]], 40)]
    fig = economics_figures.ce_plane_plot(
        costs,
        qalys,
        labels,
        baseline=base_label,
        currency=currency,
        colours=dict(zip(labels, [colours[a] for a in shown], strict=True)),
    )
    page.figure(
        fig,
        "cost_effectiveness_plane",
        f"Cost-effectiveness plane: each small point is one replicate's incremental QALYs and"
        f" cost against {base_name} on the same random numbers; the large outlined point is the"
        " arm's mean. Below and to the right of a dashed line (a willingness to pay per QALY)"
        " the arm is cost-effective at that threshold; lower right of the origin it is"
        " dominant." + note,
    )


def _components_section(
    page: figures.Page,
    wide: pd.DataFrame,
    arms: list[str],
    base: str,
    folder: Path,
    currency: str,
    names: dict[str, str],
) -> None:
    page.heading("Cost components and the lifetime tail")
    page.paragraph(
        "Mean discounted lifetime cost per run by component, and the parts of QALYs and costs"
        " that come after the run (the lifetime tail: everyone alive at the end carries the"
        " rest of their life). A large tail share means the result rests on the tail's"
        " assumption that each person keeps their end state for life."
    )
    rows, tails, csv_rows = [], [], []
    for arm in arms:
        row: dict[str, str] = {"arm": names[arm]}
        for c in COMPONENTS:
            values = _column(wide, arm, f"cost_{c}_usd")
            row[COMPONENT_LABELS[c]] = _fmt(float(values.mean()), 0, True)
            o = paired(_column(wide, base, f"cost_{c}_usd"), values)
            csv_rows.append(
                {
                    "arm": arm,
                    "component": c,
                    "mean_usd": o.arm_mean,
                    "incremental_usd": o.difference_mean,
                    "incremental_ci95_low": o.difference_ci95[0],
                    "incremental_ci95_high": o.difference_ci95[1],
                }
            )
        total = _column(wide, arm, "cost_discounted_usd")
        qalys = _column(wide, arm, "qalys")
        row[f"total ({currency})"] = _fmt(float(total.mean()), 0, True)
        rows.append(row)
        tails.append(
            {
                "arm": names[arm],
                "QALYs": _fmt(float(qalys.mean()), 1),
                "QALYs after the run (share)": _share(_column(wide, arm, "qalys_tail"), qalys),
                f"cost ({currency})": _fmt(float(total.mean()), 0, True),
                "cost after the run (share)": _share(
                    _column(wide, arm, "cost_tail_usd"), total, money=True
                ),
            }
        )
    page.table(pd.DataFrame(rows))
    page.table(pd.DataFrame(tails))
    _save_csv(pd.DataFrame(csv_rows), folder / "cost_components.csv")


def _share(part: np.ndarray, whole: np.ndarray, money: bool = False) -> str:
    """Mean part and its share of the mean whole, e.g. ``"8,530.5 (87%)"``."""
    total = float(whole.mean())
    mean = float(part.mean())
    share = f" ({mean / total:.0%})" if total > 0 else ""
    return f"{_fmt(mean, 0 if money else 1, money)}{share}"


def _parameter_section(
    page: figures.Page,
    experiment: Experiment,
    averted: pd.DataFrame,
    base: str,
    folder: Path,
    names: dict[str, str],
    colours: dict[str, str],
) -> None:
    params = experiment.parameters
    design = experiment.manifest.get("design")
    if not params or averted.empty:
        return
    arms = experiment.arms.set_index("arm")
    page.heading("Swept parameters")
    rows = []
    for outcome, label, _ in PARAMETER_MEASURES:
        part = averted[averted["outcome"] == outcome].set_index("arm")
        effect = arms[["scenario", *params]].join(part[["value", "ci95_low", "ci95_high"]])
        effect.loc[base, ["value", "ci95_low", "ci95_high"]] = 0.0
        # Beyond chance: the paired difference's 95% interval excludes zero.
        effect["differs_from_baseline"] = (effect["ci95_low"] > 0) | (effect["ci95_high"] < 0)
        effect = effect.reset_index()
        rows.append(effect.assign(measure=label))
        if design == "factorial" and len(params) == 2:
            _heat_maps(page, effect, params, label, names[base])
        elif design == "factorial" and len(params) == 1:
            _effect_curve(page, effect, params[0], label, names[base], colours)
        else:
            _tornado(page, effect, params, label, base, design, experiment, names[base])
    _save_csv(pd.concat(rows, ignore_index=True), folder / "parameters.csv")


def _heat_maps(
    page: figures.Page, effect: pd.DataFrame, params: list[str], label: str, base: str
) -> None:
    x_key, y_key = params[1], params[0]
    for scenario, part in effect.groupby("scenario", sort=False):
        xs = list(dict.fromkeys(part[x_key]))
        ys = list(dict.fromkeys(part[y_key]))
        grid = np.full((len(ys), len(xs)), np.nan)
        notes = [["" for _ in xs] for _ in ys]
        marks = [[False for _ in xs] for _ in ys]
        for row in part.to_dict("records"):
            r, c = ys.index(row[y_key]), xs.index(row[x_key])
            grid[r, c] = row["value"]
            notes[r][c] = f"{row['value']:,.1f}"
            marks[r][c] = bool(row["differs_from_baseline"])
        name = f"heat_map_{label.split()[0].lower()}_{_slug(str(scenario))}"
        cells = len(part) - 1
        marked = sum(sum(m) for m in marks)
        page.figure(
            figures.heat_map(
                grid,
                [value_text(x_key, v) for v in xs],
                [value_text(y_key, v) for v in ys],
                parameter_label(x_key),
                parameter_label(y_key),
                f"{label} vs baseline",
                notes,
                marks,
            ),
            name,
            f"Mean {label} compared with {base}, by {parameter_label(y_key)} and"
            f" {parameter_label(x_key)}"
            + (f" ({scenario})" if effect["scenario"].nunique() > 1 else "")
            + f". Outlined cells with a star differ from the baseline beyond chance: the paired"
            f" 95% interval of the difference excludes zero ({marked} of {cells} cells). The"
            " others cannot be told from no difference with these replicates; with many cells"
            " about 1 in 20 may be outlined by chance alone. Intervals are in parameters.csv.",
        )


def _effect_curve(
    page: figures.Page,
    effect: pd.DataFrame,
    key: str,
    label: str,
    base: str,
    colours: dict[str, str],
) -> None:
    """One line per scenario across the parameter's values; each point, an arm, in its colour."""
    series, points = [], []
    for scenario, part in effect.groupby("scenario", sort=False):
        part = part.sort_values(key)
        name = readable_name(str(scenario))
        series.append((name, part["value"], part["ci95_low"], part["ci95_high"]))
        points.append([colours[str(arm)] for arm in part["arm"]])
    x = effect.drop_duplicates(key).sort_values(key)[key].tolist()
    several = " Each line is one scenario (line styles in the legend)." if len(series) > 1 else ""
    page.figure(
        figures.effect_with_interval(
            x, series, parameter_label(key), f"{label} vs baseline", point_colours=points
        ),
        f"effect_{label.split()[0].lower()}",
        f"Mean {label} compared with {base} at each value of {parameter_label(key)}, with"
        " paired 95% intervals: where a band excludes zero the difference is beyond chance."
        " Each point is an arm, in its colour in the other figures (the baseline black)." + several,
    )


def _tornado(
    page: figures.Page,
    effect: pd.DataFrame,
    params: list[str],
    label: str,
    base: str,
    design: Any,
    experiment: Experiment,
    base_label: str,
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
            labels.append(
                f"{parameter_label(key)} ({value_text(key, lo)} to {value_text(key, hi)})"
            )
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
            labels.append(
                f"{parameter_label(key)} ({value_text(key, lo_v)} to {value_text(key, hi_v)})"
            )
        if design == "factorial":
            centre = float(effect["value"].mean())
            caption = (
                f"Mean {label} at each parameter's lowest and highest value, averaged over the"
                " other parameters' values (main effects)."
            )
        else:
            caption = (
                f"{label.capitalize()} with each parameter at its lowest and highest value,"
                f" the others as in {base_label}."
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
        f"tornado_{label.split()[0].lower()}",
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


def _baseline_scenario(experiment: Experiment, base: str) -> Scenario | None:
    """The baseline arm's scenario, rebuilt from the manifest (None if it cannot be)."""
    manifest = experiment.manifest
    try:
        arm = next(a for a in manifest["arms"] if a["name"] == base)
        scenario = build_scenario(manifest["scenarios"][arm["scenario"]]["scenario"], "manifest")
        # Programme settings do not change what the methods say; everything else might.
        overrides = {
            k: v for k, v in arm.get("parameters", {}).items() if not k.startswith("interventions.")
        }
        return scenario.with_overrides(overrides) if overrides else scenario
    except (StopIteration, KeyError, TypeError, ScenarioError):
        return None


def _methods(
    page: figures.Page,
    experiment: Experiment,
    wide: pd.DataFrame,
    base: str,
    folder: Path,
    names: dict[str, str],
) -> None:
    page.heading("Methods")
    arms = [names[a["name"]] for a in experiment.manifest["arms"]]
    scenario = _baseline_scenario(experiment, base)
    if scenario is not None:
        replicates = int(wide["replicate"].nunique())
        for text in cheers_methods(
            scenario, "replicates", arms=arms, baseline=names[base], replicates=replicates
        ):
            page.paragraph(text)
    else:
        page.paragraph(
            "The sweep's manifest does not hold the baseline's scenario, so the economic"
            " methods (perspective, horizon, discounting, price year, sources) cannot be stated.",
            "fail",
        )
    page.paragraph(
        "Simulation. Every arm runs on the same replicate seeds (spawned from the base seed"
        " with NumPy's SeedSequence), so within a replicate two arms share the same random"
        " draws wherever their programmes do not change them. Differences are computed"
        " replicate by replicate and summarised with t intervals; with few replicates the"
        " intervals are wide, and with one replicate there are none. Life-years in the run are"
        " the person-time lived over it; QALYs and costs are discounted and, with a lifetime"
        " horizon, include the years after the run."
    )
    if scenario is not None:
        sources = sources_table(scenario)
        _save_csv(sources, folder / "sources.csv")
        page.heading("Sources of utilities and unit costs")
        page.paragraph(
            "Every utility weight and unit cost the model uses, the year of its dollars (price"
            " year) and its source. Tags: C = read in the study, C2 = read in a secondary"
            " source, derived = computed from cited numbers, R = an assumption (a placeholder"
            " with a plausible range).",
            "note",
        )
        shown = sources.assign(value=[f"{v:,.10g}" for v in sources["value"]])
        page.table(shown, text_columns=("unit", "source"))
    page.paragraph(
        "Files next to this report: the same report as PDF, arms.csv, outcomes_by_arm.csv,"
        " averted.csv, cost_effectiveness.csv, incremental_table.csv, cost_components.csv,"
        " sources.csv, trajectories.csv, runs.csv"
        " (one row per run), parameters.csv (for swept parameters) and every figure as PNG.",
        "note",
    )


def _save_csv(frame: pd.DataFrame, path: Path) -> None:
    write_csv_atomic(path, frame, index=False)
