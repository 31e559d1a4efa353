"""A run's outcome totals: overdoses, infections, deaths, life-years, QALYs and costs.

The numbers every comparison, sweep, sensitivity analysis and report adds up per run.
Life-years are the person-time lived over the horizon (the population at the start of each
week): initiation does not depend on deaths, so a death averted in an arm is more person-time
lived in it. Life-years lost count, for each death, the rest of the horizon.

Health economics (issue 15, ``hrsim.economics``; conventions in docs/economics.md):

- ``cost_usd``: every cost of the scenario's perspective within the run, undiscounted, in
  ``economics.price_year`` dollars: treatment for everyone treated, the programmes, and
  downstream care (and, societal, custody and lost production);
- ``qalys_run``: undiscounted QALYs lived within the run (the ``qalys`` column's sum);
- ``qalys``: discounted lifetime QALYs, the run's plus the tail's (the primary effect);
- ``life_years_discounted``: discounted lifetime life-years, the run's (people alive at the
  end of each week, /52) plus the tail's;
- ``cost_discounted_usd``: discounted lifetime cost, the run's plus the tail's (the primary
  cost);
- ``qalys_tail``, ``cost_tail_usd``: the tail's part of those (0 with ``horizon = "run"``);
- ``cost_<component>_usd``: each component's discounted lifetime cost (programmes, treatment,
  acute, chronic, criminal justice, productivity; the last two 0 unless societal).

Discounting: week ``w`` (its QALYs and costs counted at its end) is worth ``(1 + r)^(-w/52)``
at week 0; the tail of the people alive at the end of the run is discounted from the end
(``HarmReductionModel.lifetime_tail``), that of people who left alive from their week (the
timeseries' ``exits_tail_*`` columns).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from hrsim.burn_in import BurnIn, burn_in_key
from hrsim.economics.costs import COMPONENTS, unit_costs, weekly_costs
from hrsim.economics.lifetime import TAIL_KEYS, discount_factors
from hrsim.processes import DEFAULT_PROCESSES
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
    "qalys",
    "qalys_run",
    "life_years_discounted",
    "cost_discounted_usd",
    "qalys_tail",
    "cost_tail_usd",
    *(f"cost_{c}_usd" for c in COMPONENTS),
)

#: The tail's cost keys and the component each belongs to.
_TAIL_COSTS = {
    "treatment_usd": "treatment",
    "chronic_usd": "chronic",
    "productivity_usd": "productivity",
}


def run_outcomes(scenario: Scenario) -> dict[str, float]:
    """Run one scenario (no event log) and return its outcome totals."""
    model = run_model(scenario)
    return outcomes_of(
        scenario, model.timeseries_frame(), model.programme_frame(), model.lifetime_tail()
    )


def run_outcomes_sharing_burn_in(scenarios: Sequence[Scenario]) -> list[dict[str, float]]:
    """Run the arms of one replicate in turn, each burn-in once (``hrsim.burn_in``).

    Arms that differ only in their programmes (and name) start from the first such arm's
    week 0; the outcomes are those of ``run_outcomes`` on each arm (tested).
    """
    kept: dict[str, BurnIn] = {}
    results = []
    for scenario in scenarios:
        key = burn_in_key(scenario, DEFAULT_PROCESSES)
        shared = kept.get(key)
        model = run_model(scenario, burn_in=shared, keep_burn_in=shared is None)
        if shared is None and model.burn_in_state is not None:
            kept[key] = model.burn_in_state
        results.append(
            outcomes_of(
                scenario, model.timeseries_frame(), model.programme_frame(), model.lifetime_tail()
            )
        )
    return results


def weekly_cost_components(
    scenario: Scenario, ts: pd.DataFrame, programmes: pd.DataFrame
) -> dict[str, np.ndarray]:
    """Each cost component per week (price-year US dollars, undiscounted), one per row."""
    spent = programmes.loc[programmes["output"] == "cost_usd"].groupby("week")["value"].sum()
    programme = spent.reindex(ts["week"], fill_value=0.0).to_numpy(dtype=np.float64)
    econ = scenario.economics
    unit = unit_costs(scenario.costs, econ.price_year)
    return weekly_costs(ts, programme, unit, econ.perspective)


def weekly_cost(scenario: Scenario, ts: pd.DataFrame, programmes: pd.DataFrame) -> np.ndarray:
    """Cost per week of the scenario's perspective, one per timeseries row (week 0: 0).

    Treatment for everyone treated, programmes and downstream care (societal: custody and lost
    production too), undiscounted, in ``economics.price_year`` US dollars.
    """
    parts = weekly_cost_components(scenario, ts, programmes)
    return np.asarray(sum(parts.values()), dtype=np.float64)


def outcomes_of(
    scenario: Scenario,
    ts: pd.DataFrame,
    programmes: pd.DataFrame,
    tail: Mapping[str, float],
) -> dict[str, float]:
    """The outcome totals of a finished run, from its timeseries, programme outputs and tail.

    ``tail`` is ``HarmReductionModel.lifetime_tail()`` of the finished model (the people alive
    at the end, discounted to week 0; keys ``hrsim.economics.lifetime.TAIL_KEYS``). Lets a
    caller that needs more than the totals (a sweep keeps the weekly series too) run the
    model once and compute the outcomes from what it already has.
    """
    weeks = ts.iloc[1:]  # week 0 is the starting population, no events
    horizon = scenario.weeks
    # Each death loses the rest of the horizon for that person (within the run).
    deaths = (weeks["deaths_overdose"] + weeks["deaths_other"]).to_numpy()
    remaining = (horizon - weeks["week"].to_numpy()) / 52.0
    life_years_lost = float(deaths @ remaining)

    econ = scenario.economics
    d = discount_factors(ts["week"].to_numpy(), econ.discount_rate)
    parts = weekly_cost_components(scenario, ts, programmes)
    qalys_week = ts["qalys"].to_numpy(dtype=np.float64)
    alive_years = ts["population"].to_numpy(dtype=np.float64) / 52.0
    alive_years[ts["week"].to_numpy() == 0] = 0.0  # end-of-week count: week 0 lives nothing

    # The tail: the people alive at the end (from the model) and those who left alive during
    # the run (valued at their week, discounted here). Nothing with the run horizon.
    lifetime = econ.horizon == "lifetime"
    tail_total = dict.fromkeys(TAIL_KEYS, 0.0)
    if lifetime:
        for key in TAIL_KEYS:
            exits = ts[f"exits_tail_{key}"].to_numpy(dtype=np.float64)
            tail_total[key] = float(tail.get(key, 0.0)) + float(exits @ d)
    if econ.perspective != "societal":
        tail_total["productivity_usd"] = 0.0

    components = {name: float(values @ d) for name, values in parts.items()}
    for key, name in _TAIL_COSTS.items():
        components[name] += tail_total[key]
    cost_tail = sum(tail_total[key] for key in _TAIL_COSTS)
    return {
        "fatal_overdoses": float(weeks["overdoses_fatal"].sum()),
        "nonfatal_overdoses": float(weeks["overdoses_nonfatal"].sum()),
        "new_hiv": float(weeks["hiv_infections"].sum()),
        "new_hcv": float(weeks["hcv_infections"].sum()),
        "deaths_all_causes": float(weeks["deaths_overdose"].sum() + weeks["deaths_other"].sum()),
        # Person-time lived: the population at the start of each week, over the horizon.
        "life_years": float(ts["population"].iloc[:-1].sum()) / 52.0,
        "life_years_lost": life_years_lost,
        "cost_usd": float(sum(float(v.sum()) for v in parts.values())),
        "qalys": float(qalys_week @ d) + tail_total["qalys"],
        "qalys_run": float(qalys_week.sum()),
        "life_years_discounted": float(alive_years @ d) + tail_total["life_years"],
        "cost_discounted_usd": float(sum(components.values())),
        "qalys_tail": tail_total["qalys"],
        "cost_tail_usd": cost_tail,
        **{f"cost_{name}_usd": components[name] for name in COMPONENTS},
    }
