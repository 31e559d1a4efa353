"""Probabilistic sensitivity analysis (``hrsim psa``): parameter samples x arms, on common seeds.

Which parameters are sampled: every default that declares a distribution (``psa = { dist,
low, high }`` next to its value and source, see :mod:`hrsim.economics.distributions`), plus
or instead of those in a ``--distributions`` file::

    [psa]
    only = ["overdose.*", "response.*"]      # optional: sample only these (names or patterns)
    exclude = ["demography.other_cause_smr"] # optional: never these

    [psa.distributions]                      # add or override distributions
    "overdose.base_rate_per_year" = { dist = "gamma", low = 0.015, high = 0.025 }
    "interventions.naloxone_distribution.kit_probability_per_week" = {
        dist = "uniform", low = 0.05, high = 0.2 }

A distribution is centred on the scenarios' value of the parameter (the default's, unless a
scenario file changes it; its declared interval must then still hold that value). A
parameter of a programme applies only to the arms that have the programme. A parameter whose
value differs between arms defines them (a scenario choice, not an uncertainty) and is not
sampled: the plan says so. Parameters are sampled as a Latin hypercube, one stream per
parameter (:func:`hrsim.economics.distributions.sample_parameters`).

The runs: sample ``s`` x arm ``k`` x replicate ``r``. The seed of run (s, k, r) is the seed of
(s, r), shared by every arm of sample ``s`` (common random numbers: within a sample, arms
differ by their programmes only) and different between samples (each sample's Monte Carlo
noise is independent of the others'). It is ``SeedSequence(seed, spawn_key=(s, r))`` (the
same as ``SeedSequence(seed).spawn(...)[s].spawn(...)[r]``), so it depends on nothing but the
base seed, the sample and the replicate: not on the number of samples, the workers, the order
runs finish in or which runs were done before. Runs go through the sweep machinery
(:func:`hrsim.batch.sweep.plan_arms`): one file per run in a resumable store, with a manifest
and fingerprint, a lock, damaged-file detection and local or Dask executors.

Optional base-case runs (``base_runs = M``): every arm at the scenarios' own values on ``M``
more seeds (``spawn_key=(2**31, j)``). With one replicate per sample they measure the seed-only
(Monte Carlo) variance that the variance decomposition then takes out of the total; they
assume the Monte Carlo variance at the base case is that of every sample.
"""

from __future__ import annotations

import fnmatch
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from hrsim.analysis.calibration import check_parameter, current_value
from hrsim.analysis.fit import posterior_draws, resolve_fit, with_place
from hrsim.analysis.posterior import FitPrior, fit_priors
from hrsim.batch.outcomes import OUTCOMES
from hrsim.batch.store import Experiment, load_experiment
from hrsim.batch.sweep import MAX_ARMS, Arm, Plan, plan_arms
from hrsim.economics.distributions import (
    Distribution,
    DistributionError,
    parse,
    sample_parameters,
)
from hrsim.errors import ScenarioError
from hrsim.files import csv_text, safe_file_name, write_atomic
from hrsim.messages import did_you_mean, show, unknown
from hrsim.places import POPULATION
from hrsim.scenario import Scenario, parameter_table, read_toml
from hrsim.scenario.priors import default_distributions as default_declarations

PSA_FORMAT = "hrsim-psa/1"
#: Willingness-to-pay thresholds reported unless others are given (US$ per QALY): the three
#: Neumann, Cohen & Weinstein (2014, NEJM 371:796-797) recommend US analysts report (as the
#: figures' default in hrsim.reporting.economics_figures).
DEFAULT_WTP: tuple[float, ...] = (50_000.0, 100_000.0, 200_000.0)
DEFAULT_EFFECT = "qalys"
DEFAULT_COST = "cost_discounted_usd"
FILE_KEYS = ("distributions", "only", "exclude")
#: The first spawn key of the base-case runs' seeds: above any sample number.
BASE_KEY = 2**31
MAX_SAMPLES = 100_000


# ---------------------------------------------------------------------------------------------
# Seeds


def _seed_of(seed: int, key: tuple[int, int]) -> int:
    state = np.random.SeedSequence(int(seed), spawn_key=key).generate_state(1, dtype=np.uint64)
    return int(state[0] >> np.uint64(1))  # 63 bits: a run.seed


def psa_seeds(seed: int, samples: int, replicates: int) -> list[list[int]]:
    """The run seed of every (sample, replicate): ``SeedSequence(seed, spawn_key=(s, r))``."""
    return [[_seed_of(seed, (s, r)) for r in range(replicates)] for s in range(samples)]


def base_case_seeds(seed: int, runs: int) -> list[int]:
    """The seeds of the base-case runs: ``SeedSequence(seed, spawn_key=(2**31, j))``."""
    return [_seed_of(seed, (BASE_KEY, j)) for j in range(runs)]


# ---------------------------------------------------------------------------------------------
# Which parameters are sampled


@dataclass(frozen=True)
class Sampled:
    """A sampled parameter: its distribution and the arms (by name) it applies to.

    ``posterior`` names the fit (``hrsim fit`` folder) whose posterior the values are drawn
    from jointly, instead of from ``distribution``; ``prior`` is then the prior that fit used,
    read from its files, and ``distribution`` is that prior, for reference (when the fit's
    files do not give it: the default's distribution, or a point at the scenarios' value,
    and ``prior`` says so).
    """

    distribution: Distribution
    arms: tuple[str, ...]
    posterior: str | None = None
    prior: FitPrior | None = None

    def as_dict(self) -> dict[str, Any]:
        """Plain types, for JSON."""
        drawn = {"drawn_from": f"posterior of {self.posterior}"} if self.posterior else {}
        prior = self.prior.as_dict() if self.posterior and self.prior else {}
        return {**self.distribution.as_dict(), "arms": list(self.arms), **drawn, **prior}

    def describe(self) -> str:
        """How the values are drawn, for the plan."""
        if self.posterior:
            if self.prior is None:
                return f"joint posterior draws from {self.posterior}"
            unknown = "" if self.prior.distribution else f"; {self.prior.note}"
            return (
                f"joint posterior draws from {self.posterior} (the fit's prior"
                f" {self.prior.text}{unknown})"
            )
        return self.distribution.describe()


@dataclass(frozen=True)
class DistributionsFile:
    """A ``--distributions`` file: distributions to add or override, and a subset."""

    where: str
    distributions: dict[str, dict[str, Any]] = field(default_factory=dict)
    only: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()


def read_distributions(source: str | Path | Mapping[str, Any]) -> DistributionsFile:
    """Read a ``--distributions`` file (or the same structure as a dict); one-line errors."""
    if isinstance(source, Mapping):
        where, raw = "distributions", dict(source)
    else:
        where, raw = str(source), read_toml(source, "distributions file")
    for key in raw:
        if key != "psa":
            raise ScenarioError(unknown(where, str(key), ["psa"], "table"))
    table = raw.get("psa", {})
    if not isinstance(table, dict):
        raise ScenarioError(f"{where}: [psa] must be a table")
    for key in table:
        if key not in FILE_KEYS:
            raise ScenarioError(unknown(where, f"psa.{key}", [f"psa.{k}" for k in FILE_KEYS]))
    lists = {}
    for key in ("only", "exclude"):
        value = table.get(key, [])
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ScenarioError(f"{where}: psa.{key} = {show(value)}: expected a list of names")
        lists[key] = tuple(value)
    given = table.get("distributions", {})
    if not isinstance(given, dict):
        raise ScenarioError(f"{where}: [psa.distributions] must be a table")
    flat: dict[str, dict[str, Any]] = {}

    def walk(prefix: str, value: Any) -> None:
        # A table with a "dist" key is one declaration; any other table nests names.
        if isinstance(value, dict) and "dist" not in value and (value or not prefix):
            for k, v in value.items():
                walk(f"{prefix}.{k}" if prefix else str(k), v)
            return
        flat[prefix] = value

    walk("", given)
    return DistributionsFile(where, flat, lists["only"], lists["exclude"])


def _model_keys() -> list[str]:
    return [f"{s}.{k}" for s, entries in parameter_table().items() for k in entries]


def _check_name(name: str, where: str) -> None:
    """``name`` is a model parameter or a parameter of a known programme (one-line error)."""
    from hrsim.errors import InterventionSpecError
    from hrsim.interventions import lookup, registered

    parts = name.split(".")
    if parts[0] == "interventions":
        if len(parts) != 3:
            raise ScenarioError(f"{where}: '{name}' must be interventions.<type>.<key>")
        try:
            params = lookup(parts[1]).Params
        except InterventionSpecError:
            raise ScenarioError(
                unknown(where, parts[1], sorted(registered()), "programme type", list_valid=True)
            ) from None
        keys = [k for k in params.model_fields if k != "type"]
        if parts[2] not in keys:
            prefix = f"interventions.{parts[1]}."
            raise ScenarioError(unknown(where, name, [prefix + k for k in keys], list_valid=8))
        return
    if name not in _model_keys():
        raise ScenarioError(unknown(where, name, _model_keys()))


def _owners(name: str, scenarios: Sequence[Scenario]) -> list[int]:
    """The arms a parameter applies to: all of them, or those with its programme."""
    parts = name.split(".")
    if parts[0] != "interventions":
        return list(range(len(scenarios)))
    return [i for i, s in enumerate(scenarios) if any(p.type == parts[1] for p in s.interventions)]


def choose_parameters(
    scenarios: Sequence[Scenario],
    names: Sequence[str],
    distributions: DistributionsFile | None = None,
) -> tuple[dict[str, Sampled], dict[str, str]]:
    """The parameters to sample (with the arms each applies to) and why others are not.

    Returns ``(sampled, excluded)``: ``excluded`` maps a declared parameter that is not
    sampled to the reason (it differs between arms, or the scenarios moved its value out of
    its declared interval). A parameter named in the file that cannot be sampled is an error.
    """
    spec = distributions or DistributionsFile("")
    candidates: dict[str, tuple[Distribution | dict[str, Any], str]] = {
        name: (d, d.where) for name, d in default_declarations().items()
    }
    for name, given in spec.distributions.items():
        _check_name(name, spec.where)
        candidates[name] = (given, spec.where)
    for pattern in (*spec.only, *spec.exclude):
        if not fnmatch.filter(candidates, pattern):
            which = "only" if pattern in spec.only else "exclude"
            hint = did_you_mean(pattern, list(candidates))
            raise ScenarioError(
                f"{spec.where}: psa.{which}: '{pattern}' names no parameter with a"
                f" distribution{hint}"
            )
    sampled: dict[str, Sampled] = {}
    excluded: dict[str, str] = {}
    for name, (declaration, where) in candidates.items():
        from_file = not isinstance(declaration, Distribution)
        if spec.only and not any(fnmatch.fnmatchcase(name, p) for p in spec.only):
            continue
        if any(fnmatch.fnmatchcase(name, p) for p in spec.exclude):
            continue
        owners = _owners(name, scenarios)
        if not owners:
            if from_file:
                raise ScenarioError(
                    f"{where}: {name}: no arm has the '{name.split('.')[1]}' programme"
                )
            continue  # a programme none of the arms runs
        values = [current_value(scenarios[i], name) for i in owners]
        if any(v != values[0] for v in values[1:]):
            shown = ", ".join(f"{names[i]} {show(v)}" for i, v in zip(owners, values, strict=True))
            reason = f"its value differs between arms ({shown}): it defines them"
            if from_file:
                raise ScenarioError(f"{where}: {name}: {reason}, so it cannot be sampled")
            excluded[name] = reason
            continue
        value = values[0]
        if not isinstance(declaration, Distribution):  # from the file: centred on the value
            d = parse(name, value, declaration, where)
        else:
            d = declaration
            if value != d.value:  # a scenario changed it: the same interval, if it holds it
                try:
                    d = d.centred_on(float(value))
                except (DistributionError, TypeError, ValueError):
                    excluded[name] = (
                        f"the scenarios' value {show(value)} is outside its interval"
                        f" {d.low:g}-{d.high:g} ({where}); give it a distribution in a"
                        " --distributions file"
                    )
                    continue
        # Both ends must be values the parameter may take (a fraction's interval within 0-1).
        integer, _ = check_parameter(scenarios[owners[0]], name, d.low, d.high, where)
        if integer:
            raise DistributionError(f"{where}: {name} is a whole-number parameter: not sampled")
        sampled[name] = Sampled(d, tuple(names[i] for i in owners))
    return sampled, excluded


# ---------------------------------------------------------------------------------------------
# The plan


class _PsaArms(Sequence[Arm]):
    """Sample s x arm k (arm index s * K + k), then the base-case runs, made on demand."""

    def __init__(self, psa: PsaPlan, origin: str) -> None:
        self._psa, self._origin = psa, origin
        self._k = len(psa.strategies)

    def __len__(self) -> int:
        return (self._psa.samples + self._psa.base_runs) * self._k

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if not -len(self) <= index < len(self):
            raise IndexError(index)
        index %= len(self)
        group, k = divmod(index, self._k)
        psa = self._psa
        strategy, scenario = psa.strategies[k], psa.scenarios[k]
        if group < psa.samples:
            values = {
                name: float(psa.sample_values[name][group])
                for name, p in psa.parameters.items()
                if strategy in p.arms
            }
            label = f"sample {group:0{psa.width}d}"
            return Arm(f"a{index:04d}", f"{strategy} | {label}", strategy, values, scenario,
                       self._origin, f"{label}, arm '{strategy}'", tuple(psa.seeds[group]),
                       {"sample": group})  # fmt: skip
        j = group - psa.samples
        seeds = (psa.base_seeds[j],) * psa.replicates  # one seed: base runs have 1 replicate
        return Arm(f"a{index:04d}", f"{strategy} | base case {j:0{psa.width}d}", strategy, {},
                   scenario, self._origin, f"base case {j}, arm '{strategy}'", seeds,
                   {"base_run": j})  # fmt: skip


@dataclass
class PsaPlan:
    """A validated PSA: arms, parameters and their samples, seeds, and the sweep plan."""

    name: str
    strategies: list[str]
    scenarios: list[Scenario]
    files: list[str | None]
    parameters: dict[str, Sampled]
    excluded: dict[str, str]
    sample_values: pd.DataFrame  # one row per sample, one column per parameter
    samples: int
    replicates: int
    seed: int
    seeds: list[list[int]]
    base_runs: int = 0
    base_seeds: list[int] = field(default_factory=list)
    distributions_file: str | None = None
    posterior: str | None = None  # an ``hrsim fit`` folder the fitted parameters come from
    scale: list[float] | None = None  # per sample: the place's people per simulated person
    population: FitPrior | None = None  # the prior of the population the scale is drawn for
    plan: Plan = field(init=False, repr=False)

    @property
    def width(self) -> int:
        """Digits of the largest sample number, for labels that sort."""
        return len(str(max(self.samples, self.base_runs, 1) - 1))

    @property
    def baseline(self) -> str:
        """The arm the others are compared with (the first)."""
        return self.strategies[0]

    @property
    def total_runs(self) -> int:
        """(samples + base-case runs) x arms x replicates."""
        return self.plan.total_runs

    @property
    def default_store(self) -> Path:
        """``runs/psa-<baseline>`` without ``--out``."""
        return Path("runs") / safe_file_name(f"psa-{self.name}", default="psa")

    def describe(self) -> str:
        """The plan in words, for ``--dry-run``: arms, runs, seeds and every parameter."""
        k = len(self.strategies)
        lines = [
            f"psa {self.name}: {self.samples:,} samples x {k} arms x {self.replicates} replicates"
            + (f" + {self.base_runs} base-case runs x {k} arms" if self.base_runs else "")
            + f" = {self.total_runs:,} runs; baseline: {self.baseline}",
            f"  arms: {', '.join(self.strategies)}",
        ]
        spec = self.scenarios[0].run
        lines.append(
            f"  {spec.people:,} people, {spec.years:g} years (burn-in {spec.burn_in_years:g});"
            f" base seed {self.seed}: run (s, k, r) on SeedSequence({self.seed},"
            " spawn_key=(s, r)), shared by the arms of a sample"
        )
        lines.append(f"  {len(self.parameters)} parameters sampled (Latin hypercube):")
        width = max((len(n) for n in self.parameters), default=0)
        for name, p in self.parameters.items():
            arms = "" if len(p.arms) == k else f"  [only {', '.join(p.arms)}]"
            lines.append(f"    {name:<{width}}  {p.describe()}{arms}")
        if self.scale is not None:
            prior = f" (the fit's prior {self.population.text})" if self.population else ""
            lines.append(
                f"  outcomes are scaled to the place's population drawn from the posterior of "
                f"{self.posterior}{prior}: median {float(np.median(self.scale)):,.1f} people per "
                "simulated person"
            )
        for name, reason in self.excluded.items():
            lines.append(f"  not sampled: {name}: {reason}")
        return "\n".join(lines)

    def manifest_extra(self) -> dict[str, Any]:
        """What the store's manifest says about the PSA (beside the sweep's keys)."""
        return {
            "psa": {
                "format": PSA_FORMAT,
                "strategies": self.strategies,
                "samples": self.samples,
                "replicates": self.replicates,
                "base_runs": self.base_runs,
                "seed": self.seed,
                "seed_scheme": "SeedSequence(seed, spawn_key=(sample, replicate)); base-case run"
                f" j: spawn_key=({BASE_KEY}, j); every arm of a sample shares its seeds",
                "distributions_file": self.distributions_file,
                "distributions": [p.as_dict() for p in self.parameters.values()],
                "excluded": self.excluded,
                "posterior": self.posterior,
                "scale": self.scale,
                "population": self._population(),
            }
        }

    def _population(self) -> dict[str, Any] | None:
        """The manifest's record of the population the outcomes are scaled to, if any."""
        if self.population is None:
            return None
        prior = self.population.distribution
        return {
            **(prior.as_dict() if prior else {"parameter": POPULATION}),
            "drawn_from": f"posterior of {self.posterior}",
            **self.population.as_dict(),
        }


def plan_psa(
    baseline: Scenario,
    arms: Sequence[Scenario],
    *,
    names: Sequence[str] | None = None,
    files: Sequence[str | None] | None = None,
    samples: int = 100,
    replicates: int = 1,
    seed: int = 1,
    base_runs: int = 0,
    distributions: str | Path | Mapping[str, Any] | DistributionsFile | None = None,
    posterior: str | Path | None = None,
) -> PsaPlan:
    """Validate a PSA and plan its runs; nothing runs or is written.

    Args:
        baseline: the arm the others are compared with.
        arms: the other arms (at least one).
        names: a name per arm, baseline first (default: each scenario's run.name).
        files: the scenario file of each arm (for the manifest).
        samples: parameter samples (Latin hypercube), 1 to 100,000.
        replicates: runs per sample and arm, on the sample's common seeds.
        seed: base seed of the parameter samples and of the run seeds.
        base_runs: base-case runs per arm (the scenarios' own values, new seeds).
        distributions: a ``--distributions`` file (or its contents) to add, override or
            restrict the declared distributions.
        posterior: an ``hrsim fit`` folder: every arm takes the place's inputs (its
            ``[place.settings]``); the fitted parameters are drawn jointly from the posterior
            (weighted resampling, seeded) instead of from their distributions; if it fitted
            the population, every outcome is scaled to the place (population / the
            scenarios' people, per sample). The manifest records each fitted parameter's
            prior as the fit used it (:func:`hrsim.analysis.posterior.fit_priors`).
    """
    scenarios = [baseline, *arms]
    if posterior is not None:  # the place's inputs (its drug supply) in every arm
        scenarios = with_place(posterior, scenarios)
    labels = list(names) if names is not None else [s.run.name for s in scenarios]
    if not arms:
        raise ScenarioError("psa: give at least one arm besides the baseline")
    if len(labels) != len(scenarios) or len(set(labels)) < len(labels):
        raise ScenarioError(f"psa: arm names must be one per arm and unique: {labels}")
    for key, value, lowest, highest in (("samples", samples, 1, MAX_SAMPLES),
                                        ("replicates", replicates, 1, 100_000),
                                        ("seed", seed, 0, 2**63 - 1),
                                        ("base-runs", base_runs, 0, MAX_SAMPLES)):  # fmt: skip
        if isinstance(value, bool) or not isinstance(value, int) or not lowest <= value <= highest:
            raise ScenarioError(
                f"--{key} {show(value)} is out of range: allowed {lowest:,} to {highest:,}"
            )
    if (samples + base_runs) * len(scenarios) > MAX_ARMS:
        raise ScenarioError(
            f"psa: {samples + base_runs:,} samples x {len(scenarios)} arms is more than the"
            f" {MAX_ARMS:,} arms a store may hold; fewer --samples"
        )
    if base_runs == 1:
        raise ScenarioError("--base-runs 1 measures no variance: give 0, or 2 or more")
    if base_runs and replicates != 1:
        raise ScenarioError(
            "--base-runs measures the Monte Carlo noise when each sample has 1 replicate;"
            f" with --replicates {replicates} the replicates measure it: leave --base-runs out"
        )
    file = (
        distributions
        if isinstance(distributions, DistributionsFile) or distributions is None
        else read_distributions(distributions)
    )
    sampled, excluded = choose_parameters(scenarios, labels, file)
    scale: list[float] | None = None
    population: FitPrior | None = None
    drawn = pd.DataFrame(index=pd.RangeIndex(samples))
    if posterior is not None:
        drawn, scale = posterior_draws(posterior, scenarios, labels, samples, seed)
        fitted = [*drawn.columns, *([POPULATION] if scale is not None else [])]
        priors = fit_priors(resolve_fit(posterior), fitted)
        for name in drawn.columns:
            default = sampled.pop(name, None)
            excluded.pop(name, None)
            prior = priors[name]
            reference = prior.distribution
            if reference is None:
                reference = _fit_prior(name, scenarios[0], default)
            sampled[name] = Sampled(reference, tuple(labels), str(posterior), prior)
        population = priors.get(POPULATION)
    from_priors = [p.distribution for p in sampled.values() if p.posterior is None]
    values = sample_parameters(from_priors, samples, seed)
    for name in drawn.columns:
        values[name] = drawn[name].to_numpy(dtype=float)
    values = values[list(sampled)]
    psa = PsaPlan(
        name=labels[0],
        strategies=labels,
        scenarios=scenarios,
        files=list(files) if files is not None else [None] * len(scenarios),
        parameters=sampled,
        excluded=excluded,
        sample_values=values,
        samples=samples,
        replicates=replicates,
        seed=seed,
        seeds=psa_seeds(seed, samples, replicates),
        base_runs=base_runs,
        base_seeds=base_case_seeds(seed, base_runs),
        distributions_file=file.where if file is not None else None,
        posterior=str(posterior) if posterior is not None else None,
        scale=scale,
        population=population,
    )
    origin = "psa"
    psa.plan = plan_arms(
        psa.name,
        _PsaArms(psa, origin),
        {n: (s, f) for n, s, f in zip(labels, scenarios, psa.files, strict=True)},
        baseline=labels[0],
        replicates=replicates,
        seed=seed,
        spec={
            "strategies": labels,
            "files": psa.files,
            "samples": samples,
            "replicates": replicates,
            "seed": seed,
            "base_runs": base_runs,
            "distributions_file": psa.distributions_file,
            "posterior": psa.posterior,
        },  # fmt: skip
        origin=origin,
        parameters=list(sampled),
        design="psa",
        extra=psa.manifest_extra(),
    )
    return psa


def _fit_prior(name: str, scenario: Scenario, default: Sampled | None) -> Distribution:
    """For the record, when the fit's files do not give a fitted parameter's prior.

    The default's distribution, or a point at the scenarios' value; either says it is not
    the fit's prior.
    """
    found = default.distribution if default else default_declarations().get(name)
    if found is not None:
        return replace(found, where=f"{found.where} (not the fit's prior: unknown)")
    value = float(current_value(scenario, name))
    return Distribution(name, "uniform", value, value, value,
                        "the scenarios' value (not the fit's prior: unknown)")  # fmt: skip


# ---------------------------------------------------------------------------------------------
# Results


@dataclass
class PsaData:
    """A PSA's results, read from its store: parameter samples and per-run outcomes."""

    path: Path
    manifest: dict[str, Any]
    samples: pd.DataFrame  # index sample, one column per sampled parameter
    runs: pd.DataFrame  # one row per run: sample, replicate, arm, seed, run_id, outcomes
    base_case: pd.DataFrame  # the base-case runs: base_run, arm, seed, run_id, outcomes
    run_summary: Any = None  # what the call of run_psa did (a sweep's SweepSummary)

    @property
    def strategies(self) -> list[str]:
        """The arms, baseline first."""
        return list(self.manifest["psa"]["strategies"])

    @property
    def missing(self) -> int:
        """Runs not done yet."""
        total = int(self.manifest["replicates"]) * len(self.manifest["arms"])
        return total - len(self.runs) - len(self.base_case)


def psa_frames(experiment: Experiment) -> PsaData:
    """The PSA frames of a store's experiment (its manifest must be a PSA's)."""
    manifest = experiment.manifest
    if "psa" not in manifest:
        raise ScenarioError(f"{experiment.path}: not a PSA store (its manifest has no 'psa')")
    rows = {a["id"]: a for a in manifest["arms"]}
    wide = experiment.outcomes_wide()
    outcomes = [o for o in OUTCOMES if o in wide.columns]
    wide["arm"] = [rows[i]["scenario"] for i in wide["arm_id"]]
    wide["sample"] = [rows[i].get("sample") for i in wide["arm_id"]]
    wide["base_run"] = [rows[i].get("base_run") for i in wide["arm_id"]]
    order = {name: k for k, name in enumerate(manifest["psa"]["strategies"])}
    wide["_k"] = wide["arm"].map(order)
    is_sample = wide["sample"].notna()
    runs = wide[is_sample].sort_values(["sample", "_k", "replicate"])
    runs = runs.assign(sample=runs["sample"].astype(int))
    runs = runs[["sample", "replicate", "arm", "seed", "run_id", *outcomes]].reset_index(drop=True)
    base = wide[~is_sample].sort_values(["base_run", "_k"])
    base = base.assign(base_run=base["base_run"].astype(int))
    base = base[["base_run", "arm", "seed", "run_id", *outcomes]].reset_index(drop=True)
    values: dict[int, dict[str, float]] = {}
    for arm in manifest["arms"]:
        if arm.get("sample") is not None:
            values.setdefault(int(arm["sample"]), {}).update(arm["parameters"])
    names = list(manifest.get("parameters", []))
    samples = pd.DataFrame.from_dict(values, orient="index").reindex(columns=names)
    samples.index.name = "sample"
    scale = manifest["psa"].get("scale")
    if scale:  # every outcome is a total over the simulated people: scale each to the place
        factor = np.asarray(scale, dtype=float)
        runs[outcomes] = runs[outcomes].mul(factor[runs["sample"].to_numpy()], axis=0)
        base[outcomes] = base[outcomes] * float(np.median(factor))
        samples["people_per_simulated_person"] = factor[samples.index.to_numpy(dtype=int)]
    return PsaData(experiment.path, manifest, samples.sort_index(), runs, base)


def load_psa(path: str | Path) -> PsaData:
    """Open a PSA's store and return its samples and the runs done so far."""
    return psa_frames(load_experiment(path))


@dataclass
class PsaSummary:
    """What a PSA says: the incremental table, CEAC, EVPI, NMB and the variance split."""

    effect: str
    cost: str
    baseline: str
    strategies: list[str]
    samples_used: int
    replicates: int
    wtp: list[float]
    table: pd.DataFrame  # the incremental table of mean costs and effects
    means: pd.DataFrame  # per arm: mean and 95% interval of cost and effect over samples
    ceac: pd.DataFrame
    evpi: pd.DataFrame
    nmb: pd.DataFrame  # per wtp and arm: expected NMB, probability cost-effective, optimal
    plane: pd.DataFrame  # per sample and arm: incremental cost and effect vs the baseline
    variance: pd.DataFrame  # per arm and measure: total, parameter, monte carlo, share
    notes: list[str] = field(default_factory=list)
    costs: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)), repr=False)
    effects: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)), repr=False)

    def as_dict(self) -> dict[str, Any]:
        """Plain types, for ``summary.json`` and ``--json`` (NaN as null)."""

        def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
            return [
                {k: _plain(v) for k, v in row.items()} for row in frame.to_dict(orient="records")
            ]

        return {
            "format": PSA_FORMAT,
            "effect": self.effect,
            "cost": self.cost,
            "baseline": self.baseline,
            "strategies": self.strategies,
            "samples_used": self.samples_used,
            "replicates": self.replicates,
            "wtp": self.wtp,
            "incremental_table": records(self.table),
            "means": records(self.means),
            "net_monetary_benefit": records(self.nmb),
            "variance": records(self.variance),
            "ceac": records(self.ceac),
            "evpi": records(self.evpi),
            "notes": self.notes,
        }


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _check_outcome(frame: pd.DataFrame, name: str, what: str) -> None:
    if name not in frame.columns:
        valid = [c for c in OUTCOMES if c in frame.columns]
        hint = did_you_mean(name, valid, always_list=True)
        raise ScenarioError(f"--{what} {name!r}: not an outcome of these runs{hint}")


def summarise_psa(
    frame: pd.DataFrame,
    wtp: ArrayLike = DEFAULT_WTP,
    effect: str = DEFAULT_EFFECT,
    cost: str = DEFAULT_COST,
    *,
    baseline: str | None = None,
    strategies: Sequence[str] | None = None,
    base_case: pd.DataFrame | None = None,
    grid: ArrayLike | None = None,
) -> PsaSummary:
    """The decision results of a PSA from its per-run outcomes (``PsaData.runs``).

    A sample counts when every arm has every replicate (so arms stay paired on their seeds);
    each arm's cost and effect in a sample is its mean over the replicates. The incremental
    table is of the means over samples; the CEAC, the frontier and the EVPI are over samples
    on ``grid`` (default: 0 to twice the largest ``wtp``, and the ``wtp`` values themselves);
    NMB and the probability of being cost-effective are reported at each ``wtp``. Variance:
    for each arm but the baseline, its incremental cost and effect per run (arm minus
    baseline, same sample and seed) split by one-way ANOVA into parameter and Monte Carlo
    parts when there are 2 or more replicates; with 1 replicate, by the base-case runs'
    variance when there are any, else not at all (NaN, and a note).
    """
    from hrsim.economics.decision import incremental_table
    from hrsim.economics.uncertainty import ceac, evpi

    for name, what in ((effect, "effect"), (cost, "cost")):
        _check_outcome(frame, name, what)
    arms = list(strategies) if strategies is not None else list(dict.fromkeys(frame["arm"]))
    base = baseline or arms[0]
    if base not in arms:
        raise ScenarioError(unknown("psa", base, arms, "baseline arm"))
    thresholds = np.atleast_1d(np.asarray(wtp, dtype=float))
    if thresholds.size == 0 or not np.all(np.isfinite(thresholds)) or np.any(thresholds < 0):
        raise ScenarioError(f"--wtp {thresholds.tolist()}: give one or more values, 0 or more")
    replicates = int(frame["replicate"].nunique()) if len(frame) else 0
    counts = frame.groupby("sample").size()
    complete = sorted(int(s) for s in counts[counts == len(arms) * replicates].index)
    if len(complete) < 2:
        raise ScenarioError(
            f"psa: {len(complete)} complete samples (every arm, every replicate); the analysis"
            " needs at least 2: run the rest first"
        )
    used = frame[frame["sample"].isin(complete)]
    means = used.groupby(["sample", "arm"])[[cost, effect]].mean()
    costs = means[cost].unstack("arm")[arms].to_numpy(dtype=float)
    effects = means[effect].unstack("arm")[arms].to_numpy(dtype=float)
    table = incremental_table(arms, costs.mean(axis=0), effects.mean(axis=0))
    if grid is None:
        top = 2.0 * float(thresholds.max()) or 1.0
        grid = np.unique(np.concatenate([np.linspace(0.0, top, 41), thresholds]))
    curves = ceac(costs, effects, grid, arms)
    value = evpi(costs, effects, grid)
    nmb_rows = []
    at = ceac(costs, effects, thresholds, arms)
    for w in thresholds:
        nmb = effects * w - costs
        for k, arm in enumerate(arms):
            row = at[(at["wtp"] == w) & (at["strategy"] == arm)].iloc[0]
            nmb_rows.append({"wtp": float(w), "strategy": arm,
                             "expected_nmb": float(nmb[:, k].mean()),
                             "probability_cost_effective": float(row["probability"]),
                             "optimal": bool(row["optimal"])})  # fmt: skip
    summary_rows = []
    for k, arm in enumerate(arms):
        summary_rows.append({
            "strategy": arm,
            "cost_mean": float(costs[:, k].mean()),
            "cost_low": float(np.quantile(costs[:, k], 0.025)),
            "cost_high": float(np.quantile(costs[:, k], 0.975)),
            "effect_mean": float(effects[:, k].mean()),
            "effect_low": float(np.quantile(effects[:, k], 0.025)),
            "effect_high": float(np.quantile(effects[:, k], 0.975)),
        })  # fmt: skip
    b = arms.index(base)
    plane_rows = []
    for k, arm in enumerate(arms):
        if k == b:
            continue
        for i, s in enumerate(complete):
            plane_rows.append(
                {
                    "sample": s,
                    "strategy": arm,
                    "incremental_cost": float(costs[i, k] - costs[i, b]),
                    "incremental_effect": float(effects[i, k] - effects[i, b]),
                }
            )
    variance, notes = _variance(used, arms, base, cost, effect, replicates, base_case)
    if len(complete) < counts.size:
        notes.append(f"{counts.size - len(complete)} samples are incomplete and left out")
    return PsaSummary(
        effect=effect,
        cost=cost,
        baseline=base,
        strategies=arms,
        samples_used=len(complete),
        replicates=replicates,
        wtp=[float(w) for w in thresholds],
        table=table,
        means=pd.DataFrame(summary_rows),
        ceac=curves,
        evpi=value,
        nmb=pd.DataFrame(nmb_rows),
        plane=pd.DataFrame(
            plane_rows, columns=["sample", "strategy", "incremental_cost", "incremental_effect"]
        ),  # fmt: skip
        variance=variance,
        notes=notes,
        costs=costs,
        effects=effects,
    )


def _variance(
    used: pd.DataFrame,
    arms: list[str],
    base: str,
    cost: str,
    effect: str,
    replicates: int,
    base_case: pd.DataFrame | None,
) -> tuple[pd.DataFrame, list[str]]:
    """Parameter vs Monte Carlo variance of each arm's incremental cost and effect."""
    from hrsim.economics.uncertainty import variance_components

    notes: list[str] = []
    has_base = base_case is not None and base_case["base_run"].nunique() >= 2
    if replicates < 2 and not has_base:
        notes.append(
            "with 1 replicate per sample the parameter and Monte Carlo parts of the variance"
            " cannot be separated: run with --replicates 2 or more, or --base-runs 10"
        )
    elif replicates < 2:
        notes.append(
            "Monte Carlo variance measured by the base-case runs (the scenarios' own values on"
            " new seeds), assumed the same for every sample"
        )
    rows = []
    keyed = used.set_index(["sample", "replicate", "arm"])
    for arm in arms:
        if arm == base:
            continue
        for measure in (cost, effect):
            diff = keyed.xs(arm, level="arm")[measure] - keyed.xs(base, level="arm")[measure]
            values = diff.unstack("replicate").sort_index().to_numpy(dtype=float)
            mc: float | None = None
            if replicates < 2 and has_base and base_case is not None:
                b = base_case.set_index(["base_run", "arm"])[measure]
                d = (b.xs(arm, level="arm") - b.xs(base, level="arm")).to_numpy(dtype=float)
                mc = float(np.var(d, ddof=1))
            parts = variance_components(values, monte_carlo_variance=mc)
            rows.append({"strategy": arm, "measure": f"incremental {measure}", **parts})
    columns = ["strategy", "measure", "total", "parameter", "monte_carlo", "parameter_share"]
    return pd.DataFrame(rows, columns=columns), notes


def write_outputs(data: PsaData, summary: PsaSummary | None, out: Path) -> list[Path]:
    """``samples.csv``, ``psa.csv`` (and ``base_case.csv``), ``summary.json`` in ``out``."""
    written = []

    def put(name: str, text: str) -> None:
        write_atomic(out / name, text.encode())
        written.append(out / name)

    put("samples.csv", csv_text(data.samples))
    put("psa.csv", csv_text(data.runs, index=False))
    if len(data.base_case):
        put("base_case.csv", csv_text(data.base_case, index=False))
    if summary is not None:
        body = {"plan": data.manifest["psa"], "summary": summary.as_dict()}
        put("summary.json", json.dumps(body, indent=1, allow_nan=False) + "\n")
    return written


def run_psa(
    psa: PsaPlan,
    out: str | Path | None = None,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: bool = True,
    wtp: ArrayLike = DEFAULT_WTP,
    effect: str = DEFAULT_EFFECT,
    cost: str = DEFAULT_COST,
) -> tuple[PsaData, PsaSummary]:
    """Run a planned PSA into its store (resuming one stopped before) and summarise it.

    Raises what :func:`hrsim.batch.sweep.run_experiment` raises (``KeyboardInterrupt`` after
    the finished runs are saved; ``RunFailures``); ``samples.csv`` and ``psa.csv`` are
    written for the runs done either way, once the store exists.
    """
    from hrsim.batch.sweep import run_experiment

    for name, what in ((effect, "effect"), (cost, "cost")):
        if name not in OUTCOMES:
            hint = did_you_mean(name, OUTCOMES, always_list=True)
            raise ScenarioError(f"--{what} {name!r}: unknown outcome{hint}")
    store = Path(out) if out is not None else psa.default_store
    finished = False
    try:
        experiment = run_experiment(psa.plan, store, workers=workers, scheduler=scheduler,
                                    progress=progress)  # fmt: skip
        finished = True
    finally:
        if not finished and (store / "manifest.json").is_file():
            try:  # what is done so far, for a look before the rest is run
                write_outputs(load_psa(store), None, store)
            except (ScenarioError, OSError):
                pass
    data = psa_frames(experiment)
    data.run_summary = experiment.summary
    summary = summarise_psa(data.runs, wtp, effect, cost, baseline=psa.baseline,
                            strategies=psa.strategies, base_case=data.base_case)  # fmt: skip
    write_outputs(data, summary, store)
    return data, summary


def effect_label(effect: str) -> str:
    """How an effect outcome is named in tables and figures (``qalys``: QALYs)."""
    return {"qalys": "QALYs", "qalys_run": "QALYs"}.get(effect, effect.replace("_", " "))


def format_summary(summary: PsaSummary, currency: str = "USD") -> str:
    """The PSA's results as text: means, the incremental table, NMB, variance, notes."""
    from hrsim.economics.decision import format_incremental_table

    lines = [
        f"PSA: {summary.samples_used} samples x {len(summary.strategies)} arms x"
        f" {summary.replicates} replicates; effect {summary.effect}, cost {summary.cost}",
        "",
        format_incremental_table(
            summary.table, currency=currency, effect_label=effect_label(summary.effect)
        ),
        "",
        f"{'wtp':>10}  {'strategy':<24}{'expected NMB':>16}{'P(cost-effective)':>20}  optimal",
    ]
    for row in summary.nmb.itertuples(index=False):
        lines.append(
            f"{row.wtp:>10,.0f}  {row.strategy:<24}{row.expected_nmb:>16,.0f}"
            f"{row.probability_cost_effective:>20.2f}  {'yes' if row.optimal else ''}"
        )
    evpi = summary.evpi.set_index("wtp")["evpi"]
    shown = ", ".join(f"{w:,.0f}: {evpi.get(w, math.nan):,.0f}" for w in summary.wtp)
    lines += ["", f"EVPI per run (the cohort), by wtp: {shown}"]
    if len(summary.variance):
        lines += ["", f"  {'arm':<24}{'measure':<34}{'total':>14}{'parameter share':>18}"]
        for row in summary.variance.itertuples(index=False):
            share = "-" if math.isnan(row.parameter_share) else f"{row.parameter_share:.0%}"
            lines.append(f"  {row.strategy:<24}{row.measure:<34}{row.total:>14,.4g}{share:>18}")
    lines += [f"note: {n}" for n in summary.notes]
    return "\n".join(lines)
