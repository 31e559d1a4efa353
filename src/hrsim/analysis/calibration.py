"""Calibration: fit chosen parameters to targets with Optuna (``hrsim calibrate``).

A targets file declares the parameters to fit (dotted scenario keys with bounds) and the
targets (a named summary statistic of a run from ``hrsim.analysis.measures.STATISTICS``, a value and
its standard error)::

    [calibration]                 # optional; command-line options override these
    trials = 40                   # trials in all
    batch = 8                     # trials asked for, run and told together
    replicates = 3                # runs per trial, on the same seeds for every trial
    seed = 1                      # sampler seed and base of the replicate seeds

    [[parameters]]
    name = "overdose.base_rate_per_year"     # or interventions.<type>.<key>
    low = 0.01
    high = 0.06
    log = false                   # optional: search on the log scale

    [[targets]]
    statistic = "pwid_fatal_overdoses_per_1000_py"
    value = 8.94
    se = 0.77                     # the loss is sum(weight * ((mean - value) / se) ** 2)
    weight = 1.0                  # optional

Every trial runs the same replicate seeds (common random numbers), so two trials differ only
by their parameters, and the loss surface is not blurred by run-to-run noise. Optuna's TPE
sampler, seeded, proposes ``batch`` trials at a time (``constant_liar`` keeps a batch spread
out); their runs go to ``hrsim.batch.executors`` (local processes or a Dask cluster) and the losses
are told back in trial order. The batch size, not the number of workers, fixes the sequence of
proposals, so the same command gives the same trials on one core, many, or a cluster.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from hrsim.analysis.measures import STATISTICS, run_statistics
from hrsim.batch.executors import execute
from hrsim.core.rng import replicate_seeds
from hrsim.errors import ScenarioError
from hrsim.messages import check_keys, did_you_mean
from hrsim.scenario import Scenario, read_toml

SETTINGS = {"trials": 40, "batch": 8, "replicates": 3, "seed": 1}


@dataclass(frozen=True)
class Parameter:
    """A parameter to fit: a dotted scenario key, its bounds, and how to search it."""

    name: str
    low: float
    high: float
    log: bool = False
    integer: bool = False


@dataclass(frozen=True)
class Target:
    """A named statistic, the value to reach, its standard error and weight."""

    statistic: str
    value: float
    se: float
    weight: float = 1.0


@dataclass
class CalibrationSpec:
    """A validated targets file."""

    parameters: list[Parameter]
    targets: list[Target]
    settings: dict[str, int] = field(default_factory=lambda: dict(SETTINGS))


# ---------------------------------------------------------------------------------------------
# Reading and checking the targets file


def _number(where: str, key: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ScenarioError(f"{where}: {key} = {value!r} must be a finite number")
    return float(value)


def current_value(scenario: Scenario, name: str) -> Any:
    """The scenario's value of a dotted key (``interventions.<type>.<key>`` included)."""
    data = scenario.model_dump()
    parts = name.split(".")
    if parts[0] == "interventions" and len(parts) == 3:
        for programme in data["interventions"]:
            if programme["type"] == parts[1]:
                return programme.get(parts[2])
        return None
    section = data.get(parts[0], {})
    return section.get(parts[1]) if len(parts) == 2 and isinstance(section, dict) else None


def check_parameter(
    scenario: Scenario, name: str, low: float, high: float, where: str
) -> tuple[bool, Any]:
    """Check that ``name`` is a numeric parameter of ``scenario`` and both bounds are allowed.

    Returns whether it is an integer parameter and its current value. Errors are one line
    that names ``where``, with the closest valid key or the allowed range.
    """

    def attempt(value: float) -> None:
        try:
            scenario.with_overrides({name: value})
        except ScenarioError as exc:
            raise ScenarioError(f"{where}: {str(exc).removeprefix('override: ')}") from None

    current = current_value(scenario, name)
    if current is None:
        attempt(low)  # an unknown key, or a programme the scenario lacks: says which
    if isinstance(current, bool) or not isinstance(current, int | float):
        raise ScenarioError(
            f"{where}: '{name}' is not a single number (it is {current!r}); "
            "only numeric parameters can be varied"
        )
    if not low < high:
        raise ScenarioError(f"{where}: low ({low:g}) must be below high ({high:g})")
    attempt(low)
    attempt(high)
    return isinstance(current, int), current


def load_targets(path: str | Path, scenario: Scenario) -> CalibrationSpec:
    """Read and check a targets file against ``scenario``; every error is one line."""
    file = Path(path)
    data = read_toml(file, "targets file")
    check_keys(str(file), data, ["calibration", "parameters", "targets"], [])
    settings = dict(SETTINGS)
    for key, value in data.get("calibration", {}).items():
        if key not in SETTINGS:
            hint = did_you_mean(key, [*SETTINGS], list_valid=True)
            raise ScenarioError(f"{file}: [calibration] unknown key '{key}'{hint}")
        if (
            isinstance(value, bool)
            or not isinstance(value, int)
            or value < (0 if key == "seed" else 1)
        ):
            raise ScenarioError(
                f"{file}: [calibration] {key} = {value!r} must be a whole number >= 1"
            )
        settings[key] = value

    raw_params = data.get("parameters", [])
    if not isinstance(raw_params, list) or not raw_params:
        raise ScenarioError(f"{file}: declare at least one [[parameters]] table")
    parameters: list[Parameter] = []
    for i, table in enumerate(raw_params):
        where = f"{file}: parameters[{i}]"
        if not isinstance(table, dict):
            raise ScenarioError(f"{where}: must be a table")
        check_keys(where, table, ["name", "low", "high", "log"], ["name", "low", "high"])
        name = str(table["name"])
        low, high = _number(where, "low", table["low"]), _number(where, "high", table["high"])
        log = table.get("log", False)
        if not isinstance(log, bool):
            raise ScenarioError(f"{where}: log = {log!r} must be true or false")
        if log and low <= 0:
            raise ScenarioError(f"{where}: log = true needs low > 0 (got {low:g})")
        if any(p.name == name for p in parameters):
            raise ScenarioError(f"{where}: '{name}' is declared twice")
        integer, _ = check_parameter(scenario, name, low, high, f"{where} ({name})")
        if integer and math.ceil(low) >= math.floor(high):
            raise ScenarioError(
                f"{where} ({name}): a whole-number parameter needs at least two whole numbers "
                f"between low and high (got {low:g} to {high:g})"
            )
        parameters.append(Parameter(name, low, high, log, integer))

    raw_targets = data.get("targets", [])
    if not isinstance(raw_targets, list) or not raw_targets:
        raise ScenarioError(f"{file}: declare at least one [[targets]] table")
    targets: list[Target] = []
    for i, table in enumerate(raw_targets):
        where = f"{file}: targets[{i}]"
        if not isinstance(table, dict):
            raise ScenarioError(f"{where}: must be a table")
        check_keys(
            where, table, ["statistic", "value", "se", "weight"], ["statistic", "value", "se"]
        )
        stat = str(table["statistic"])
        if stat not in STATISTICS:
            hint = did_you_mean(stat, [*STATISTICS], list_valid=True)
            raise ScenarioError(f"{where}: unknown statistic '{stat}'{hint}")
        se = _number(where, "se", table["se"])
        weight = _number(where, "weight", table.get("weight", 1.0))
        if se <= 0:
            raise ScenarioError(f"{where}: se = {se:g} must be above 0")
        if weight < 0:
            raise ScenarioError(f"{where}: weight = {weight:g} must not be negative")
        targets.append(Target(stat, _number(where, "value", table["value"]), se, weight))
    return CalibrationSpec(parameters, targets, settings)


# ---------------------------------------------------------------------------------------------
# Running the study


@dataclass
class TrialRecord:
    """One trial: its parameters, loss, and each target statistic's mean and SE."""

    number: int
    params: dict[str, float]
    loss: float
    means: dict[str, float]
    ses: dict[str, float]


@dataclass
class CalibrationResult:
    """Every trial and the best one."""

    spec: CalibrationSpec
    seeds: list[int]
    trials: list[TrialRecord]

    @property
    def best(self) -> TrialRecord:
        """The trial with the lowest loss (the first of ties)."""
        finite = [t for t in self.trials if math.isfinite(t.loss)]
        if not finite:
            raise ScenarioError("no trial could be evaluated (every parameter set was invalid)")
        return min(finite, key=lambda t: (t.loss, t.number))

    def frame(self) -> pd.DataFrame:
        """The trial history, one row per trial."""
        rows = []
        for t in self.trials:
            row: dict[str, Any] = {"trial": t.number, "loss": t.loss, **t.params}
            for target in self.spec.targets:
                row[f"{target.statistic}_mean"] = t.means.get(target.statistic, float("nan"))
                row[f"{target.statistic}_se"] = t.ses.get(target.statistic, float("nan"))
            rows.append(row)
        return pd.DataFrame(rows)


def loss_of(targets: list[Target], means: dict[str, float]) -> float:
    """Weighted sum of squared standardised distances to the targets."""
    return float(sum(t.weight * ((means[t.statistic] - t.value) / t.se) ** 2 for t in targets))


def _distribution(p: Parameter) -> Any:
    from optuna.distributions import FloatDistribution, IntDistribution

    if p.integer:
        return IntDistribution(int(math.ceil(p.low)), int(math.floor(p.high)), log=p.log)
    return FloatDistribution(p.low, p.high, log=p.log)


def calibrate(
    scenario: Scenario,
    spec: CalibrationSpec,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: Callable[[CalibrationResult], None] | None = None,
) -> CalibrationResult:
    """Run the study: ``settings['trials']`` trials in batches, each on the common seeds.

    ``progress`` is called with the trials so far after every batch (to report, or to save
    the history so that an interrupted study keeps its finished trials).
    """
    import optuna
    from optuna.samplers import TPESampler
    from optuna.trial import TrialState

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    s = spec.settings
    seeds = replicate_seeds(s["seed"], s["replicates"])
    sampler = TPESampler(
        seed=s["seed"], constant_liar=True, n_startup_trials=min(10, max(2, s["trials"] // 4))
    )
    study = optuna.create_study(direction="minimize", sampler=sampler)
    distributions = {p.name: _distribution(p) for p in spec.parameters}
    records: list[TrialRecord] = []
    while len(records) < s["trials"]:
        size = min(s["batch"], s["trials"] - len(records))
        asked = [study.ask(distributions) for _ in range(size)]
        tasks, owners, invalid = [], [], set()
        for k, trial in enumerate(asked):
            try:
                candidate = scenario.with_overrides(trial.params)
            except ScenarioError:  # a rule across fields (e.g. initial shares) is broken
                invalid.add(k)
                continue
            for replicate_seed in seeds:
                tasks.append(candidate.with_overrides({"run.seed": replicate_seed}))
                owners.append(k)
        stats: list[dict[str, float]] = [{} for _ in tasks]
        keys = [f"hrsim-calibrate-{asked[o].number}-{i % len(seeds)}" for i, o in enumerate(owners)]
        for index, result in execute(
            run_statistics, tasks, workers=workers, scheduler=scheduler, keys=keys
        ):
            stats[index] = result
        for k, trial in enumerate(asked):
            if k in invalid:
                study.tell(trial, state=TrialState.FAIL)
                records.append(TrialRecord(trial.number, dict(trial.params), math.inf, {}, {}))
                continue
            runs = [st for st, o in zip(stats, owners, strict=True) if o == k]
            means, ses = {}, {}
            for target in spec.targets:
                values = np.array([r[target.statistic] for r in runs])
                means[target.statistic] = float(values.mean())
                ses[target.statistic] = (
                    float(values.std(ddof=1) / np.sqrt(values.size)) if values.size > 1 else 0.0
                )
            loss = loss_of(spec.targets, means)
            study.tell(trial, loss)
            records.append(TrialRecord(trial.number, dict(trial.params), loss, means, ses))
        if progress is not None:
            progress(CalibrationResult(spec, seeds, list(records)))
    return CalibrationResult(spec, seeds, records)


# ---------------------------------------------------------------------------------------------
# Outputs


def calibrated_scenario(scenario: Scenario, result: CalibrationResult) -> Scenario:
    """``scenario`` with the best trial's parameters."""
    return scenario.with_overrides(result.best.params)


def format_summary(result: CalibrationResult) -> str:
    """The best parameters and each target's fit, as text."""
    best = result.best
    lines = [
        f"best trial {best.number} of {len(result.trials)}: loss {best.loss:.4g} "
        f"({len(result.seeds)} replicates per trial, common seeds)",
        "",
        "parameter                                   value        bounds",
    ]
    for p in result.spec.parameters:
        lines.append(f"  {p.name:<40} {best.params[p.name]:<12.6g} {p.low:g} to {p.high:g}")
    lines += ["", "target                                      value        simulated (SE)"]
    for t in result.spec.targets:
        lines.append(
            f"  {t.statistic:<40} {t.value:<12.6g} {best.means[t.statistic]:.6g} "
            f"({best.ses[t.statistic]:.3g})"
        )
    return "\n".join(lines)
