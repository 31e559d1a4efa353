"""The PSA report (``hrsim psa`` writes ``report.html`` in its store): what a health board reads.

One self-contained HTML page from a PSA's results (:class:`hrsim.analysis.psa.PsaData` and
its :class:`~hrsim.analysis.psa.PsaSummary`): the incremental cost-effectiveness table on the
frontier, the mean cost and QALYs of every strategy with their intervals over the parameter
samples, the cost-effectiveness plane, the acceptability curves with their frontier, the
expected value of perfect information, the net monetary benefit at each threshold, how much of
the spread is parameter uncertainty and how much chance, the parameters sampled, and a methods
section with the CHEERS 2022 items (:func:`hrsim.reporting.methods.cheers_methods`) and the
sources of every utility and unit cost. Figures are also saved as PNG and tables as CSV.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from hrsim.files import write_csv_atomic
from hrsim.reporting import figures
from hrsim.reporting.economics_figures import ce_plane_plot, ceac_plot, evpi_plot
from hrsim.reporting.methods import cheers_methods, sources_table
from hrsim.scenario import Scenario, ScenarioError, build_scenario

if TYPE_CHECKING:
    from hrsim.analysis.psa import PsaData, PsaSummary

REPORT_NAME = "report.html"


def write_psa_report(data: PsaData, summary: PsaSummary, out: Path | None = None) -> Path:
    """Write the PSA's HTML report (default ``<store>/report.html``) and return its path."""
    folder = Path(data.path) if out is None else Path(out).parent
    path = folder / REPORT_NAME if out is None else Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    psa = data.manifest.get("psa", {})
    scenario = _baseline_scenario(data, summary.baseline)
    currency = scenario.economics.currency if scenario is not None else "USD"
    effect = "QALYs" if summary.effect == "qalys" else summary.effect
    unit = "QALY" if summary.effect == "qalys" else summary.effect
    page = figures.Page(f"Probabilistic sensitivity analysis: {data.manifest.get('name', '')}",
                        folder)  # fmt: skip
    page.paragraph(_overview(data, summary, psa))
    for note in summary.notes:
        page.paragraph(note, "note")

    page.heading("Incremental cost-effectiveness (mean over the parameter samples)")
    page.paragraph(
        "Strategies in order of cost. A strategy is dominated when another costs less and gains"
        " at least as much; extendedly dominated when a mix of two others would buy its gains"
        " more cheaply. The incremental cost-effectiveness ratio (ICER) compares each strategy"
        " on the frontier with the next cheaper one on it. Costs and QALYs are discounted and"
        " per run of the modelled cohort."
    )
    table = _incremental(summary.table, currency, unit)
    page.table(table, text_columns=("status",))
    _save(table, folder / "incremental_table.csv")

    page.heading("Mean cost and effect of each strategy, with 95% intervals over the samples")
    page.table(summary.means, float_format="{:,.1f}")
    _save(summary.means, folder / "means.csv")

    page.heading("Cost-effectiveness plane")
    page.figure(
        ce_plane_plot(
            summary.costs,
            summary.effects,
            summary.strategies,
            baseline=summary.baseline,
            wtp=summary.wtp,
            currency=currency,
            effect_label=effect,
        ),  # fmt: skip
        "ce_plane",
        f"Each point is one parameter sample: the strategy's discounted cost and {effect}"
        f" minus the baseline's ({summary.baseline}), on the same seeds. Lines: willingness to"
        " pay thresholds; points below a line are cost-effective at that threshold.",
    )

    page.heading("Cost-effectiveness acceptability curves and frontier")
    page.figure(
        ceac_plot(summary.ceac, currency=currency, effect_label=unit),
        "ceac",
        "The share of parameter samples in which each strategy has the highest net monetary"
        " benefit, by willingness to pay. The grey band (the frontier) follows the strategy with"
        " the highest expected net benefit: the one to choose on current evidence.",
    )
    page.table(_nmb(summary.nmb, currency), float_format="{:,.3g}", text_columns=("strategy",))
    _save(summary.nmb, folder / "net_monetary_benefit.csv")

    page.heading("Expected value of perfect information")
    page.figure(
        evpi_plot(summary.evpi, currency=currency, effect_label=unit, per="run"),
        "evpi",
        "What removing all parameter uncertainty would be worth per run of the cohort: an upper"
        " bound on the value of further research at each willingness to pay.",
    )
    _save(summary.evpi, folder / "evpi.csv")

    page.heading("Parameter uncertainty and chance")
    page.paragraph(
        "The variance of each strategy's incremental cost and effect across runs, split into"
        " the part due to the parameters and the part due to the model's chance (Monte Carlo"
        " noise), by a one-way analysis of variance over replicates (or from base-case runs on"
        " other seeds when each sample has one replicate). A large chance share means more"
        " replicates, not more evidence, would sharpen the answer."
    )
    page.table(summary.variance, float_format="{:,.3g}", text_columns=("arm", "measure"))
    _save(summary.variance, folder / "variance.csv")

    page.heading("Parameters sampled")
    page.table(_parameters(psa), text_columns=("parameter", "distribution", "source", "applies to"))

    page.heading("Methods")
    if scenario is None:
        page.paragraph(
            "The store's manifest does not hold the baseline's scenario, so the economic"
            " methods (perspective, horizon, discounting, price year, sources) cannot be stated.",
            "fail",
        )
    else:
        for text in cheers_methods(
            scenario,
            "psa",
            arms=summary.strategies,
            baseline=summary.baseline,
            replicates=summary.replicates,
            samples=summary.samples_used,
        ):
            page.paragraph(text)
        sources = sources_table(scenario)
        _save(sources, folder / "sources.csv")
        page.heading("Sources of utilities and unit costs")
        page.table(sources, text_columns=tuple(str(c) for c in sources.columns))
    return page.write(path)


def _overview(data: PsaData, summary: PsaSummary, psa: dict[str, Any]) -> str:
    arms = data.manifest.get("arms", [])
    people = arms[0].get("people") if arms else None
    years = arms[0].get("years") if arms else None
    size = f" of {people:,} people over {years:g} years" if people and years else ""
    return (
        f"{len(summary.strategies)} strategies ({', '.join(summary.strategies)}; baseline"
        f" {summary.baseline}) were each run on {summary.samples_used} parameter samples x"
        f" {summary.replicates} replicate(s){size}, every strategy of a sample on the same"
        f" random seeds. Parameters sampled: {len(psa.get('distributions', []) or [])}."
    )


def _incremental(table: pd.DataFrame, currency: str, unit: str) -> pd.DataFrame:
    def money(x: float) -> str:
        return "-" if not math.isfinite(x) else f"{x:,.0f}"

    def num(x: float) -> str:
        return "-" if not math.isfinite(x) else f"{x:,.2f}"

    return pd.DataFrame(
        {
            "strategy": table["strategy"],
            f"cost ({currency})": [money(x) for x in table["cost"]],
            "QALYs" if unit == "QALY" else unit: [num(x) for x in table["effect"]],
            f"incremental cost ({currency})": [money(x) for x in table["incremental_cost"]],
            "incremental QALYs" if unit == "QALY" else f"incremental {unit}": [
                num(x) for x in table["incremental_effect"]
            ],
            f"ICER ({currency} per {unit})": [money(x) for x in table["icer"]],
            "status": table["status"],
        }
    )


def _nmb(nmb: pd.DataFrame, currency: str) -> pd.DataFrame:
    frame = nmb.copy()
    return frame.rename(columns={"wtp": f"willingness to pay ({currency})"})


def _parameters(psa: dict[str, Any]) -> pd.DataFrame:
    """One row per sampled parameter: its distribution, its interval and the arms it reaches."""
    rows = []
    for item in psa.get("distributions", []) or []:
        span = "range" if item.get("dist") == "uniform" else "95% interval"
        rows.append(
            {
                "parameter": item.get("parameter", ""),
                "central value": item.get("value"),
                "distribution": f"{item.get('dist')}, {span} {item.get('low'):g}-"
                f"{item.get('high'):g}",
                "source": item.get("declared_in", ""),
                "applies to": ", ".join(item.get("arms", [])),
            }
        )
    return pd.DataFrame(
        rows, columns=["parameter", "central value", "distribution", "source", "applies to"]
    )


def _baseline_scenario(data: PsaData, baseline: str) -> Scenario | None:
    """The baseline's scenario at its central values, rebuilt from the manifest."""
    try:
        return build_scenario(data.manifest["scenarios"][baseline]["scenario"], "manifest")
    except (KeyError, TypeError, ScenarioError):
        return None


def _save(frame: pd.DataFrame, path: Path) -> None:
    write_csv_atomic(path, frame, index=False)
