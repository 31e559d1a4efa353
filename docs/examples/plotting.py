"""Plotting from Python: one run, a sweep's arms with bands, and what each arm averted.

Open it as a notebook (Jupyter with jupytext, VS Code, Spyder: each ``# %%`` is a cell, and a
cell that ends with a plot shows it), or run it as a script, which saves every figure as a PNG
file in ``runs/plotting/``::

    python docs/examples/plotting.py

Every plot returns a matplotlib ``Figure``: ``fig.savefig("name.png")`` saves it, and
``ax=`` draws on axes of your own. The series have the names of a run's
``timeseries.parquet`` columns (``overdoses_fatal``, ``methadone``, ...) plus ``on_moud``,
``in_custody``, ``deaths_all_causes`` and the ``hrsim compare`` outcome names
(``fatal_overdoses``, ``new_hiv``, ...); a misspelt name is refused with the closest one.
The sizes here are small so that it runs in a minute or two; use 10,000 people and 10 or more
replicates for numbers you would report.
"""

# %%
from pathlib import Path

import hrsim

OUT = Path("runs/plotting")
OUT.mkdir(parents=True, exist_ok=True)

# %% [markdown]
# ## One run: `model.plot()`
# People by care state, overdoses, new HIV and HCV infections, deaths, prevalence and
# population, week by week.

# %%
model = hrsim.HarmReductionModel("naloxone_distribution", people=2000, years=2, seed=1)
model.run()
fig = model.plot()
fig.savefig(OUT / "run.png", dpi=120)
fig  # noqa: B018 (a notebook shows the value its cell ends with)

# %% [markdown]
# Choose the series (one panel each, or `{title: [names]}` to share a panel), count events
# per quarter (`bin_weeks=13`) or as totals so far (`cumulative=True`).

# %%
fig = model.plot(
    {"Overdoses per quarter": ["overdoses_fatal", "overdoses_reversed"], "On MOUD": ["on_moud"]},
    bin_weeks=13,
    figsize=(9, 3.5),
)
fig.savefig(OUT / "run_quarterly.png", dpi=120)
fig  # noqa: B018 (a notebook shows the value its cell ends with)

# %% [markdown]
# ## A sweep: `experiment.plot()`
# Three arms on the same five replicate seeds. Each arm's line is its mean over the
# replicates; the band is the 95% confidence interval of that mean (`band="ci95"`), or with
# `band="quantiles"` the 10th to 90th percentile of the replicates themselves. Each arm keeps
# its colour in every plot, and the baseline is black.

# %%
# Built-in scenarios by name (a sweep file lists scenario files instead).
arms = [hrsim.load_scenario(n) for n in ("baseline", "naloxone_distribution", "moud_expansion")]
sweep = {
    "sweep": {
        "name": "plotting_example",
        "scenarios": arms,
        "people": 1000,
        "years": 2,
        "replicates": 5,
        "seed": 2025,
    }
}
experiment = hrsim.run_experiment(sweep, OUT / "sweep", progress=False)
fig = experiment.plot(["on_moud", "fatal_overdoses", "new_hcv"], bin_weeks=13, ncols=3)
fig.savefig(OUT / "sweep.png", dpi=120)
fig  # noqa: B018 (a notebook shows the value its cell ends with)

# %%
fig = experiment.plot("on_moud", band="quantiles", quantiles=(0.1, 0.9))
fig.savefig(OUT / "sweep_quantiles.png", dpi=120)
fig  # noqa: B018 (a notebook shows the value its cell ends with)

# %% [markdown]
# ## Averted: `experiment.plot_comparison()`
# For each arm, baseline minus arm, replicate by replicate (each pair ran on one seed), added
# up week by week: deaths, fatal overdoses, new HIV and new HCV averted so far. The band is
# the 95% interval of the mean paired difference; at the last week it is the interval
# `experiment.comparison()` and `hrsim compare` report.

# %%
fig = experiment.plot_comparison(baseline="baseline")
fig.savefig(OUT / "averted.png", dpi=120)
fig  # noqa: B018 (a notebook shows the value its cell ends with)

# %% [markdown]
# The numbers behind any of these plots, as a table:

# %%
from hrsim.reporting.notebook_plots import averted_bands  # noqa: E402

table = averted_bands(experiment, "deaths_all_causes")
print(table[table["week"] == table["week"].max()].to_string(index=False))
