"""Paired comparison of programme arms against a baseline, on common random numbers.

Every arm runs on the same replicate seeds as the baseline (``SeedSequence.spawn``), so the
difference between an arm and the baseline within one replicate is mostly the programme's
effect, and the spread of those paired differences gives tight intervals. Runs go to a pool of
processes (all cores by default) or a Dask cluster (``hrsim.batch.executors``); results are put back
in (arm, replicate) order, so they are identical whatever the number of workers.

Outcomes per run: fatal and non-fatal overdoses, new HIV and HCV infections, deaths from all
causes, life-years (person-time lived over the horizon: initiation does not depend on deaths,
so a death averted is more person-time lived), life-years lost (the rest of the horizon for
each death), and cost in US dollars (programme costs plus MOUD treatment).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from hrsim.analysis.stats import OutcomeComparison, paired
from hrsim.batch.executors import execute
from hrsim.batch.outcomes import OUTCOMES, run_outcomes
from hrsim.core.rng import replicate_seeds
from hrsim.scenario import Scenario


@dataclass
class ArmResult:
    """Everything reported for one arm."""

    name: str
    outcomes: dict[str, OutcomeComparison]
    cost_usd: float
    cost_per_death_averted_usd: float | None
    cost_per_infection_averted_usd: float | None

    def as_dict(self) -> dict[str, Any]:
        """Plain types, for JSON."""
        return {
            "name": self.name,
            "outcomes": {k: v.as_dict() for k, v in self.outcomes.items()},
            "cost_usd": self.cost_usd,
            "cost_per_death_averted_usd": self.cost_per_death_averted_usd,
            "cost_per_infection_averted_usd": self.cost_per_infection_averted_usd,
        }


@dataclass
class Comparison:
    """A baseline, its arms, and the raw outcomes per run (``runs[arm][replicate]``)."""

    baseline: str
    replicates: int
    seeds: list[int]
    arms: list[ArmResult]
    runs: dict[str, list[dict[str, float]]]

    def as_dict(self) -> dict[str, Any]:
        """The JSON object ``hrsim compare --json`` prints."""
        return {
            "baseline": self.baseline,
            "replicates": self.replicates,
            "seeds": self.seeds,
            "arms": [a.as_dict() for a in self.arms],
        }


def _per_averted(extra_cost: float, averted: float) -> float | None:
    return extra_cost / averted if averted > 0 else None


def compare(
    baseline: Scenario,
    arms: list[Scenario],
    replicates: int = 10,
    seed: int = 1,
    workers: int | None = None,
    names: list[str] | None = None,
    scheduler: str | None = None,
) -> Comparison:
    """Run the baseline and every arm on the same replicate seeds and compare them."""
    scenarios = [baseline, *arms]
    labels = names or [s.run.name for s in scenarios]
    seeds = replicate_seeds(seed, replicates)
    tasks = [
        s.with_overrides({"run.seed": replicate_seed})
        for s in scenarios
        for replicate_seed in seeds
    ]
    results: list[dict[str, float]] = [{} for _ in tasks]
    for index, outcome in execute(run_outcomes, tasks, workers=workers, scheduler=scheduler):
        results[index] = outcome  # back in task order, whatever order runs finished in
    runs = {
        labels[i]: results[i * replicates : (i + 1) * replicates] for i in range(len(scenarios))
    }
    return summarise(labels[0], labels[1:], runs, seeds)


def summarise(
    baseline: str, arms: list[str], runs: dict[str, list[dict[str, float]]], seeds: list[int]
) -> Comparison:
    """Compare each arm's runs with the baseline's, replicate by replicate.

    ``runs[label][r]`` holds the outcomes of replicate ``r`` (run on ``seeds[r]``) of an arm;
    every arm must have the same replicates, in the same order.
    """

    def column(label: str, outcome: str) -> np.ndarray:
        return np.array([run[outcome] for run in runs[label]])

    arm_results = []
    for label in arms:
        outcomes = {o: paired(column(baseline, o), column(label, o)) for o in OUTCOMES}
        extra = outcomes["cost_usd"].difference_mean
        deaths_averted = -outcomes["deaths_all_causes"].difference_mean
        infections_averted = -(
            outcomes["new_hiv"].difference_mean + outcomes["new_hcv"].difference_mean
        )
        arm_results.append(
            ArmResult(
                label,
                outcomes,
                outcomes["cost_usd"].arm_mean,
                _per_averted(extra, deaths_averted),
                _per_averted(extra, infections_averted),
            )
        )
    return Comparison(baseline, len(seeds), seeds, arm_results, runs)


def format_comparison(result: Comparison) -> str:
    """A readable table per arm: means, paired differences and relative risks with 95% CIs."""
    lines = [f"baseline: {result.baseline}   replicates: {result.replicates} (paired seeds)"]
    for arm in result.arms:
        lines += ["", f"arm: {arm.name}"]
        header = f"  {'outcome':<20}{'baseline':>14}{'arm':>14}   {'difference (95% CI)':<42}"
        lines += [header + "relative risk (95% CI)", "  " + "-" * 112]
        for name, o in arm.outcomes.items():
            diff = (
                f"{o.difference_mean:+,.1f} ({o.difference_ci95[0]:+,.1f} to "
                f"{o.difference_ci95[1]:+,.1f})"
            )
            if o.relative_risk is None:
                rr = "-"
            elif o.relative_risk_ci95 is None:
                rr = f"{o.relative_risk:.3f}"
            else:
                lo, hi = o.relative_risk_ci95
                rr = f"{o.relative_risk:.3f} ({lo:.3f} to {hi:.3f})"
            lines.append(
                f"  {name:<20}{o.baseline_mean:>14,.1f}{o.arm_mean:>14,.1f}   {diff:<42}{rr}"
            )
        per_death = arm.cost_per_death_averted_usd
        per_inf = arm.cost_per_infection_averted_usd
        lines.append(
            f"  cost per death averted: {'-' if per_death is None else f'${per_death:,.0f}'}"
            f"   cost per infection averted: {'-' if per_inf is None else f'${per_inf:,.0f}'}"
        )
    return "\n".join(lines)
