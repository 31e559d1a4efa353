"""Global sensitivity analysis with SALib (``hrsim sensitivity``).

Which parameters drive an outcome, over ranges the user chooses? Two methods:

- Sobol (Saltelli's sampling scheme on a scrambled Sobol sequence): first-order (S1) and
  total (ST) indices with bootstrap 95% confidence intervals; ``N * (D + 2)`` runs;
- Morris elementary effects: mu* (the mean absolute effect), sigma and mu*'s 95% confidence
  interval; ``N * (D + 1)`` runs, a cheaper screening.

The outcome is one of ``hrsim.analysis.compare.OUTCOMES`` from one run, or, with an arm, the paired
difference baseline minus arm (for example fatal overdoses averted by the full package): both
run on the same seed. Every sample runs on the same replicate seeds (common random numbers),
so two samples differ only by their parameters, and a parameter the outcome cannot depend on
gets an index of zero, not noise. Runs go through ``hrsim.batch.executors``.

Parameters are given as ``section.key=LOW:HIGH`` (or ``interventions.<type>.<key>=LOW:HIGH``);
a bare name varies the scenario's value by 20% either way. A programme's parameter changes
only the scenario (baseline or arm) that has the programme.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from hrsim.analysis.calibration import check_parameter, current_value
from hrsim.analysis.compare import OUTCOMES
from hrsim.batch.executors import execute
from hrsim.batch.outcomes import run_outcomes
from hrsim.core.rng import replicate_seeds
from hrsim.messages import did_you_mean
from hrsim.scenario import Scenario, ScenarioError

METHODS = ("sobol", "morris")
DEFAULT_SPREAD = 0.2  # a bare parameter name varies by 20% either way
MORRIS_LEVELS = 4


@dataclass(frozen=True)
class ParameterRange:
    """A parameter to vary and its range."""

    name: str
    low: float
    high: float
    integer: bool = False


def parse_parameters(
    specs: list[str], baseline: Scenario, arm: Scenario | None = None
) -> list[ParameterRange]:
    """Parse ``name=LOW:HIGH`` (or a bare ``name``) and check each against the scenarios."""
    if not specs:
        raise ScenarioError("--params: name at least one parameter, e.g. care.aftercare_fraction")
    out: list[ParameterRange] = []
    for spec in specs:
        name, sep, bounds = spec.partition("=")
        name = name.strip()
        where = f"--params {spec}"
        owners = _owners(name, baseline, arm)
        if not owners:
            which = "the scenario" if arm is None else "neither the scenario nor the arm"
            has = "has no" if arm is None else "has a"
            raise ScenarioError(f"{where}: {which} {has} '{name.split('.')[1]}' programme")
        if sep:
            low_text, colon, high_text = bounds.partition(":")
            try:
                low, high = float(low_text), float(high_text)
            except ValueError:
                colon = ""
            if not colon:
                raise ScenarioError(f"{where}: expected name=LOW:HIGH, e.g. {name}=0.1:0.5")
        else:
            value = current_value(owners[0], name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                check_parameter(owners[0], name, 0.0, 1.0, where)  # names the problem
                raise ScenarioError(f"{where}: give bounds as {name}=LOW:HIGH")
            if value == 0:
                raise ScenarioError(
                    f"{where}: its value is 0, so there is no 20% range: give {name}=LOW:HIGH"
                )
            low, high = sorted((value * (1 - DEFAULT_SPREAD), value * (1 + DEFAULT_SPREAD)))
        integer = False
        for scenario in owners:
            try:
                integer, _ = check_parameter(scenario, name, low, high, where)
            except ScenarioError as exc:
                if sep:
                    raise
                # A bare name's 20% either way can leave the allowed range (0.9 -> 1.08):
                # say where the range came from and what to give instead (not clipped: a
                # range the user did not ask for would change the question silently).
                raise ScenarioError(
                    f"{exc}; a bare name varies its value ({current_value(scenario, name):g}) by"
                    f" 20% either way ({low:g} to {high:g}): give {name}=LOW:HIGH within the"
                    " allowed range"
                ) from None
        if any(p.name == name for p in out):
            raise ScenarioError(f"{where}: '{name}' is named twice")
        out.append(ParameterRange(name, low, high, integer))
    return out


def _owners(name: str, baseline: Scenario, arm: Scenario | None) -> list[Scenario]:
    """The scenarios a parameter applies to (a programme's: only those with the programme)."""
    scenarios = [baseline] if arm is None else [baseline, arm]
    parts = name.split(".")
    if parts[0] != "interventions" or len(parts) != 3:
        return scenarios
    return [s for s in scenarios if any(p.type == parts[1] for p in s.interventions)]


@dataclass(frozen=True)
class SampleTask:
    """One run (or one pair of runs) for one parameter sample and one replicate seed."""

    baseline: Scenario
    arm: Scenario | None
    outcome: str


def evaluate(task: SampleTask) -> float:
    """The outcome of one sample: the baseline's, or baseline minus arm (paired seed)."""
    value = run_outcomes(task.baseline)[task.outcome]
    if task.arm is None:
        return value
    return value - run_outcomes(task.arm)[task.outcome]


def _apply(
    scenario: Scenario | None, params: list[ParameterRange], row: np.ndarray, seed: int
) -> Scenario | None:
    if scenario is None:
        return None
    overrides: dict[str, Any] = {"run.seed": seed}
    for p, x in zip(params, row, strict=True):
        if _owners(p.name, scenario, None):
            overrides[p.name] = int(round(x)) if p.integer else float(x)
    return scenario.with_overrides(overrides)


@dataclass
class SensitivityResult:
    """Indices per parameter, the samples and their outcomes."""

    method: str
    outcome_label: str
    params: list[ParameterRange]
    samples: np.ndarray
    outcomes: np.ndarray  # samples x replicates
    indices: pd.DataFrame
    seeds: list[int]

    def samples_frame(self) -> pd.DataFrame:
        """Every sample: parameter values, the outcome per replicate and its mean."""
        frame = pd.DataFrame(self.samples, columns=[p.name for p in self.params])
        for r in range(self.outcomes.shape[1]):
            frame[f"outcome_replicate_{r + 1}"] = self.outcomes[:, r]
        frame["outcome"] = self.outcomes.mean(axis=1)
        return frame


def problem(params: list[ParameterRange]) -> dict[str, Any]:
    """The SALib problem definition."""
    return {
        "num_vars": len(params),
        "names": [p.name for p in params],
        "bounds": [[p.low, p.high] for p in params],
    }


def sample(method: str, params: list[ParameterRange], n: int, seed: int) -> np.ndarray:
    """The parameter samples SALib asks for."""
    if method == "sobol":
        from SALib.sample import sobol as sobol_sample

        if n < 2 or n & (n - 1):
            raise ScenarioError(
                f"--samples {n}: Sobol sampling needs a power of 2 (e.g. 64, 128, 256)"
            )
        return np.asarray(
            sobol_sample.sample(problem(params), n, calc_second_order=False, seed=seed)
        )
    if method == "morris":
        from SALib.sample import morris as morris_sample

        if n < 2:
            raise ScenarioError(f"--samples {n}: Morris needs at least 2 trajectories")
        return np.asarray(
            morris_sample.sample(problem(params), n, num_levels=MORRIS_LEVELS, seed=seed)
        )
    raise ScenarioError(f"--method {method!r}: choose one of {', '.join(METHODS)}")


def analyse(
    method: str, params: list[ParameterRange], x: np.ndarray, y: np.ndarray, seed: int
) -> pd.DataFrame:
    """Sobol S1/ST or Morris mu*/sigma with 95% confidence intervals, one row per parameter.

    An outcome that is the same in every sample (a run too small for any event, say) leaves
    every index undefined: they are NaN, not SALib's division by a zero variance.
    """
    names = [p.name for p in params]
    if np.ptp(y) == 0:
        columns = SOBOL_COLUMNS if method == "sobol" else MORRIS_COLUMNS
        return pd.DataFrame(
            {"parameter": names, **{c: np.full(len(names), np.nan) for c in columns}}
        )
    if method == "sobol":
        from SALib.analyze import sobol

        si = sobol.analyze(problem(params), y, calc_second_order=False, conf_level=0.95, seed=seed)
        return pd.DataFrame(
            {
                "parameter": names,
                "S1": si["S1"],
                "S1_conf": si["S1_conf"],
                "ST": si["ST"],
                "ST_conf": si["ST_conf"],
            }
        )
    from SALib.analyze import morris

    si = morris.analyze(problem(params), x, y, conf_level=0.95, num_levels=MORRIS_LEVELS, seed=seed)
    return pd.DataFrame(
        {
            "parameter": names,
            "mu_star": np.asarray(si["mu_star"], dtype=float),
            "mu_star_conf": np.asarray(si["mu_star_conf"], dtype=float),
            "mu": np.asarray(si["mu"], dtype=float),
            "sigma": np.asarray(si["sigma"], dtype=float),
        }
    )


SOBOL_COLUMNS = ("S1", "S1_conf", "ST", "ST_conf")
MORRIS_COLUMNS = ("mu_star", "mu_star_conf", "mu", "sigma")


def check_outcome(outcome: str) -> None:
    """An unknown outcome names the closest valid one."""
    if outcome not in OUTCOMES:
        hint = did_you_mean(outcome, OUTCOMES, always_list=True)
        raise ScenarioError(f"--outcome {outcome!r}: unknown outcome{hint}")


def run_sensitivity(
    baseline: Scenario,
    params: list[ParameterRange],
    *,
    method: str,
    samples: int,
    outcome: str = "fatal_overdoses",
    arm: Scenario | None = None,
    replicates: int = 1,
    seed: int = 1,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: Callable[[int], object] | None = None,
) -> SensitivityResult:
    """Sample, run every sample on the common seeds, and analyse.

    ``progress`` (e.g. a tqdm bar's ``update``) is called with 1 after each sample's
    replicate (:func:`runs_needed` counts the model runs; paired arms are one task).
    """
    check_outcome(outcome)
    if method not in METHODS:
        raise ScenarioError(f"--method {method!r}: choose one of {', '.join(METHODS)}")
    if replicates < 1:
        raise ScenarioError("--replicates must be at least 1")
    x = sample(method, params, samples, seed)
    seeds = replicate_seeds(seed, replicates)
    tasks = []
    for row in x:
        for s in seeds:
            b = _apply(baseline, params, row, s)
            assert b is not None
            tasks.append(SampleTask(b, _apply(arm, params, row, s), outcome))
    values = np.zeros(len(tasks))
    keys = [f"hrsim-sensitivity-{i // replicates}-{i % replicates}" for i in range(len(tasks))]
    for index, value in execute(evaluate, tasks, workers=workers, scheduler=scheduler, keys=keys):
        values[index] = value
        if progress is not None:
            progress(1)
    outcomes = values.reshape(len(x), replicates)
    y = outcomes.mean(axis=1)
    indices = analyse(method, params, x, y, seed)
    label = outcome if arm is None else f"{outcome} averted by {arm.run.name} (baseline minus arm)"
    return SensitivityResult(method, label, params, x, outcomes, indices, seeds)


def runs_needed(method: str, n: int, d: int, replicates: int, paired: bool) -> int:
    """How many model runs an analysis takes."""
    per = n * (d + 2) if method == "sobol" else n * (d + 1)
    return per * replicates * (2 if paired else 1)


# ---------------------------------------------------------------------------------------------
# Outputs


def format_summary(result: SensitivityResult) -> str:
    """The indices as a text table, most influential first."""
    ind = result.indices
    lines = [f"{result.method} indices of {result.outcome_label}", ""]
    if result.method == "sobol":
        lines.append(f"  {'parameter':<46}{'S1 (95% CI)':>22}{'ST (95% CI)':>22}")
        for row in ind.sort_values("ST", ascending=False).itertuples(index=False):
            lines.append(
                f"  {row.parameter:<46}{row.S1:>10.3f} +/- {row.S1_conf:<7.3f}"
                f"{row.ST:>10.3f} +/- {row.ST_conf:<7.3f}"
            )
    else:
        lines.append(f"  {'parameter':<46}{'mu* (95% CI)':>24}{'mu':>12}{'sigma':>12}")
        for row in ind.sort_values("mu_star", ascending=False).itertuples(index=False):
            lines.append(
                f"  {row.parameter:<46}{row.mu_star:>12.4g} +/- {row.mu_star_conf:<8.3g}"
                f"{row.mu:>12.4g}{row.sigma:>12.4g}"
            )
    y = result.outcomes.mean(axis=1)
    lines.append(
        f"\n{len(y)} samples x {result.outcomes.shape[1]} replicate(s); outcome mean "
        f"{y.mean():.4g}, range {y.min():.4g} to {y.max():.4g}"
    )
    if np.ptp(y) == 0:
        lines.append(
            "the outcome is the same in every sample, so no index is defined (nan): use more"
            " people or years, or another --outcome"
        )
    return "\n".join(lines)
