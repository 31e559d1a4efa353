"""What ``hrsim fit`` writes: the posterior, the checks, two figures, a page and a scenario.

Files in the fit folder (besides pyabc's ``abc.db`` and the finished batches in
``candidates/``, which let an interrupted fit continue):

- ``posterior.csv``: the last generation's particles and their normalised weights;
- ``generations.csv``: each generation's threshold, simulations and acceptance rate;
- ``predictive.csv``: the posterior predictive runs (draw, series, year, model, observed);
- ``intervals.csv``: each data point against its predictive 50% and 95% intervals;
- ``fit.json``: settings, the parameters' prior and posterior, coverage, warnings;
- ``predictive.png`` and ``parameters.png``, and ``fit.html`` with both and the tables;
- ``scenario.toml``: the place's scenario at the posterior median (``hrsim run`` it).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.ticker import MaxNLocator

from hrsim.analysis.abc_smc import AbcSettings
from hrsim.analysis.fit import PosteriorChecks
from hrsim.analysis.posterior import POSTERIOR_CSV, AbcResult
from hrsim.files import write_csv_atomic, write_text_atomic
from hrsim.places import POPULATION, Place
from hrsim.reporting.figures import Page, plt
from hrsim.reporting.palette import PALETTE
from hrsim.scenario import Scenario


def median_scenario(place: Place, checks: PosteriorChecks) -> tuple[Scenario, dict[str, float]]:
    """The place's scenario (every data year) at the posterior medians, and those medians."""
    medians = {p.name: p.median for p in checks.parameters}
    settings: dict[str, Any] = {k: v for k, v in medians.items() if k != POPULATION}
    settings["run.years"] = float(place.years_simulated())
    settings["run.name"] = place.name
    return place.scenario.with_overrides(settings), medians


def predictive_figure(place: Place, checks: PosteriorChecks) -> Any:
    """Each series: the data, the predictive median with 50% and 95% bands, the hold-out."""
    n = len(place.series)
    fig, axes = plt.subplots(n, 1, figsize=(7.5, 3.2 * n), squeeze=False)
    for ax, s in zip(axes[:, 0], place.series, strict=True):
        rows = checks.intervals[checks.intervals["series"] == s.name].sort_values("year")
        years = rows["year"].to_numpy()
        ax.fill_between(years, rows["lo95"], rows["hi95"], color=PALETTE[0], alpha=0.18,
                        label="95% predictive interval")  # fmt: skip
        ax.fill_between(years, rows["lo50"], rows["hi50"], color=PALETTE[0], alpha=0.35,
                        label="50%")  # fmt: skip
        ax.plot(years, rows["median"], color=PALETTE[0], lw=1.5, label="predictive median")
        ax.errorbar(years, rows["value"], yerr=1.96 * rows["sd"], fmt="o", color="black",
                    ms=4, capsize=2, label="data (±1.96 sd)")  # fmt: skip
        if place.fit_until < years.max():
            ax.axvspan(place.fit_until + 0.5, years.max() + 0.5, color="#999999", alpha=0.15)
            ax.text(place.fit_until + 0.6, ax.get_ylim()[1], "held out", va="top", fontsize=8)
        ax.set_title(s.name.replace("_", " "), fontsize=10)
        ax.set_xlabel("year")
        ax.set_ylim(bottom=0)
    axes[0, 0].legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    return fig


def parameters_figure(place: Place, posterior: pd.DataFrame) -> Any:
    """Each parameter: the prior's density and the posterior's weighted histogram."""
    n = len(place.parameters)
    fig, axes = plt.subplots(1, n, figsize=(3.4 * n, 2.8), squeeze=False)
    w = posterior["weight"].to_numpy(dtype=float)
    for ax, name in zip(axes[0], place.parameters, strict=True):
        prior = place.priors[name].frozen()
        lo, hi = prior.ppf([0.001, 0.999])
        x = np.linspace(lo, hi, 200)
        ax.plot(x, prior.pdf(x), color="#777777", lw=1.2, label="prior")
        ax.hist(posterior[name], bins=15, weights=w, density=True, color=PALETTE[1],
                alpha=0.7, label="posterior")  # fmt: skip
        ax.set_title(name, fontsize=8)
        ax.tick_params(labelsize=7)
        ax.xaxis.set_major_locator(MaxNLocator(4))
        ax.ticklabel_format(axis="x", style="plain", useOffset=False)
    axes[0, 0].legend(fontsize=7)
    fig.tight_layout()
    return fig


def write_fit_outputs(
    folder: Path,
    place: Place,
    settings: AbcSettings,
    result: AbcResult,
    predictive: pd.DataFrame,
    checks: PosteriorChecks,
    command: str,
) -> dict[str, Path]:
    """Write every output file into ``folder`` (each atomically); returns them by name."""
    scenario, medians = median_scenario(place, checks)
    paths = {
        "posterior": write_csv_atomic(folder / POSTERIOR_CSV, result.posterior, index=False),
        "generations": write_csv_atomic(
            folder / "generations.csv", result.generations, index=False
        ),
        "predictive": write_csv_atomic(folder / "predictive.csv", predictive, index=False),
        "intervals": write_csv_atomic(folder / "intervals.csv", checks.intervals, index=False),
    }
    population = medians.get(POPULATION, place.population.value)
    header = (
        f"# {place.title}: the place's scenario at the posterior medians of `{command}`.\n"
        f"# Each simulated person stands for {place.scale(population):,.1f} people "
        f"(population {population:,.0f}).\n"
        + "".join(f"# {k} = {v:.6g}\n" for k, v in medians.items())
    )
    paths["scenario"] = write_text_atomic(folder / "scenario.toml", header + scenario.to_toml())
    summary = {
        "place": place.name,
        "title": place.title,
        "command": command,
        "fit_until": place.fit_until,
        "settings": settings.__dict__,
        "generations": result.generations.to_dict("records"),
        "posterior_median": medians,
        **checks.as_dict(),
    }
    paths["summary"] = write_text_atomic(
        folder / "fit.json", json.dumps(summary, indent=2, default=float) + "\n"
    )

    page = Page(f"hrsim fit: {place.title}", folder)
    page.paragraph(
        f"Approximate Bayesian computation (ABC-SMC) of {', '.join(place.parameters)} to "
        f"{len(place.series)} series; years up to {place.fit_until} fitted, later years held "
        f"out. {settings.particles} particles, {len(result.generations)} generations, seed "
        f"{settings.seed}; {place.simulated_people:,} simulated people. Command: {command}"
    )
    page.heading("Does it reproduce the data?")
    rows = [
        {
            "years": role,
            "data points": c["points"],
            "inside 50% interval": f"{c['inside_50']:.0%}",
            "inside 95% interval": f"{c['inside_95']:.0%}",
        }
        for role, c in checks.coverage.items()
    ]
    page.table(pd.DataFrame(rows), text_columns=["years"])
    paths["predictive_png"] = page.figure(
        predictive_figure(place, checks),
        "predictive",
        "Posterior predictive: the median and 50%/95% intervals of new data (model runs at "
        "posterior draws plus the series' observation noise), against the data.",
    )
    page.heading("What the data say about each parameter")
    page.table(
        pd.DataFrame(
            [
                {
                    "parameter": p.name,
                    "prior (95%)": "{:.4g} to {:.4g}".format(*p.prior.frozen().ppf([0.025, 0.975])),
                    "posterior median": f"{p.median:.4g}",
                    "posterior (95%)": f"{p.low:.4g} to {p.high:.4g}",
                    "contraction": f"{p.contraction:.2f}",
                }
                for p in checks.parameters
            ]
        ),
        text_columns=["parameter"],
    )
    paths["parameters_png"] = page.figure(
        parameters_figure(place, result.posterior),
        "parameters",
        "Prior (line) and posterior (bars) of each fitted parameter. Contraction is "
        "1 - posterior variance / prior variance: near 0, the data say little.",
    )
    page.heading("Warnings")
    page.items(checks.warnings or ["none"])
    page.heading("Generations")
    page.table(result.generations)
    paths["page"] = page.write(folder / "fit.html")
    return paths
