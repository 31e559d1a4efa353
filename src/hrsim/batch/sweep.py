"""Sweeps: many arms x replicates on common random numbers, streamed to a resumable store.

A sweep is a TOML file (or the same structure as a dict)::

    [sweep]
    name = "moud_x_naloxone"        # default: the file's name
    scenarios = ["../scenarios/baseline.toml"]   # default: the embedded baseline
    baseline = "..."                # the arm the others are compared with; default the first
    replicates = 10                 # paired replicates per arm
    seed = 1                        # base seed; replicate seeds come from SeedSequence.spawn
    people = 5000                   # optional, for every arm
    years = 5                       # optional, for every arm
    design = "factorial"            # [grid]: every combination, or "one_at_a_time"

    [set]                           # optional: the same overrides for every arm
    care.aftercare_fraction = 0.3

    [grid]                          # arms: every scenario x every combination
    care.moud_capacity_fraction = [0.1, 0.2, 0.3]
    interventions.naloxone_distribution.coverage_fraction = [0, 0.25, 0.5]

    [sample]                        # or: a Latin-hypercube sample of ``points`` arms
    points = 20
    seed = 1
    ranges = { "care.moud_capacity_fraction" = [0.1, 0.4] }

Every arm runs every replicate seed (common random numbers), so differences between arms
within a replicate are mostly the arms' doing. A parameter of a programme the scenario does not
have (``interventions.<type>.<key>``) adds that programme with its defaults, then sets the key.
Every grid value is applied alone to every scenario when the sweep is planned, so a bad key or
value fails in a second with one line, however large the grid; every arm's scenario (every
combination) is built, checked and hashed before anything runs or is written, one at a time
and not kept. Arms and run ids (``a0003-r0007``: arm 3, replicate 7) are made on demand from
the spec alone, never listed, so ``--dry-run`` of a hundred million runs answers at once, and
a rerun, a different number of workers or a Dask cluster writes the same files with the same
contents.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import shutil
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from hrsim.batch.outcomes import outcomes_of, weekly_cost
from hrsim.batch.store import (
    FORMAT,
    Experiment,
    RunIds,
    Store,
    UnreadableManifest,
    encode_run,
    load_experiment,
)
from hrsim.errors import ScenarioError, SweepError
from hrsim.files import safe_file_name
from hrsim.messages import unknown
from hrsim.runner import run_model
from hrsim.scenario import Scenario, build_scenario, load_scenario, read_toml

SECTIONS = ("sweep", "set", "grid", "sample")
DESIGNS = ("factorial", "one_at_a_time")
MAX_ARMS = 100_000
MAX_RUNS = 10_000_000  # arms x replicates of one sweep: a store of files, one per run


class RunFailures(RuntimeError):
    """Some runs raised an error; the others are saved, and a rerun retries the failed ones."""

    def __init__(self, message: str, experiment: Experiment) -> None:
        super().__init__(message)
        self.experiment = experiment


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SweepSettings(_Spec):
    """The ``[sweep]`` table."""

    name: str | None = None
    scenarios: list[str | Scenario] = Field(default_factory=list, max_length=1000)
    baseline: str | None = None
    replicates: int = Field(10, ge=1, le=100_000)
    seed: int = Field(1, ge=0, le=2**63 - 1)
    people: int | None = Field(None, ge=10, le=20_000_000)
    years: float | None = Field(None, gt=0.0, le=100.0)
    design: Literal["factorial", "one_at_a_time"] = "factorial"


class SampleSettings(_Spec):
    """The ``[sample]`` table: a Latin hypercube over parameter ranges."""

    points: int = Field(ge=2, le=100_000)
    seed: int = Field(1, ge=0, le=2**63 - 1)
    ranges: dict[str, Any]


@dataclass(frozen=True)
class Arm:
    """One arm: a scenario with its swept parameter values (seed set per replicate).

    Its scenario (``spec``) is built when asked for and not kept, so a sweep of many arms
    holds only their parameters. ``seeds``, when given, are the arm's own replicate seeds
    (a PSA: the arms of one parameter sample share theirs, other samples have others);
    otherwise every arm runs on the plan's. ``labels`` go into the arm's manifest row.
    """

    id: str
    name: str
    scenario: str
    parameters: dict[str, Any]
    base: Scenario = field(repr=False, compare=False)
    origin: str = field(default="sweep", repr=False, compare=False)
    where: str = field(default="[grid]", repr=False, compare=False)
    seeds: tuple[int, ...] | None = None
    labels: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def spec(self) -> Scenario:
        """The arm's scenario: the base scenario with the parameters applied (built now)."""
        return _apply(self.origin, self.where, self.base, self.parameters)


class _Product(Sequence[dict[str, Any]]):
    """Every combination of a factorial grid, in ``itertools.product`` order, made on demand."""

    def __init__(self, grid: dict[str, list[Any]]) -> None:
        self._grid = grid
        self._len = math.prod(len(v) for v in grid.values())

    def __len__(self) -> int:
        return self._len

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if not 0 <= index < self._len:
            raise IndexError(index)
        values: dict[str, Any] = {}
        for key, levels in reversed(self._grid.items()):  # the last key changes fastest
            index, at = divmod(index, len(levels))
            values[key] = levels[at]
        return {key: values[key] for key in self._grid}


class _Arms(Sequence[Arm]):
    """Every arm (each scenario x each point of the design), made on demand from its index."""

    def __init__(
        self,
        origin: str,
        scenarios: dict[str, tuple[Scenario, str | None]],
        points: Sequence[dict[str, Any]],
        labels: Sequence[str] | None,
        where: str,
    ) -> None:
        self._origin, self._where = origin, where
        self._scenarios = list(scenarios.items())
        self._points, self._labels = points, labels

    def __len__(self) -> int:
        return len(self._scenarios) * len(self._points)

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if not -len(self) <= index < len(self):
            raise IndexError(index)
        index %= len(self)
        which, at = divmod(index, len(self._points))
        name, (scenario, _) = self._scenarios[which]
        values = self._points[at]
        label = self._labels[at] if self._labels is not None else _label(values)
        several = len(self._scenarios) > 1
        arm_name = name if not label else f"{name} | {label}" if several else label
        where = f"{self._where} arm '{arm_name}'"
        return Arm(f"a{index:04d}", arm_name, name, values, scenario, self._origin, where)


@dataclass
class _Design:
    """What the manifest needs besides the arms (kept so it can be built when asked for)."""

    raw: dict[str, Any]
    origin: str
    settings: SweepSettings
    scenarios: dict[str, tuple[Scenario, str | None]]
    parameters: list[str]
    design: str
    extra: dict[str, Any] = field(default_factory=dict)  # more manifest keys (a PSA's own)


@dataclass(frozen=True)
class RunTask:
    """What a worker needs for one run: everything, seed included."""

    run_id: str
    arm_id: str
    replicate: int
    seed: int
    scenario: Scenario
    fingerprint: str = ""  # the sweep's, kept in the run file so the file names its sweep


@dataclass(frozen=True)
class RunOutput:
    """A finished run, ready to store (``payload``), or the one-line error it raised."""

    run_id: str
    payload: bytes
    wall_time_s: float
    error: str | None = None


@dataclass
class Plan:
    """A validated sweep: its arms, seeds and runs, and the manifest that describes them.

    Arms and run ids are made on demand from the design, so a plan of a hundred million runs
    is small; ``manifest`` builds (and checks) every arm's scenario the first time it is asked
    for, which an actual sweep does before it writes anything. ``seeds`` are the replicate
    seeds every arm shares; a plan whose arms carry their own (``Arm.seeds``, see
    :func:`plan_arms`) has none here.
    """

    name: str
    baseline: str
    arms: Sequence[Arm]
    seeds: list[int]
    _design: _Design = field(repr=False)

    @property
    def replicates(self) -> int:
        """Replicates per arm."""
        return self._design.settings.replicates

    def seed(self, arm: Arm, replicate: int) -> int:
        """The seed of ``arm``'s replicate ``replicate``: the arm's own, else the plan's."""
        return arm.seeds[replicate] if arm.seeds is not None else self.seeds[replicate]

    @property
    def run_ids(self) -> RunIds:
        """Every run id, arm by arm, replicate by replicate (made on demand)."""
        return RunIds(len(self.arms), self.replicates)

    @property
    def default_store(self) -> Path:
        """Where the store goes without ``--out``: ``runs/<name as a safe file name>``.

        ``name = "../../x"`` stays inside ``runs/`` (``runs/x``).
        """
        return Path("runs") / safe_file_name(self.name, default="sweep")

    @property
    def total_runs(self) -> int:
        """Arms x replicates."""
        return len(self.arms) * self.replicates

    @cached_property
    def manifest(self) -> dict[str, Any]:
        """The store's manifest: every arm built, validated and hashed (a SweepError if not)."""
        d = self._design
        seeds = self.seeds or None  # None: every arm has its own, in its entry
        manifest = _manifest(d.raw, d.origin, self.name, self.baseline, d.settings, seeds,
                             d.scenarios, self.arms)  # fmt: skip
        manifest["parameters"] = d.parameters
        manifest["design"] = d.design
        manifest.update(d.extra)
        return manifest

    def check_size(self) -> None:
        """Refuse a sweep with more than ``MAX_RUNS`` runs (one line; before anything runs)."""
        if self.total_runs > MAX_RUNS:
            raise SweepError(
                f"{self._design.origin}: {len(self.arms):,} arms x {self.replicates:,}"
                f" replicates = {self.total_runs:,} runs; a sweep may have at most"
                f" {MAX_RUNS:,} (fewer grid values or replicates, or a [sample])"
            )

    def describe(self, shown: int = 20) -> str:
        """The arms and the number of runs, for ``hrsim sweep --dry-run`` (the first ``shown``)."""
        lines = [
            f"sweep {self.name}: {len(self.arms):,} arms x {self.replicates:,} replicates = "
            f"{self.total_runs:,} runs; baseline: {self.baseline}"
        ]
        if self.total_runs > MAX_RUNS:
            lines.append(f"  (more than the {MAX_RUNS:,} runs a sweep may have: it would not run)")
        for arm in self.arms[:shown]:
            spec = arm.spec.run
            lines.append(f"  {arm.id}  {arm.name}  ({spec.people:,} people, {spec.years:g} years)")
        if len(self.arms) > shown:
            lines.append(f"  ... and {len(self.arms) - shown:,} more")
        return "\n".join(lines)


@dataclass
class SweepSummary:
    """What one call of ``run_experiment`` did."""

    total: int
    done_before: int
    done_now: int
    failures: list[tuple[str, str]] = field(default_factory=list)
    wall_time_s: float = 0.0
    out: Path = Path()
    redone: int = 0  # runs whose files were damaged: deleted and run again
    rebuilt: bool = False  # the manifest was lost and was rebuilt (--repair)

    def format(self) -> str:
        """A short table for the end of ``hrsim sweep``."""
        rows = [
            ("runs in the sweep", f"{self.total:,}"),
            ("done now", f"{self.done_now:,}"),
            ("already done before", f"{self.done_before:,}"),
            ("redone (damaged)", f"{self.redone:,}"),
            ("failed", f"{len(self.failures):,}"),
            ("still missing", f"{self.total - self.done_before - self.done_now:,}"),
            ("wall time", f"{self.wall_time_s:,.1f} s"),
            ("results in", f"{self.out}/"),
        ]
        width = max(len(k) for k, _ in rows)
        lines = [f"{k:<{width}}  {v}" for k, v in rows]
        if self.rebuilt:
            lines.append(f"manifest rebuilt from the sweep file: {self.out}/manifest.json")
        for run_id, message in self.failures[:5]:
            lines.append(f"failed: {run_id}: {message}")
        return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# Reading and validating a spec


def read_spec(path: str | Path) -> dict[str, Any]:
    """Read a sweep TOML file into a dict (one-line errors)."""
    return read_toml(path, "sweep file", SweepError)


def plan_sweep(
    sweep: str | Path | Mapping[str, Any],
    *,
    people: int | None = None,
    years: float | None = None,
    replicates: int | None = None,
    seed: int | None = None,
) -> Plan:
    """Validate a sweep (file or dict) and build every arm's scenario; nothing runs or is written.

    ``people``, ``years``, ``replicates`` and ``seed`` override the ``[sweep]`` table's.
    """
    if isinstance(sweep, str | Path):
        origin, base_dir, raw = str(sweep), Path(sweep).parent, read_spec(sweep)
        default_name = Path(sweep).stem
    else:
        origin, base_dir, raw = "sweep", Path.cwd(), dict(sweep)
        default_name = "sweep"
    for section in raw:
        if section not in SECTIONS:
            raise SweepError(unknown(origin, section, list(SECTIONS), list_valid=8))
    settings = _settings(origin, raw.get("sweep", {}), people, years, replicates, seed)
    fixed = _flat_table(origin, "set", raw.get("set", {}))
    grid = _flat_table(origin, "grid", raw.get("grid", {}))
    if "grid" in raw and "sample" in raw:
        raise SweepError(f"{origin}: use [grid] or [sample], not both")
    sample = _sample(origin, raw.get("sample")) if "sample" in raw else None
    if "grid" in raw and not grid:
        raise SweepError(f"{origin}: [grid] is empty; give at least one parameter and its values")
    for key in [*fixed, *grid, *(sample.ranges if sample else {})]:
        _check_key(origin, key)
    if grid and settings.design == "factorial":
        count = math.prod(len(v) for v in grid.values()) * max(1, len(settings.scenarios))
        if count > MAX_ARMS:
            raise SweepError(
                f"{origin}: [grid] makes {count:,} arms; at most {MAX_ARMS:,} (try"
                ' design = "one_at_a_time" or a [sample])'
            )

    scenarios = _base_scenarios(origin, base_dir, settings, fixed)
    arms = _arms(origin, scenarios, settings, grid, sample)
    if len(arms) > MAX_ARMS:
        raise SweepError(f"{origin}: the sweep makes {len(arms):,} arms; at most {MAX_ARMS:,}")
    _check_values(origin, scenarios, grid, sample)
    baseline = settings.baseline or arms[0].name
    if settings.baseline is not None and not any(a.name == baseline for a in arms):
        names = [a.name for a in arms]
        raise SweepError(unknown(origin, baseline, names, what="baseline arm", list_valid=8))
    from hrsim.core.rng import replicate_seeds

    seeds = replicate_seeds(settings.seed, settings.replicates)
    name = settings.name or default_name
    parameters = list(grid) if grid else list(sample.ranges) if sample else []
    design = "sample" if sample else settings.design if grid else "scenarios"
    return Plan(
        name, baseline, arms, seeds, _Design(raw, origin, settings, scenarios, parameters, design)
    )


def plan_arms(
    name: str,
    arms: Sequence[Arm],
    scenarios: dict[str, tuple[Scenario, str | None]],
    *,
    baseline: str,
    replicates: int,
    seed: int,
    seeds: list[int] | None = None,
    spec: Mapping[str, Any] | None = None,
    origin: str = "sweep",
    parameters: Sequence[str] = (),
    design: str = "arms",
    extra: Mapping[str, Any] | None = None,
) -> Plan:
    """A plan of arms made elsewhere (a PSA's samples x strategies), run like any sweep.

    Every arm carries its own replicate seeds (``Arm.seeds``, ``replicates`` of them) unless
    ``seeds`` (shared by every arm) is given. ``scenarios`` are the arms' base scenarios by
    name (with their files), ``spec`` what goes into the manifest as the spec, ``extra`` more
    manifest keys. The store, resumption, damaged-file checks and executors are the sweep's.
    """
    settings = SweepSettings(name=name, replicates=replicates, seed=seed, baseline=baseline)
    for arm in arms[:1]:
        if seeds is None and (arm.seeds is None or len(arm.seeds) != replicates):
            raise SweepError(f"{origin}: arm {arm.id} needs {replicates} seeds of its own")
    raw = dict(spec or {})
    design_of = _Design(raw, origin, settings, scenarios, list(parameters), design,
                        dict(extra or {}))  # fmt: skip
    return Plan(name, baseline, arms, list(seeds) if seeds is not None else [], design_of)


def _settings(
    origin: str,
    table: Any,
    people: int | None,
    years: float | None,
    replicates: int | None,
    seed: int | None,
) -> SweepSettings:
    if not isinstance(table, dict):
        raise SweepError(f"{origin}: [sweep] must be a table")
    data = dict(table)
    for key, value in (
        ("people", people),
        ("years", years),
        ("replicates", replicates),
        ("seed", seed),
    ):
        if value is not None:
            data[key] = value
    if isinstance(data.get("scenarios"), str):
        data["scenarios"] = [data["scenarios"]]
    try:
        return SweepSettings.model_validate(data)
    except ValidationError as exc:
        raise SweepError(
            _describe(origin, "sweep", exc, list(SweepSettings.model_fields))
        ) from None


def _sample(origin: str, table: Any) -> SampleSettings:
    if not isinstance(table, dict):
        raise SweepError(f"{origin}: [sample] must be a table")
    try:
        sample = SampleSettings.model_validate(table)
    except ValidationError as exc:
        raise SweepError(
            _describe(origin, "sample", exc, list(SampleSettings.model_fields))
        ) from None
    ranges = _flat_table(origin, "sample.ranges", sample.ranges, leaf_is_range=True)
    if not ranges:
        raise SweepError(f"{origin}: [sample] ranges is empty; give parameter = [low, high]")
    for key, bounds in ranges.items():
        lo, hi = bounds
        if not all(isinstance(b, int | float) and not isinstance(b, bool) for b in bounds):
            raise SweepError(
                f"{origin}: sample.ranges.{key} = {bounds!r}: need [low, high] numbers"
            )
        if not lo < hi:
            raise SweepError(f"{origin}: sample.ranges.{key} = {bounds!r}: low must be below high")
    return sample.model_copy(update={"ranges": ranges})


def _flat_table(
    origin: str, section: str, table: Any, leaf_is_range: bool = False
) -> dict[str, Any]:
    """``{care: {x: v}}`` and ``{"care.x": v}`` alike become ``{"care.x": v}``."""
    if not isinstance(table, dict):
        raise SweepError(f"{origin}: [{section}] must be a table")
    flat: dict[str, Any] = {}

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                walk(f"{prefix}.{k}" if prefix else str(k), v)
            return
        flat[prefix] = value

    walk("", table)
    if section == "grid" or leaf_is_range:
        for key, values in flat.items():
            if not isinstance(values, list):
                raise SweepError(
                    f"{origin}: {section}.{key} = {values!r}: expected a list of values"
                    if section == "grid"
                    else f"{origin}: {section}.{key} = {values!r}: expected [low, high]"
                )
            if section == "grid":
                if not values:
                    raise SweepError(f"{origin}: grid.{key} is an empty list; give its values")
                seen: list[Any] = []
                for v in values:
                    if v in seen:
                        raise SweepError(f"{origin}: grid.{key} repeats the value {v!r}")
                    seen.append(v)
            elif len(values) != 2:
                raise SweepError(f"{origin}: {section}.{key} = {values!r}: expected [low, high]")
    return flat


def _check_key(origin: str, key: str) -> None:
    parts = key.split(".")
    if not (len(parts) == 2 or (parts[0] == "interventions" and len(parts) == 3)):
        raise SweepError(
            f"{origin}: '{key}' must be section.key (e.g. care.aftercare_fraction) or"
            " interventions.<type>.<key>"
        )
    if key == "run.seed":
        raise SweepError(f"{origin}: run.seed cannot be swept; the seeds come from [sweep] seed")


def _base_scenarios(
    origin: str, base_dir: Path, settings: SweepSettings, fixed: dict[str, Any]
) -> dict[str, tuple[Scenario, str | None]]:
    """Each named scenario with ``people``, ``years`` and ``[set]`` applied, and its file."""
    overrides: dict[str, Any] = {}
    if settings.people is not None:
        overrides["run.people"] = settings.people
    if settings.years is not None:
        overrides["run.years"] = settings.years
    loaded: list[tuple[Scenario, str | None]] = []
    entries: list[str | Scenario | None] = [*settings.scenarios] or [None]
    for entry in entries:
        if isinstance(entry, Scenario):
            scenario, file = entry, None
        elif entry is None:
            scenario, file = Scenario.default(), None
        else:
            path = Path(entry) if Path(entry).is_absolute() else base_dir / entry
            try:
                scenario = load_scenario(path)
            except ScenarioError as exc:
                raise SweepError(f"{origin}: scenarios: {exc}") from None
            file = str(path)
        scenario = _apply(origin, "[sweep]", scenario, overrides)
        scenario = _apply(origin, "[set]", scenario, fixed)
        loaded.append((scenario, file))
    names = [s.run.name for s, _ in loaded]
    if len(set(names)) < len(names):  # two files with the same run.name: use the file names
        names = [Path(f).stem if f else s.run.name for s, f in loaded]
    if len(set(names)) < len(names):
        raise SweepError(f"{origin}: scenarios: two scenarios share the name '{names[0]}'")
    return dict(zip(names, loaded, strict=True))


def _apply(origin: str, where: str, scenario: Scenario, overrides: dict[str, Any]) -> Scenario:
    """Apply dotted overrides, first adding any programme they name that is not there."""
    if not overrides:
        return scenario
    present = {p.type for p in scenario.interventions}
    missing = sorted(
        {k.split(".")[1] for k in overrides if k.startswith("interventions.")} - present
    )
    try:
        if missing:
            data = scenario.model_dump()
            data["interventions"] = [*data["interventions"], *({"type": t} for t in missing)]
            scenario = build_scenario(data, origin="override")
        return scenario.with_overrides(overrides)
    except ScenarioError as exc:
        raise SweepError(f"{origin}: {where}: {str(exc).removeprefix('override: ')}") from None


def _arms(
    origin: str,
    scenarios: dict[str, tuple[Scenario, str | None]],
    settings: SweepSettings,
    grid: dict[str, list[Any]],
    sample: SampleSettings | None,
) -> _Arms:
    """Every scenario x every point of the design; each arm's scenario is built when needed."""
    points: Sequence[dict[str, Any]]
    labels: list[str] | None = []  # "" = the scenario itself; None: made from the values
    if grid and settings.design == "factorial":
        points, labels = _Product(grid), None
    elif grid:  # one at a time: the scenario itself, then each parameter alone
        points = [{}, *({key: v} for key, levels in grid.items() for v in levels)]
        labels = None
    elif sample is not None:
        values = latin_hypercube(sample.ranges, sample.points, sample.seed)
        points = [{}, *values]
        labels = ["", *(f"point {i + 1:0{len(str(sample.points))}d}" for i in range(len(values)))]
    else:
        points, labels = [{}], [""]
    return _Arms(origin, scenarios, points, labels, "[grid]" if grid else "[sample]")


def _check_values(
    origin: str,
    scenarios: dict[str, tuple[Scenario, str | None]],
    grid: dict[str, list[Any]],
    sample: SampleSettings | None,
) -> None:
    """Apply every grid value (every range's ends) alone to every scenario: a bad one fails now.

    As many builds as values, not as arms, so a plan of a huge grid (``--dry-run``) answers at
    once; the combinations themselves are built (and checked) when the manifest is made.
    """
    values = [(k, v) for k, levels in grid.items() for v in levels]
    if sample is not None:
        values = [(k, b) for k, bounds in sample.ranges.items() for b in bounds]
    where = "[grid]" if grid else "[sample]"
    for name, (scenario, _) in scenarios.items():
        for key, value in values:
            label = f"{where} {_label({key: value})}"
            _apply(origin, label if len(scenarios) == 1 else f"{label} in '{name}'", scenario,
                   {key: value})  # fmt: skip


def _label(values: dict[str, Any]) -> str:
    def short(key: str) -> str:
        parts = key.split(".")
        return ".".join(parts[1:]) if parts[0] == "interventions" else parts[-1]

    def show(v: Any) -> str:
        return f"{v:.6g}" if isinstance(v, float) else json.dumps(v)

    return ", ".join(f"{short(k)}={show(v)}" for k, v in values.items())


def latin_hypercube(
    ranges: dict[str, Sequence[float]], points: int, seed: int
) -> list[dict[str, float | int]]:
    """``points`` parameter sets, one per stratum of every range (a Latin hypercube).

    A range of two integers gives integers (for counts and weeks); otherwise floats.
    """
    rng = np.random.default_rng(seed)
    strata = np.argsort(rng.random((len(ranges), points)), axis=1)  # a permutation per range
    u = (strata + rng.random((len(ranges), points))) / points
    out: list[dict[str, float | int]] = [{} for _ in range(points)]
    for row, (key, (lo, hi)) in enumerate(ranges.items()):
        integer = isinstance(lo, int) and isinstance(hi, int)
        for i in range(points):
            if integer:
                out[i][key] = int(min(hi, lo + np.floor(u[row, i] * (hi - lo + 1))))
            else:
                out[i][key] = float(lo + u[row, i] * (hi - lo))
    return out


def _manifest(
    raw: dict[str, Any],
    origin: str,
    name: str,
    baseline: str,
    settings: SweepSettings,
    seeds: list[int] | None,
    scenarios: dict[str, tuple[Scenario, str | None]],
    arms: Sequence[Arm],
) -> dict[str, Any]:
    from hrsim import __version__
    from hrsim.runner import git_commit

    arm_rows = []
    for arm in arms:  # one arm's scenario at a time: built, checked, hashed, let go
        spec = arm.spec
        row = {
            "id": arm.id,
            "name": arm.name,
            "scenario": arm.scenario,
            **arm.labels,
            "parameters": arm.parameters,
            "hash": spec.hash(),
            "people": spec.run.people,
            "years": spec.run.years,
            "weeks": spec.weeks,
        }
        if arm.seeds is not None:
            row["seeds"] = list(arm.seeds)
        arm_rows.append(row)
    # Only what changes results: arms (names and parameter hashes), seeds, hrsim's version.
    # An arm with its own seeds has them in its entry (a plain sweep's entries are as before,
    # so its fingerprint is too).
    identity = {
        "arms": [
            (a["id"], a["name"], a["hash"], *([a["seeds"]] if "seeds" in a else []))
            for a in arm_rows
        ],
        "seeds": seeds,
        "hrsim_version": __version__,
    }
    fingerprint = hashlib.sha256(json.dumps(identity).encode()).hexdigest()[:16]
    return {
        "format": FORMAT,
        "name": name,
        "baseline": baseline,
        "fingerprint": fingerprint,
        "hrsim_version": __version__,
        "git_commit": git_commit(),
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "spec_file": origin,
        "spec": _jsonable(raw),
        "replicates": settings.replicates,
        "seed": settings.seed,
        "seeds": seeds,
        "scenarios": {
            n: {"file": f, "hash": s.hash(), "scenario": s.model_dump(mode="json")}
            for n, (s, f) in scenarios.items()
        },
        "arms": arm_rows,
    }


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, Scenario):
        return {"scenario": value.run.name, "hash": value.hash()}
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)  # TOML dates and times


def _describe(origin: str, section: str, exc: ValidationError, fields: list[str]) -> str:
    err = exc.errors()[0]
    loc = ".".join(str(p) for p in err["loc"] if not isinstance(p, int))
    key = loc.split(".")[0] if loc else ""
    if err["type"] == "extra_forbidden":
        return unknown(origin, f"{section}.{key}", [f"{section}.{f}" for f in fields], list_valid=8)
    if err["type"] == "missing":
        return f"{origin}: {section}.{key} is required"
    value = err.get("input")
    ctx = err.get("ctx") or {}
    bounds = " and ".join(
        f"{word} {ctx[k]}"
        for k, word in (("ge", "at least"), ("gt", "more than"), ("le", "at most"), ("lt", "below"))
        if k in ctx
    )
    if bounds:
        return f"{origin}: {section}.{key} = {value!r} is out of range: allowed {bounds}"
    if err["type"] == "literal_error":
        return f"{origin}: {section}.{key} = {value!r}: allowed {', '.join(map(repr, DESIGNS))}"
    return f"{origin}: {section}.{key} = {value!r}: {err['msg']}"


# ---------------------------------------------------------------------------------------------
# Running


def run_one(task: RunTask) -> RunOutput:
    """Run one arm on one replicate seed; return its stored form (done on a worker).

    The model runs once: the outcome totals are computed from the same timeseries that is
    kept as the weekly series. An error is returned as one line, not raised, so one bad run
    does not stop the others.
    """
    start = time.perf_counter()
    try:
        scenario = task.scenario.with_overrides({"run.seed": task.seed})
        model = run_model(scenario)
        series = model.timeseries_frame()
        programmes = model.programme_frame()
        outcomes = outcomes_of(scenario, series, programmes, model.lifetime_tail())
        series["cost_usd"] = weekly_cost(scenario, series, programmes)
        identity = {
            "fingerprint": task.fingerprint,
            "run_id": task.run_id,
            "arm_id": task.arm_id,
            "replicate": task.replicate,
            "seed": task.seed,
            "arm_hash": task.scenario.hash(),
            "scenario_hash": scenario.hash(),
        }
        payload = encode_run(identity, series, outcomes)
    except Exception as exc:  # noqa: BLE001 - reported per run; the sweep goes on
        message = " ".join(f"{type(exc).__name__}: {exc}".split())
        return RunOutput(task.run_id, b"", time.perf_counter() - start, message[:300])
    return RunOutput(task.run_id, payload, time.perf_counter() - start)


class _Tasks(Sequence[RunTask]):
    """The runs still to do (positions in ``plan.run_ids``), built as the executor asks.

    Runs go arm by arm, so the arm's scenario is built once for all its replicates.
    """

    def __init__(self, plan: Plan, todo: np.ndarray) -> None:
        self._plan, self._todo = plan, todo
        self._fingerprint = str(plan.manifest["fingerprint"])
        self._arm: tuple[int, Arm, Scenario] | None = None

    def __len__(self) -> int:
        return len(self._todo)

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        arm_index, replicate = divmod(int(self._todo[index]), self._plan.replicates)
        if self._arm is None or self._arm[0] != arm_index:
            arm = self._plan.arms[arm_index]
            self._arm = (arm_index, arm, arm.spec)
        _, arm, spec = self._arm
        run_id = f"{arm.id}-r{replicate:04d}"
        seed = self._plan.seed(arm, replicate)
        return RunTask(run_id, arm.id, replicate, seed, spec, self._fingerprint)


class _Keys(Sequence[str]):
    """The Dask task key of every run still to do: the sweep's fingerprint and the run id."""

    def __init__(self, fingerprint: str, run_ids: RunIds, todo: np.ndarray) -> None:
        self._prefix, self._run_ids, self._todo = f"hrsim-{fingerprint}-", run_ids, todo

    def __len__(self) -> int:
        return len(self._todo)

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        return self._prefix + self._run_ids[int(self._todo[index])]


def _still_to_do(plan: Plan, done: Mapping[str, Any]) -> np.ndarray:
    """Positions in ``plan.run_ids`` of the runs not done (one byte per run while counting)."""
    todo = np.ones(plan.total_runs, dtype=bool)
    run_ids = plan.run_ids
    for run_id in done:
        todo[run_ids.index(run_id)] = False
    return np.flatnonzero(todo)


def describe_repair(plan: Plan, out: str | Path) -> str:
    """What ``hrsim sweep SPEC --out DIR --repair`` would do, for ``--dry-run``: nothing changes."""
    plan.check_size()
    store = Store(Path(out))
    stored = store.check_usable(plan.manifest, repair=True)
    found = store.scan(plan.manifest)  # StoreError if a file is another sweep's
    lines = [
        f"{store.root}: {len(found):,} of {plan.total_runs:,} run files belong to this sweep and"
        " would be kept"
    ]
    if found.damaged:
        names = ", ".join(p.name for p in found.damaged[:3])
        more = f" and {len(found.damaged) - 3:,} more" if len(found.damaged) > 3 else ""
        lines.append(f"{len(found.damaged):,} damaged run files would be deleted and redone"
                     f" ({names}{more})")  # fmt: skip
    if stored is None:
        lines.append(f"the manifest would be rebuilt from {plan.manifest['spec_file']}")
    lines.append(f"{plan.total_runs - len(found):,} runs would run")
    return "\n".join(lines)


def _check_memory(plan: Plan, workers: int | None) -> None:
    """Refuse, in one line, a sweep whose workers would not fit in this machine's memory."""
    from hrsim.batch.executors import default_workers
    from hrsim.core.capacity import check_memory

    arms = plan.manifest["arms"]
    processes = min(workers or default_workers(), plan.total_runs)
    check_memory(max(a["people"] for a in arms), max(a["years"] for a in arms), processes)


Progress = bool | Literal["auto", "always"]


def _in_notebook() -> bool:
    """Whether this process is a Jupyter kernel (its stderr is shown, though not a terminal)."""
    ipython = sys.modules.get("IPython")  # never imported here: only if the user has it running
    shell = getattr(ipython, "get_ipython", lambda: None)() if ipython is not None else None
    return shell is not None and hasattr(shell, "kernel")


def progress_shown(progress: Progress) -> bool:
    """Whether a progress bar is drawn.

    ``"auto"`` (and ``True``): when stderr is a terminal or this is a notebook, so logs,
    pipes and batch jobs get none; ``"always"``: regardless; ``False``: never.
    """
    if progress == "always":
        return True
    if not progress:
        return False
    isatty = getattr(sys.stderr, "isatty", None)
    return bool(isatty is not None and isatty()) or _in_notebook()


def progress_bar(
    total: int, desc: str, unit: str, progress: Progress = "auto", **options: Any
) -> Any:
    """A tqdm bar on stderr for ``total`` tasks, drawn only if :func:`progress_shown`.

    The one progress bar of the batch commands (sweep, psa, compare, validate, sensitivity).
    """
    from tqdm import tqdm

    # tqdm's monitor thread would keep the workers from being forked from this process (see
    # executors._can_fork_here); the bar is refreshed on every finished task anyway.
    tqdm.monitor_interval = 0
    try:
        size = os.get_terminal_size(sys.stderr.fileno())
    except (AttributeError, OSError, ValueError):  # not a terminal (a notebook, a file)
        size = None
    # A terminal that reports a size of 0 (some CI ptys) would hide the bar: 80 x 24 then.
    width: dict[str, int] = {}
    if size is not None and 0 in size:
        fallback = shutil.get_terminal_size()
        width = {"ncols": min(fallback.columns, 100), "nrows": max(fallback.lines, 2)}
    return tqdm(
        total=total,
        desc=desc,
        unit=unit,
        file=sys.stderr,
        disable=not progress_shown(progress),
        dynamic_ncols=not width,
        **width,
        **options,
    )


def run_experiment(
    sweep: str | Path | Mapping[str, Any] | Plan,
    out: str | Path | None = None,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    people: int | None = None,
    years: float | None = None,
    replicates: int | None = None,
    seed: int | None = None,
    progress: Progress = "auto",
    repair: bool = False,
) -> Experiment:
    """Run a sweep into its store and return its results as tidy frames.

    Args:
        sweep: a sweep TOML file, the same structure as a dict, or a plan already made
            (:func:`plan_sweep`, :func:`plan_arms`; then people, years, replicates and seed
            are the plan's).
        out: the store directory (default ``runs/<sweep name>``). If it already holds this
            sweep, only the runs not yet finished are run; another sweep's store is refused.
        workers: local processes (default: all cores; 1 runs in this process).
        scheduler: address of a running Dask scheduler (``tcp://HOST:PORT``) instead.
        people: population size of every arm (overrides the spec).
        years: years to simulate in every arm (overrides the spec).
        replicates: paired replicates per arm (overrides the spec).
        seed: base seed of the replicate seeds (overrides the spec).
        progress: a progress bar on stderr: ``"auto"`` (default; ``True`` is the same) when
            stderr is a terminal or in a notebook, ``"always"``, or ``False`` for none.
        repair: rebuild a lost or unreadable manifest from this spec: run files that belong
            to the sweep (fingerprint, run id, seed, arm hash and digest checked) are kept,
            damaged ones redone; a run file of another sweep is refused, not deleted.

    Returns:
        The :class:`hrsim.batch.store.Experiment` (``.outcomes``, ``.series``, ``.comparison()``),
        the same as ``load_experiment(out)``; ``.summary`` says what this call did.

    Raises:
        SweepError: the spec or the store is not usable, or the sweep has more than
            ``MAX_RUNS`` runs (before anything is written).
        RunFailures: some runs raised errors (the rest are saved; run again to retry).
        KeyboardInterrupt: on Ctrl-C, after the finished runs are saved.
    """
    import hrsim.analysis.compare  # noqa: F401 - the summary at the end needs it
    from hrsim.batch.executors import check_scheduler_address, execute

    if isinstance(sweep, Plan):
        if any(v is not None for v in (people, years, replicates, seed)):
            raise SweepError("people, years, replicates and seed are the plan's: make it anew")
        plan = sweep
    else:
        plan = plan_sweep(sweep, people=people, years=years, replicates=replicates, seed=seed)
    plan.check_size()
    store = Store(Path(out) if out is not None else plan.default_store)
    if workers is not None and workers < 1:
        raise SweepError("workers must be at least 1")
    if scheduler is not None:
        check_scheduler_address(scheduler)  # before the store is made, not after
    store.check_usable(plan.manifest, repair=repair)  # every arm's scenario is built here
    if scheduler is None:  # local workers share this machine's memory; Dask workers have theirs
        _check_memory(plan, workers)
    start = time.perf_counter()
    with store.lock():
        try:
            stored = store.read_manifest()
        except UnreadableManifest:
            if not repair:
                raise
            stored = None
        # Checked before the manifest is (re)written: another sweep's file stops everything.
        found = store.scan(plan.manifest, repair=True)
        if stored is None or (stored["baseline"], stored["name"]) != (plan.baseline, plan.name):
            manifest = (
                plan.manifest
                if stored is None
                else {
                    **stored,
                    "baseline": plan.baseline,
                    "name": plan.name,
                }
            )
            store.write_manifest(manifest)
        todo = _still_to_do(plan, found)
        redone = {p.name.split(".")[0] for p in found.damaged} - set(found)
        summary = SweepSummary(plan.total_runs, len(found), 0, out=store.root)
        summary.redone = sum(1 for r in redone if r in plan.run_ids)
        summary.rebuilt = stored is None and (bool(found) or bool(found.damaged))
        keys = _Keys(plan.manifest["fingerprint"], plan.run_ids, todo)
        bar = progress_bar(
            plan.total_runs,
            plan.name,
            "run",
            progress,
            initial=len(found),
            postfix=f"{len(todo):,} left",
            bar_format="{desc}: {bar} {n_fmt}/{total_fmt} runs done{postfix} "
            "[{elapsed} elapsed, about {remaining} left]",
        )
        try:
            for _, output in execute(
                run_one, _Tasks(plan, todo), workers=workers, scheduler=scheduler, keys=keys
            ):
                if output.error is None:
                    store.write_run(output.run_id, output.payload)
                    summary.done_now += 1
                else:
                    summary.failures.append((output.run_id, output.error))
                bar.update(1)
                left = len(todo) - summary.done_now - len(summary.failures)
                bar.set_postfix_str(f"{left:,} left", refresh=True)
        finally:
            bar.close()
            summary.wall_time_s = time.perf_counter() - start
    experiment = load_experiment(store.root)
    experiment.summary = summary
    if summary.failures:
        run_id, message = summary.failures[0]
        raise RunFailures(
            f"{len(summary.failures)} of {len(todo)} runs failed (first: {run_id}: {message});"
            f" the others are saved in {store.root}; run again to retry the failed ones",
            experiment,
        )
    return experiment
