"""A run's outcome totals: overdoses, infections, deaths, life-years and cost.

The numbers every comparison, sweep, sensitivity analysis and report adds up per run.
Life-years are the person-time lived over the horizon (the population at the start of each
week): initiation does not depend on deaths, so a death averted in an arm is more person-time
lived in it. Life-years lost count, for each death, the rest of the horizon.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from hrsim.runner import run_model
from hrsim.scenario import Scenario

OUTCOMES: tuple[str, ...] = (
    "fatal_overdoses",
    "nonfatal_overdoses",
    "new_hiv",
    "new_hcv",
    "deaths_all_causes",
    "life_years",
    "life_years_lost",
    "cost_usd",
)


def run_outcomes(scenario: Scenario) -> dict[str, float]:
    """Run one scenario (no event log) and return its outcome totals."""
    model = run_model(scenario)
    return outcomes_of(scenario, model.timeseries_frame(), model.programme_frame())


def weekly_cost(scenario: Scenario, ts: pd.DataFrame, programmes: pd.DataFrame) -> np.ndarray:
    """Cost in US dollars per week (MOUD treatment plus programme costs), one per timeseries row."""
    costs = scenario.costs
    moud = (
        ts["methadone"].to_numpy() * costs.methadone_usd_per_person_year
        + ts["buprenorphine"].to_numpy() * costs.buprenorphine_usd_per_person_year
    ) / 52.0
    moud[ts["week"].to_numpy() == 0] = 0.0  # week 0 is the starting population, no care given
    spent = programmes.loc[programmes["output"] == "cost_usd"].groupby("week")["value"].sum()
    programme = spent.reindex(ts["week"], fill_value=0.0).to_numpy(dtype=np.float64)
    return np.asarray(moud + programme, dtype=np.float64)


def outcomes_of(scenario: Scenario, ts: pd.DataFrame, programmes: pd.DataFrame) -> dict[str, float]:
    """The outcome totals of a finished run, from its timeseries and programme outputs.

    Lets a caller that needs more than the totals (a sweep keeps the weekly series too) run
    the model once and compute the outcomes from what it already has.
    """
    weeks = ts.iloc[1:]  # week 0 is the starting population, no events
    horizon = scenario.weeks
    # Each death loses the rest of the horizon for that person (within the run).
    deaths = (weeks["deaths_overdose"] + weeks["deaths_other"]).to_numpy()
    remaining = (horizon - weeks["week"].to_numpy()) / 52.0
    life_years_lost = float(deaths @ remaining)
    return {
        "fatal_overdoses": float(weeks["overdoses_fatal"].sum()),
        "nonfatal_overdoses": float(weeks["overdoses_nonfatal"].sum()),
        "new_hiv": float(weeks["hiv_infections"].sum()),
        "new_hcv": float(weeks["hcv_infections"].sum()),
        "deaths_all_causes": float(weeks["deaths_overdose"].sum() + weeks["deaths_other"].sum()),
        # Person-time lived: the population at the start of each week, over the horizon.
        "life_years": float(ts["population"].iloc[:-1].sum()) / 52.0,
        "life_years_lost": life_years_lost,
        "cost_usd": float(weekly_cost(scenario, ts, programmes).sum()),
    }
