"""Paired comparison of programme arms against a baseline, on common random numbers.

Every arm runs on the same replicate seeds as the baseline (``SeedSequence.spawn``), so the
difference between an arm and the baseline within one replicate is mostly the programme's
effect, and the spread of those paired differences gives tight intervals. Runs go to a pool of
processes (all cores by default) or a Dask cluster (``hrsim.batch.executors``); results are put back
in (arm, replicate) order, so they are identical whatever the number of workers.

What is reported (conventions in docs/economics.md, "Where results appear"):

- per arm against the baseline: QALYs gained (discounted lifetime ``qalys``), the incremental
  discounted lifetime cost (``cost_discounted_usd``), the ICER per QALY gained (the ratio of
  the mean paired differences) with Fieller's 95% interval, the incremental net monetary
  benefit at each willingness-to-pay threshold with its paired t interval, and HIV
  infections, HCV infections and deaths averted, each on its own;
- secondary ratios that charge the whole (undiscounted, within-run) cost to one outcome at a
  time: cost per death, per HIV infection and per HCV infection averted;
- across every arm: the incremental cost-effectiveness table on the efficient frontier
  (``hrsim.economics.decision.incremental_table`` on the arms' mean discounted costs and
  QALYs), and the arm with the highest expected net benefit at each threshold;
- every outcome of ``hrsim.batch.outcomes.OUTCOMES`` as means, paired differences and relative
  risks.

Why Fieller for the ICER's interval: a paired comparison has few replicates (3 to 10), too few
for a percentile bootstrap (three replicates have ten distinct resamples); Fieller's interval
is exact for a ratio of normal means, uses the same t quantile as every other interval here,
and says so when it does not exist: when the QALYs gained are not distinguishable from zero,
the ratios the data cannot reject run to infinity, and no interval is given (``bounded`` is
False). The net monetary benefit is a difference, not a ratio, so its interval always exists;
it is the one to read for a decision (Tambour, Zethraeus & Johannesson 1998).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from hrsim.analysis.stats import OutcomeComparison, RatioInterval, fieller, paired
from hrsim.batch.executors import execute
from hrsim.batch.outcomes import OUTCOMES, run_outcomes_sharing_burn_in
from hrsim.batch.outcomes import run_outcomes as run_outcomes  # re-exported: old import path
from hrsim.core.rng import replicate_seeds
from hrsim.economics.decision import (
    format_incremental_table,
    incremental_table,
    net_monetary_benefit,
    wtp_vector,
)
from hrsim.errors import ScenarioError
from hrsim.scenario import Scenario

#: Willingness-to-pay thresholds (US$ per QALY) unless others are given: the three Neumann,
#: Cohen & Weinstein (2014, NEJM 371:796) recommend US analysts report. The same as
#: ``hrsim.reporting.economics_figures.DEFAULT_WTP`` (a test checks), here because this floor
#: may not import the reports'.
DEFAULT_WTP: tuple[float, ...] = (50_000.0, 100_000.0, 200_000.0)

#: The ``[economics]`` settings every arm of one comparison must share.
SHARED_ECONOMICS: tuple[str, ...] = (
    "perspective",
    "price_year",
    "currency",
    "discount_rate",
    "horizon",
)

#: Where an arm lies against the baseline (mean paired differences of cost and QALYs).
DOMINANT = "dominant"  # costs no more, more QALYs
MORE_COSTLY_MORE_EFFECTIVE = "more costly, more QALYs"
DOMINATED = "dominated"  # costs no less, fewer QALYs
LESS_COSTLY_LESS_EFFECTIVE = "less costly, fewer QALYs"
NO_QALY_DIFFERENCE = "no QALY difference"

PERSPECTIVE_TEXT = {
    "health_sector": "health sector (care and treatment costs, whoever pays)",
    "societal": "societal (health sector plus custody, arrests and lost production)",
}


class EconomicsMismatchError(ScenarioError):
    """Arms that do not share perspective, price year, currency, discount rate and horizon."""


@dataclass(frozen=True)
class EconomicsSettings:
    """The ``[economics]`` settings a comparison's costs and QALYs are stated in.

    ``years`` and ``people`` (the run's length and population) are for the header only; they
    are None when the arms differ in them.
    """

    perspective: str
    price_year: int
    currency: str
    discount_rate: float
    horizon: str
    years: float | None = None
    people: int | None = None

    @classmethod
    def of(cls, scenario: Scenario) -> EconomicsSettings:
        """The settings of one scenario."""
        econ = scenario.economics
        return cls(
            econ.perspective,
            econ.price_year,
            econ.currency,
            econ.discount_rate,
            econ.horizon,
            scenario.run.years,
            scenario.run.people,
        )

    @classmethod
    def from_mapping(
        cls, economics: Mapping[str, Any], years: float | None = None, people: int | None = None
    ) -> EconomicsSettings:
        """The settings from an ``[economics]`` table (e.g. a sweep manifest's scenario)."""
        return cls(
            str(economics["perspective"]),
            int(economics["price_year"]),
            str(economics["currency"]),
            float(economics["discount_rate"]),
            str(economics["horizon"]),
            years,
            people,
        )

    def shared(self) -> tuple[Any, ...]:
        """The values every arm must share, in ``SHARED_ECONOMICS`` order."""
        return tuple(getattr(self, name) for name in SHARED_ECONOMICS)

    def as_dict(self) -> dict[str, Any]:
        """Plain types, for JSON."""
        return {
            "perspective": self.perspective,
            "price_year": self.price_year,
            "currency": self.currency,
            "discount_rate": self.discount_rate,
            "horizon": self.horizon,
            "run_years": self.years,
            "people": self.people,
            "price_index": PRICE_INDEX,
        }

    def horizon_text(self) -> str:
        """The time horizon in words."""
        run = f"the {self.years:g}-year run" if self.years is not None else "the run"
        if self.horizon == "lifetime":
            return (
                f"lifetime: {run}, then the remaining life of everyone alive at its end (or"
                " leaving it alive), with their state at that point held for life"
            )
        return f"{run} only (nothing after it is counted)"

    def discount_text(self) -> str:
        """The discount rate in words."""
        if self.discount_rate == 0:
            return "none: costs and QALYs are undiscounted"
        return (
            f"{self.discount_rate:.3g} ({self.discount_rate * 100:g}%) a year for costs and QALYs"
            " alike, to the start of the run"
        )

    def header(self) -> list[str]:
        """The lines that state what the costs and QALYs are, for any output's header."""
        return [
            f"Perspective: {PERSPECTIVE_TEXT.get(self.perspective, self.perspective)}.",
            f"Costs: {self.price_year} US dollars ({self.currency}); each cost is converted from"
            f" its source's year by the {PRICE_INDEX}.",
            f"Discounting: {self.discount_text()}.",
            f"Horizon: {self.horizon_text()}.",
        ]


#: The index costs are converted to the price year with (``hrsim.economics.prices``).
PRICE_INDEX = "CPI-U Medical Care index (US Bureau of Labor Statistics, CUUR0000SAM)"


def agreed_economics(
    settings: Sequence[EconomicsSettings], names: Sequence[str]
) -> EconomicsSettings:
    """The settings all arms share; one line naming the first that differs, if any.

    ``years`` and ``people`` are kept when every arm has the same, else None.
    """
    first = settings[0]
    for name, other in zip(names[1:], settings[1:], strict=True):
        for key in SHARED_ECONOMICS:
            if getattr(other, key) != getattr(first, key):
                raise EconomicsMismatchError(
                    f"economics.{key}: the baseline '{names[0]}' has {getattr(first, key)!r}"
                    f" but arm '{name}' has {getattr(other, key)!r}; every arm of a comparison"
                    f" must share {', '.join(SHARED_ECONOMICS)}"
                )
    years = {s.years for s in settings}
    people = {s.people for s in settings}
    return replace(
        first,
        years=first.years if len(years) == 1 else None,
        people=first.people if len(people) == 1 else None,
    )


def economics_of_manifest(manifest: Mapping[str, Any]) -> list[EconomicsSettings]:
    """Each arm's settings in a sweep manifest: its scenario's ``[economics]``, then its sweep.

    A swept ``economics.*`` parameter of an arm overrides its scenario's value.
    """
    out = []
    for arm in manifest["arms"]:
        scenario = manifest["scenarios"][arm["scenario"]]["scenario"]
        table = dict(scenario["economics"])
        for key, value in arm.get("parameters", {}).items():
            section, _, name = str(key).partition(".")
            if section == "economics":
                table[name] = value
        out.append(EconomicsSettings.from_mapping(table, arm.get("years"), arm.get("people")))
    return out


@dataclass(frozen=True)
class Estimate:
    """A mean paired difference (sign chosen so that positive is good, or is cost) and its CI."""

    value: float
    ci95: tuple[float, float]

    def as_dict(self) -> dict[str, Any]:
        """Plain types, for JSON."""
        return {"value": self.value, "ci95": list(self.ci95)}

    @classmethod
    def gained(cls, o: OutcomeComparison, sign: float = 1.0) -> Estimate:
        """Arm minus baseline (``sign = 1``) or baseline minus arm (``sign = -1``, averted)."""
        lo, hi = sorted((sign * o.difference_ci95[0], sign * o.difference_ci95[1]))
        return cls(sign * o.difference_mean + 0.0, (lo + 0.0, hi + 0.0))  # + 0.0: no -0.0


def quadrant(incremental_cost: float, qalys_gained: float) -> str:
    """Where the mean differences put an arm on the cost-effectiveness plane."""
    if qalys_gained > 0:
        return DOMINANT if incremental_cost <= 0 else MORE_COSTLY_MORE_EFFECTIVE
    if qalys_gained < 0:
        return DOMINATED if incremental_cost >= 0 else LESS_COSTLY_LESS_EFFECTIVE
    return NO_QALY_DIFFERENCE


@dataclass(frozen=True)
class Icer:
    """The ICER of an arm against the baseline: mean incremental cost / mean QALYs gained.

    ``value`` is the ratio of the mean paired differences (None when no QALYs are gained or
    lost on average); ``ci95`` Fieller's interval (None when ``bounded`` is False: the QALYs
    gained are not distinguishable from 0, and the net monetary benefit's interval is the
    one to read). ``quadrant`` says how to read the ratio: per QALY gained when the arm costs
    more and gains QALYs; savings per QALY lost when it costs less and loses QALYs; a negative
    ratio of a dominant or dominated arm is not a price of anything.
    """

    value: float | None
    ci95: tuple[float, float] | None
    bounded: bool
    quadrant: str

    @classmethod
    def of(cls, d_cost: np.ndarray, d_qalys: np.ndarray) -> Icer:
        """From the paired differences (arm minus baseline) of cost and QALYs."""
        ratio: RatioInterval = fieller(d_cost, d_qalys)
        return cls(
            ratio.value,
            ratio.ci95,
            ratio.bounded,
            quadrant(float(np.mean(d_cost)), float(np.mean(d_qalys))),
        )

    def as_dict(self) -> dict[str, Any]:
        """Plain types, for JSON."""
        return {
            "value": self.value,
            "ci95": list(self.ci95) if self.ci95 is not None else None,
            "interval": "fieller" if self.bounded else "unbounded",
            "quadrant": self.quadrant,
        }

    def text(self, currency: str = "USD") -> str:
        """One line: the ICER as a health board reads it."""
        interval = (
            f" (95% CI {_money(self.ci95[0])} to {_money(self.ci95[1])}, Fieller)"
            if self.ci95 is not None
            else " (no 95% interval: QALYs gained not distinguishable from 0; read the net"
            " monetary benefit)"
        )
        if self.quadrant == MORE_COSTLY_MORE_EFFECTIVE and self.value is not None:
            return f"{_money(self.value)} {currency} per QALY gained{interval}"
        ratio = f"ratio {_money(self.value)}" if self.value is not None else "no ratio"
        if self.ci95 is not None:
            ratio += f", 95% CI {_money(self.ci95[0])} to {_money(self.ci95[1])}"
        else:
            ratio += "; no 95% interval: QALYs gained not distinguishable from 0"
        if self.quadrant == DOMINANT:
            return f"dominant: costs less (or the same) and gains QALYs ({ratio})"
        if self.quadrant == DOMINATED:
            return f"dominated: costs more (or the same) and loses QALYs ({ratio})"
        if self.quadrant == LESS_COSTLY_LESS_EFFECTIVE and self.value is not None:
            return f"saves {_money(self.value)} {currency} per QALY lost{interval}"
        return "none: no QALYs gained or lost on average"


@dataclass(frozen=True)
class NetBenefit:
    """Net monetary benefit (QALYs x wtp - cost) at one threshold: both arms' and the gain."""

    wtp: float
    baseline_mean: float
    arm_mean: float
    incremental: Estimate

    def as_dict(self) -> dict[str, Any]:
        """Plain types, for JSON."""
        return {
            "wtp": self.wtp,
            "baseline_mean": self.baseline_mean,
            "arm_mean": self.arm_mean,
            "incremental": self.incremental.value,
            "incremental_ci95": list(self.incremental.ci95),
        }


#: The secondary ratios: each charges the whole run cost to one outcome (key -> outcome).
PER_OUTCOME = {
    "death_averted": "deaths_all_causes",
    "hiv_infection_averted": "new_hiv",
    "hcv_infection_averted": "new_hcv",
}
PER_OUTCOME_BASIS = (
    "incremental cost within the run (undiscounted) divided by one outcome averted within the"
    " run (deaths: from all causes, overdose and other); each ratio charges the whole cost to"
    " that one outcome, so they do not add up and are secondary to the cost per QALY gained"
)

#: The outcomes whose pairing diagnostics the text shows (``--json`` has every outcome's).
PAIRING_OUTCOMES = (
    "new_hiv",
    "new_hcv",
    "fatal_overdoses",
    "deaths_all_causes",
    "life_years",
    "qalys",
    "cost_discounted_usd",
)

#: The counts averted, each reported on its own (key -> outcome).
AVERTED = {
    "hiv_infections": "new_hiv",
    "hcv_infections": "new_hcv",
    "deaths": "deaths_all_causes",
    "fatal_overdoses": "fatal_overdoses",
}


@dataclass
class ArmResult:
    """Everything reported for one arm against the baseline."""

    name: str
    outcomes: dict[str, OutcomeComparison]
    qalys: float  # the arm's mean discounted lifetime QALYs
    cost_discounted_usd: float  # the arm's mean discounted lifetime cost
    qalys_gained: Estimate
    incremental_cost_usd: Estimate
    icer: Icer
    net_benefit: list[NetBenefit]
    averted: dict[str, Estimate]
    cost_per_outcome_usd: dict[str, float | None]

    def as_dict(self) -> dict[str, Any]:
        """Plain types, for JSON."""
        return {
            "name": self.name,
            "qalys": self.qalys,
            "cost_discounted_usd": self.cost_discounted_usd,
            "qalys_gained": self.qalys_gained.as_dict(),
            "incremental_cost_usd": self.incremental_cost_usd.as_dict(),
            "icer_usd_per_qaly": self.icer.as_dict(),
            "net_monetary_benefit": [n.as_dict() for n in self.net_benefit],
            "averted": {k: v.as_dict() for k, v in self.averted.items()},
            "cost_per_outcome_usd": {"basis": PER_OUTCOME_BASIS, **self.cost_per_outcome_usd},
            "outcomes": {k: v.as_dict() for k, v in self.outcomes.items()},
        }


@dataclass
class Comparison:
    """A baseline, its arms, and the raw outcomes per run (``runs[arm][replicate]``).

    ``table`` is the incremental cost-effectiveness table over every arm (the baseline
    included) on their mean discounted lifetime costs and QALYs; ``best`` the arm with the
    highest expected net monetary benefit at each threshold of ``wtp``. ``economics`` says
    what the costs and QALYs are (None when the caller did not say: a sweep store's
    comparison).
    """

    baseline: str
    replicates: int
    seeds: list[int]
    arms: list[ArmResult]
    runs: dict[str, list[dict[str, float]]]
    wtp: tuple[float, ...] = DEFAULT_WTP
    table: pd.DataFrame = field(default_factory=pd.DataFrame)
    best: dict[float, str] = field(default_factory=dict)
    economics: EconomicsSettings | None = None
    posterior: str | None = None  # the fit whose posterior each replicate drew from
    scale: list[float] | None = None  # per replicate: the place's people per simulated person

    def as_dict(self) -> dict[str, Any]:
        """The JSON object ``hrsim compare --json`` prints."""
        return {
            "baseline": self.baseline,
            "posterior": self.posterior,
            "people_per_simulated_person": self.scale,
            "replicates": self.replicates,
            "seeds": self.seeds,
            "economics": self.economics.as_dict() if self.economics is not None else None,
            "wtp": list(self.wtp),
            "arms": [a.as_dict() for a in self.arms],
            "incremental_table": [
                {k: _plain(v) for k, v in row.items()} for row in self.table.to_dict("records")
            ],
            "best_at_wtp": [{"wtp": w, "strategy": s} for w, s in self.best.items()],
        }


def _plain(value: Any) -> Any:
    """NaN as None (JSON has no NaN), NumPy scalars as Python ones."""
    if isinstance(value, float | np.floating):
        return None if not math.isfinite(float(value)) else float(value)
    return value


def compare(
    baseline: Scenario,
    arms: list[Scenario],
    replicates: int = 10,
    seed: int = 1,
    workers: int | None = None,
    names: list[str] | None = None,
    scheduler: str | None = None,
    wtp: Sequence[float] = DEFAULT_WTP,
    progress: Callable[[int], object] | None = None,
    posterior: str | Path | None = None,
) -> Comparison:
    """Run the baseline and every arm on the same replicate seeds and compare them.

    Raises ``EconomicsMismatchError`` (one line) before running anything when the arms do not
    share perspective, price year, currency, discount rate and horizon. ``progress`` (e.g. a
    tqdm bar's ``update``) is called with 1 after each replicate (all its arms).

    ``posterior``: an ``hrsim fit`` folder. Every arm takes the place's inputs (its
    ``[place.settings]``), and replicate ``r`` runs every arm at the ``r``-th draw from the
    fit's posterior (the arms of a replicate share the draw and the seed), so
    the intervals carry the calibration's uncertainty besides the run-to-run noise; if the fit
    fitted the population, every outcome is scaled to the place (per replicate).
    """
    scenarios = [baseline, *arms]
    labels = names or [s.run.name for s in scenarios]
    if posterior is not None:  # the place's inputs (its drug supply) in every arm
        from hrsim.analysis.fit import with_place

        scenarios = with_place(posterior, scenarios)
    economics = agreed_economics([EconomicsSettings.of(s) for s in scenarios], labels)
    thresholds = tuple(float(w) for w in wtp_vector(list(wtp), "compare"))
    seeds = replicate_seeds(seed, replicates)
    draws: list[dict[str, float]] = [{} for _ in seeds]
    scale: list[float] | None = None
    if posterior is not None:
        from hrsim.analysis.fit import posterior_draws

        frame, scale = posterior_draws(posterior, scenarios, labels, replicates, seed)
        draws = [{k: float(v) for k, v in row.items()} for row in frame.to_dict("records")]
    # One task per replicate: its arms run in turn on one worker, and those that differ only
    # in their programmes share one burn-in (hrsim.burn_in; the same outcomes as separate runs).
    tasks = [
        [s.with_overrides({**draw, "run.seed": r}) for s in scenarios]
        for r, draw in zip(seeds, draws, strict=True)
    ]
    results: list[list[dict[str, float]]] = [[] for _ in tasks]
    for index, outcome in execute(
        run_outcomes_sharing_burn_in, tasks, workers=workers, scheduler=scheduler
    ):
        results[index] = outcome  # back in replicate order, whatever order runs finished in
        if progress is not None:
            progress(1)
    if scale is not None:  # every outcome is a total over the simulated people
        results = [
            [{k: v * f for k, v in arm.items()} for arm in r]
            for r, f in zip(results, scale, strict=True)
        ]
    runs = {label: [results[r][i] for r in range(replicates)] for i, label in enumerate(labels)}
    result = summarise(labels[0], labels[1:], runs, seeds, economics=economics, wtp=thresholds)
    if posterior is not None:
        result = replace(result, posterior=str(posterior), scale=scale)
    return result


def _per_averted(extra_cost: float, averted: float) -> float | None:
    """Cost per one outcome averted; None when none is averted (the ratio means nothing)."""
    return extra_cost / averted if averted > 0 else None


def summarise(
    baseline: str,
    arms: list[str],
    runs: dict[str, list[dict[str, float]]],
    seeds: list[int],
    *,
    economics: EconomicsSettings | None = None,
    wtp: Sequence[float] = DEFAULT_WTP,
) -> Comparison:
    """Compare each arm's runs with the baseline's, replicate by replicate.

    ``runs[label][r]`` holds the outcomes of replicate ``r`` (run on ``seeds[r]``) of an arm;
    every arm must have the same replicates, in the same order. ``wtp``: the thresholds (per
    QALY) for the net monetary benefit, each 0 or more.
    """
    thresholds = tuple(float(w) for w in wtp_vector(list(wtp), "wtp"))

    def column(label: str, outcome: str) -> np.ndarray:
        return np.array([run[outcome] for run in runs[label]], dtype=np.float64)

    base_cost, base_qalys = column(baseline, "cost_discounted_usd"), column(baseline, "qalys")
    arm_results = []
    for label in arms:
        outcomes = {o: paired(column(baseline, o), column(label, o)) for o in OUTCOMES}
        cost, qalys = column(label, "cost_discounted_usd"), column(label, "qalys")
        net = []
        for w in thresholds:
            b_nmb, a_nmb = base_qalys * w - base_cost, qalys * w - cost
            o = paired(b_nmb, a_nmb)
            net.append(NetBenefit(w, o.baseline_mean, o.arm_mean, Estimate.gained(o)))
        run_cost = outcomes["cost_usd"].difference_mean
        arm_results.append(
            ArmResult(
                name=label,
                outcomes=outcomes,
                qalys=float(qalys.mean()),
                cost_discounted_usd=float(cost.mean()),
                qalys_gained=Estimate.gained(outcomes["qalys"]),
                incremental_cost_usd=Estimate.gained(outcomes["cost_discounted_usd"]),
                icer=Icer.of(cost - base_cost, qalys - base_qalys),
                net_benefit=net,
                averted={k: Estimate.gained(outcomes[o], -1.0) for k, o in AVERTED.items()},
                cost_per_outcome_usd={
                    k: _per_averted(run_cost, -outcomes[o].difference_mean)
                    for k, o in PER_OUTCOME.items()
                },
            )
        )
    names = [baseline, *arms]
    mean_cost = [float(column(n, "cost_discounted_usd").mean()) for n in names]
    mean_qalys = [float(column(n, "qalys").mean()) for n in names]
    table = incremental_table(names, mean_cost, mean_qalys)
    nmb = net_monetary_benefit(np.array(mean_cost), np.array(mean_qalys), list(thresholds))
    best = {w: names[int(np.argmax(nmb[i]))] for i, w in enumerate(thresholds)}
    return Comparison(
        baseline, len(seeds), seeds, arm_results, runs, thresholds, table, best, economics
    )


# ---------------------------------------------------------------------------------------------
# Text


def _money(value: float, sign: bool = False) -> str:
    if value is None or not math.isfinite(value):
        return "-"
    return f"{value:{'+' if sign else ''},.0f}"


def _number(value: float, decimals: int = 1, sign: bool = True) -> str:
    return f"{value + 0.0:{'+' if sign else ''},.{decimals}f}"


def _with_ci(e: Estimate, decimals: int = 1, money: bool = False) -> str:
    if money:
        return f"{_money(e.value, True)} ({_money(e.ci95[0], True)} to {_money(e.ci95[1], True)})"
    lo, hi = e.ci95
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return _number(e.value, decimals)
    return f"{_number(e.value, decimals)} ({_number(lo, decimals)} to {_number(hi, decimals)})"


def format_header(result: Comparison) -> list[str]:
    """The lines above the results: what was compared and what the numbers are."""
    arms = len(result.arms)
    lines = [
        f"baseline: {result.baseline}   arms: {arms}   replicates: {result.replicates}"
        " (paired seeds: common random numbers)"
    ]
    econ = result.economics
    if result.posterior is not None:
        lines.append(
            f"Each replicate runs at its own draw from the posterior of {result.posterior}: the"
            " intervals include the calibration's uncertainty."
        )
    if econ is not None:
        lines += econ.header()
        who = f"{econ.people:,} people" if econ.people is not None else "the simulated population"
        if result.scale is not None:
            who = (
                f"the place (each simulated person stands for about "
                f"{float(np.median(result.scale)):,.1f} people)"
            )
        lines.append(
            f"Costs and QALYs are totals for {who}, per run; intervals are 95% paired t"
            " intervals over replicates (the ICER's: Fieller)."
        )
    return lines


def format_comparison(result: Comparison) -> str:
    """The readable comparison: header, per arm the economic results, then the frontier."""
    currency = result.economics.currency if result.economics is not None else "USD"
    lines = format_header(result)
    for arm in result.arms:
        lines += ["", f"arm: {arm.name} (against {result.baseline})"]
        lines += _arm_lines(arm, currency)
        lines += ["", *_outcome_table(arm)]
        if result.replicates > 1:
            lines += ["", *_pairing_table(arm)]
    if not result.table.empty:
        lines += [
            "",
            "Incremental cost-effectiveness table (every arm's mean discounted lifetime cost and"
            " QALYs; the efficient frontier):",
            format_incremental_table(result.table, currency),
        ]
        best = _best_text(result.best)
        if best:
            lines.append(f"Highest expected net monetary benefit: {best}.")
    return "\n".join(lines)


def _arm_lines(arm: ArmResult, currency: str, label: int = 44) -> list[str]:
    """One arm's economic results and the counts averted, a line each."""
    rows = [
        ("QALYs gained (discounted, lifetime)", _with_ci(arm.qalys_gained, 2)),
        (f"incremental cost ({currency}, discounted)", _with_ci(arm.incremental_cost_usd, 0, True)),
        (f"ICER ({currency} per QALY gained)", arm.icer.text(currency)),
        *(
            (f"net monetary benefit at {_money(n.wtp)} per QALY", _with_ci(n.incremental, 0, True))
            for n in arm.net_benefit
        ),
        ("HIV infections averted (in the run)", _with_ci(arm.averted["hiv_infections"])),
        ("HCV infections averted (in the run)", _with_ci(arm.averted["hcv_infections"])),
        ("deaths averted (all causes, in the run)", _with_ci(arm.averted["deaths"])),
    ]
    per = arm.cost_per_outcome_usd
    return [
        *(f"  {name:<{label}}{text}" for name, text in rows),
        f"  secondary ({currency}; each charges the whole run cost, undiscounted, to one"
        " outcome; deaths are from all causes; '-': none averted):",
        f"    per death averted {_money_or_dash(per['death_averted'])};"
        f" per HIV infection averted {_money_or_dash(per['hiv_infection_averted'])};"
        f" per HCV infection averted {_money_or_dash(per['hcv_infection_averted'])}",
    ]


def _money_or_dash(value: float | None) -> str:
    return "-" if value is None else _money(value)


def _best_text(best: Mapping[float, str]) -> str:
    """``"A at 50,000 and 100,000 per QALY; B at 200,000 per QALY"``."""
    groups: list[tuple[str, list[float]]] = []
    for w, name in best.items():
        if groups and groups[-1][0] == name:
            groups[-1][1].append(w)
        else:
            groups.append((name, [w]))
    parts = []
    for name, ws in groups:
        values = [_money(w) for w in ws]
        joined = values[0] if len(values) == 1 else ", ".join(values[:-1]) + " and " + values[-1]
        parts.append(f"{name} at {joined} per QALY")
    return "; ".join(parts)


def _pairing_table(arm: ArmResult) -> list[str]:
    """What the common random numbers bought for the headline outcomes."""
    lines = [
        "  What the pairing buys (common random numbers; paired SD below unpaired: the pairs"
        " are more precise than independent runs):",
        f"  {'outcome':<22}{'correlation':>12}{'paired SD':>14}{'unpaired SD':>14}"
        f"{'paired/unpaired':>17}",
    ]
    for name in PAIRING_OUTCOMES:
        p = arm.outcomes[name].pairing
        lines.append(
            f"  {name:<22}{_decimal(p.correlation, 2):>12}{_decimal(p.paired_sd, 1):>14}"
            f"{_decimal(p.unpaired_sd, 1):>14}{_decimal(p.sd_ratio, 2):>17}"
        )
    return lines


def _decimal(value: float | None, decimals: int) -> str:
    return "-" if value is None or not math.isfinite(value) else _number(value, decimals, False)


def _outcome_table(arm: ArmResult) -> list[str]:
    """Every outcome: means, paired differences and relative risks with 95% CIs."""
    width = max(len(name) for name in arm.outcomes) + 2
    header = f"  {'outcome':<{width}}{'baseline':>16}{'arm':>16}   {'difference (95% CI)':<44}"
    lines = [header + "relative risk (95% CI)", "  " + "-" * (width + 100)]
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
            f"  {name:<{width}}{o.baseline_mean:>16,.1f}{o.arm_mean:>16,.1f}   {diff:<44}{rr}"
        )
    return lines
